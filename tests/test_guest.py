"""The library is a guest in its host's process: importing restyle and calling it leaves the process as found."""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch
from PIL import Image

from restyle.cli import BEFORE_TORCH
from restyle.core.images import load_image, save_image

ROOT = Path(__file__).resolve().parents[1]

# Run in a fresh process, so that what import does is seen too: the state before importing restyle, then after
# importing it and calling the engine's every entry point (tiny sizes), compared field by field.
_HOST = r'''
import json, os, signal, sys, threading, warnings
umask_calls = []
real_umask = os.umask
os.umask = lambda mask: umask_calls.append(mask) or real_umask(mask)
import torch
from PIL import Image

def state():
    return {"env": dict(os.environ), "pillow_limit": Image.MAX_IMAGE_PIXELS, "warning_filters": repr(warnings.filters),
            "sigint": repr(signal.getsignal(signal.SIGINT)),
            "sigterm": repr(signal.getsignal(signal.SIGTERM)), "rng": torch.random.get_rng_state().sum().item(),
            "tf32": [torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32],
            "cudnn_benchmark": torch.backends.cudnn.benchmark, "threads": torch.get_num_threads(),
            "dtype": str(torch.get_default_dtype()), "grad": torch.is_grad_enabled()}

# torch's own lazy imports first (its optimizers import torch._dynamo at their first step, which sets
# TORCHINDUCTOR_CACHE_DIR and adds warning filters), so that what is compared is restyle's doing alone
import torch._dynamo, torch.onnx
import importlib.util
WEB = importlib.util.find_spec("gradio") is not None
if WEB:  # (what importing Gradio does is Gradio's; what building restyle's page does is compared)
    import gradio
RAY = importlib.util.find_spec("ray") is not None
if RAY:  # (importing Ray adds warning filters: Ray's doing; what starting it for a batch does is compared)
    import ray
before = state()
import restyle
from restyle.core import memory
mallopt_calls = []
real_glibc = memory._glibc
def spy_glibc():
    libc = real_glibc()
    class Spy:
        def __getattr__(self, name):
            return getattr(libc, name)
        def mallopt(self, *a):
            mallopt_calls.append(a)
            return libc.mallopt(*a)
    return Spy() if libc else None
memory._glibc = spy_glibc
content, style, photos, tmp = sys.argv[1:5]
restyle.stylize(content, style, size=32, iterations=2, device="cpu", preserve_color="histogram")
for p in restyle.iter_stylize(content, style, size=32, iterations=5, device="cpu"):
    break
restyle.score(content, content, style, device="cpu", size=32)
from restyle.feedforward.modelfile import presets
model = restyle.load_model(preset=next(iter(presets())), device="cpu", tile_size=32)
model(content).save(os.path.join(tmp, "applied.png"))
import numpy as np
model.frame(np.asarray(Image.open(content).convert("RGB")))
restyle.train(style, photos, os.path.join(tmp, "m.safetensors"), steps=2, batch_size=1, crop_size=32, style_size=32,
              device="cpu", preview_every=0)
from restyle.core.images import save_image
save_image(Image.open(content), os.path.join(tmp, "saved.png"))
import importlib.util
if importlib.util.find_spec("cv2") and importlib.util.find_spec("av"):  # video: OpenCV's loader edits the environment
    from restyle.video.pipeline import iter_video
    frames = [np.asarray(Image.open(content).convert("RGB"))] * 2
    list(iter_video(frames, model=model))
if WEB:
    from restyle.web import jobs, page
    page.build(jobs.Models("cpu"))
from restyle.batch.run import run_batch
run_batch([photos], os.path.join(tmp, "batch"), ["great_wave"], size=16, device="cpu")
if RAY:
    run_batch([photos], os.path.join(tmp, "on-ray"), ["great_wave"], size=16, device="cpu", backend="ray")
print(json.dumps({"before": before, "after": state(), "umask_calls": umask_calls, "mallopt_calls": mallopt_calls}))
'''


@pytest.mark.xdist_group("ray")  # it starts Ray: never beside the Ray backend's tests
def test_import_and_every_call_leave_the_process_as_found(tmp_path, content_path, style_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(2):
        Image.open(content_path).rotate(90 * i, expand=True).save(photos / f"p{i}.png")
    env = {k: v for k, v in os.environ.items() if k not in BEFORE_TORCH}  # as a host's process would start
    done = subprocess.run([sys.executable, "-c", _HOST, str(content_path), str(style_path), str(photos), str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["after"] == seen["before"]  # environment, Pillow's limit, warnings, Ctrl-C, RNG, backend flags
    assert seen["umask_calls"] == [] and seen["mallopt_calls"] == []


def test_saved_files_get_the_usual_mode(tmp_path):
    mask = os.umask(0o027)
    try:
        path = save_image(Image.new("RGB", (4, 4)), tmp_path / "out.png")
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o640  # 0666 less the umask, as open() would make it


def test_pillows_bomb_guard_stays_on_while_restyle_decodes_in_other_threads(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # a 64x64 image is over twice this: Pillow refuses it
    path = tmp_path / "big.png"
    Image.new("RGB", (64, 64)).save(path)
    stop, refused, opened = threading.Event(), [], []

    def restyle_decodes():
        while not stop.is_set():
            try:
                load_image(path, max_pixels=10**9)
            except Exception as e:  # Pillow's guard, reported as a RestyleError
                refused.append(type(e).__name__)

    threads = [threading.Thread(target=restyle_decodes) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for _ in range(300):
            try:
                Image.open(path).close()
                opened.append(1)
            except Image.DecompressionBombError:
                pass
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert opened == [] and Image.MAX_IMAGE_PIXELS == 1000
    assert set(refused) == {"RestyleError"}


def test_library_messages_tell_how_to_read_an_image_over_pillows_guard(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    Image.new("RGB", (64, 64)).save(tmp_path / "big.png")
    with pytest.raises(Exception, match=r"decompression bomb .*PIL.Image.MAX_IMAGE_PIXELS, and max_pixels"):
        load_image(tmp_path / "big.png", max_pixels=10**9)


def test_resolve_device_leaves_backend_flags_alone(monkeypatch):
    from restyle.core.device import resolve_device
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    before = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32, torch.backends.cudnn.benchmark)
    resolve_device("cuda")
    after = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32, torch.backends.cudnn.benchmark)
    assert after == before
