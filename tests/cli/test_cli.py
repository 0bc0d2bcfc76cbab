import importlib.util
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from PIL import Image

from restyle.cli import BEFORE_TORCH, build_parser, cpu_flags, nnpack_cpu
from restyle.feedforward.runtime import load_model
from tests.conftest import DEVICE


def _only_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_stylize_end_to_end(run_cli, content_path, style_path, tmp_path):
    out = tmp_path / "out.jpg"
    code, _, err = run_cli("stylize", content_path, "-s", style_path, "-o", out, "--size", 32,
                           "--iterations", 4, "--save-every", 2, "--device", DEVICE)
    assert code == 0, err
    assert Image.open(out).format == "JPEG" and Image.open(out).size == (32, 24)
    assert sorted(p.name for p in tmp_path.glob("out_*")) == ["out_0002.jpg", "out_0004.jpg"]
    assert "schedule: 32px x 4" in err and "wrote" in err


def test_quiet_prints_nothing(run_cli, content_path, style_path, tmp_path):
    code, out, err = run_cli("stylize", content_path, "-s", style_path, "-o", tmp_path / "o.png",
                             "--size", 24, "--iterations", 2, "-q")
    assert (code, out, err) == (0, "", "")


def test_two_styles_and_options(run_cli, content_path, style_path, tmp_path):
    code, _, err = run_cli("stylize", content_path, "-s", style_path, "-s", content_path, "--style-blend", "3,1",
                           "-o", tmp_path / "o.webp", "--size", 24, "--iterations", 2, "-q",
                           "--style-layers", "relu1_1,relu2_1:2", "--content-layers", "relu3_2",
                           "--preserve-color", "luminance", "--init", "noise", "--seed", "1")
    assert code == 0, err
    assert Image.open(tmp_path / "o.webp").format == "WEBP"


@pytest.mark.parametrize("case", ["content", "style", "init", "snapshot"])
def test_stylize_never_overwrites_an_input(run_cli, content_path, style_path, tmp_path, case):
    init = tmp_path / "start.png"
    init.write_bytes(content_path.read_bytes())
    snapshot = tmp_path / "r_0002.png"  # the second iteration's --save-every 2 snapshot of -o r.png
    snapshot.write_bytes(style_path.read_bytes())
    before = {p: p.read_bytes() for p in (content_path, style_path, init, snapshot)}
    out = {"content": content_path, "style": style_path, "init": init, "snapshot": tmp_path / "r.png"}[case]
    extra = ["--init", init] if case == "init" else ["--save-every", 2, "-s", snapshot] if case == "snapshot" else []
    code, _, err = run_cli("stylize", content_path, "-s", style_path, "-o", out, "--size", 16, "--iterations", 2,
                           "--device", DEVICE, *extra)
    assert code == 2
    assert "is an input" in _only_line(err)
    assert {p: p.read_bytes() for p in before} == before
    assert not (tmp_path / "r.png").exists()


def test_snapshots_that_would_overwrite_an_input_are_found_by_the_inputs_names(tmp_path):
    from restyle.cli.progress import Snapshots
    from restyle.errors import RestyleError

    snapshots = Snapshots(2, tmp_path / "r.png")
    (tmp_path / "r_0006.png").write_bytes(b"")
    (tmp_path / "photo.png").symlink_to(tmp_path / "r_0006.png")
    others = [tmp_path / "r_0003.png", tmp_path / "r_4.png", tmp_path / "s_0004.png", Image.new("RGB", (2, 2))]
    snapshots.check(others, 10**12)  # r_0003: not a step of 2; r_4: not step 4's name; a long run checks as fast
    snapshots.check([tmp_path / "r_0004.png"], 3)  # a run of 3 iterations never writes step 4
    for given in ("r_0004.png", "photo.png"):  # the name, or the real name behind a link
        with pytest.raises(RestyleError, match="is an input"):
            snapshots.check([tmp_path / given], 6)
    Snapshots(0, tmp_path / "r.png").check([tmp_path / "r_0004.png"], 10)  # no snapshots


@pytest.mark.parametrize("case", [
    "missing", "directory", "not-an-image", "truncated", "empty", "too-many-pixels", "unknown-layer",
    "negative-weight", "zero-size", "unwritable-output", "missing-output-folder", "bad-extension",
    "bad-number", "missing-style", "bad-weights-file", "zero-memory", "too-little-memory", "zero-tile-size",
])
def test_bad_input_one_line_exit_2_no_output(run_cli, content_path, style_path, tmp_path, case):
    out = tmp_path / "result.png"
    content, extra = content_path, []
    if case == "missing":
        content = tmp_path / "nope.jpg"
    elif case == "directory":
        content = tmp_path
    elif case == "not-an-image":
        content = tmp_path / "notes.jpg"
        content.write_text("definitely not a JPEG")
    elif case == "truncated":
        content = tmp_path / "cut.png"
        content.write_bytes(content_path.read_bytes()[:500])
    elif case == "empty":
        content = tmp_path / "empty.png"
        content.write_bytes(b"")
    elif case == "too-many-pixels":
        extra = ["--max-pixels", "100"]
    elif case == "unknown-layer":
        extra = ["--style-layers", "relu1_1,relu6_1"]
    elif case == "negative-weight":
        extra = ["--style-weight", "-5"]
    elif case == "zero-size":
        extra = ["--size", "0"]
    elif case == "unwritable-output":
        out = __import__("pathlib").Path("/proc/restyle-result.png")
    elif case == "missing-output-folder":
        out = tmp_path / "no" / "such" / "result.png"
    elif case == "bad-extension":
        out = tmp_path / "result.gif"
    elif case == "bad-number":
        extra = ["--iterations", "lots"]
    elif case == "missing-style":
        extra = ["-s", tmp_path / "missing-style.jpg"]
    elif case == "bad-weights-file":
        bad = tmp_path / "w.pth"
        torch.save({"hello": torch.zeros(1)}, bad)
        extra = ["--weights", bad]
    elif case == "zero-memory":
        extra = ["--max-memory", "0"]
    elif case == "too-little-memory":
        extra = ["--max-memory", "0.0001"]
    elif case == "zero-tile-size":
        extra = ["--tile-size", "0"]
    before = set(tmp_path.rglob("*"))
    code, stdout, err = run_cli("stylize", content, "-s", style_path, "-o", out, "--size", 24,
                                "--iterations", 2, *extra)
    line = _only_line(err)
    assert code == 2
    assert line.startswith("restyle")
    assert "error" in line
    assert not out.exists()
    assert set(tmp_path.rglob("*")) == before  # nothing written, not even a temp file
    if case in ("zero-memory", "too-little-memory", "zero-tile-size"):  # the flag, not the option's name
        assert "--max-memory" in line or "--tile-size" in line
        assert "max_memory" not in line and "tile_size" not in line


def test_tiled_run_prints_its_plan_and_tiles(run_cli, content_path, style_path, tmp_path):
    code, _, err = run_cli("stylize", content_path, "-s", style_path, "-o", tmp_path / "t.png", "--size", 64,
                           "--iterations", 2, "--tile-size", 32)
    assert code == 0, err
    assert "64x48: 4 tiles of <= 64x48 (80 px halo), L-BFGS history 20" in err
    assert "4 tiles it 2/2" in err
    assert Image.open(tmp_path / "t.png").size == (64, 48)


def test_messages_are_specific(run_cli, content_path, style_path, tmp_path):
    code, _, err = run_cli("stylize", content_path, "-s", style_path, "-o", tmp_path / "o.png", "--max-pixels", 100)
    assert "64x48 = 3,072 pixels is over the limit of 100" in err and "--max-pixels" in err
    code, _, err = run_cli("stylize", tmp_path / "x.jpg", "-s", style_path, "-o", tmp_path / "o.png")
    assert "x.jpg: no such file" in err


def test_help_documents_every_option_with_default():
    parser = build_parser()
    stylize = parser._subparsers._group_actions[0].choices["stylize"]
    text = stylize.format_help()
    for action in stylize._actions:
        if action.option_strings and action.dest != "help":
            assert action.help, action.dest
    for needle in ["--size PX", "(default: 512)", "--style-weight", "--preserve-color", "--save-every",
                   "--device", "--precision", "--weights", "--max-pixels", "--multiscale", "relu4_2",
                   "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1", "--quiet"]:
        assert needle in text, needle


def _restyle(*args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "restyle", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def test_no_traceback_from_real_process(tmp_path, style_path):
    proc = _restyle("stylize", tmp_path / "missing.png", "-s", style_path, "-o", tmp_path / "o.png")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert _only_line(err) == f"restyle: error: {tmp_path / 'missing.png'}: no such file"


_SETTINGS = """
import json, os, sys
from restyle.cli import main
main(["--version"])
print(json.dumps({k: os.environ.get(k) for k in ("OMP_WAIT_POLICY", "THP_MEM_ALLOC_ENABLE")}))
print("torch" in sys.modules)
"""


@pytest.mark.parametrize("own", [None, "ACTIVE"])
def test_settings_read_as_torch_loads_are_made_before_it_and_the_users_win(own):
    env = {k: v for k, v in os.environ.items() if k not in BEFORE_TORCH}
    if own:
        env["OMP_WAIT_POLICY"] = own
    done = subprocess.run([sys.executable, "-c", _SETTINGS], capture_output=True, text=True, env=env, timeout=60)
    *_, settings, torch_loaded = done.stdout.strip().splitlines()
    ours = "PASSIVE" if nnpack_cpu(cpu_flags()) else None  # only where NNPACK's threads share the cores
    assert json.loads(settings) == {"OMP_WAIT_POLICY": own or ours, "THP_MEM_ALLOC_ENABLE": "1"}
    assert torch_loaded == "False"  # so libgomp and torch's allocator read them when a command imports torch


@pytest.mark.parametrize("flags, expected", [
    ({"avx2", "fma"}, True),
    ({"avx2", "fma", "avx512f"}, True),  # torch's AVX-512 kernels need VL, BW and DQ too
    ({"avx2", "fma", "avx512f", "avx512vl", "avx512bw", "avx512dq"}, False),
    ({"avx2"}, False),
    (set(), False),  # not Linux, or not x86
])
def test_nnpack_cpu_is_torchs_avx2_capability_told_from_the_flags(flags, expected):
    assert nnpack_cpu(frozenset(flags)) is expected


@pytest.mark.skipif(not cpu_flags(), reason="no /proc/cpuinfo flags here")
def test_nnpack_cpu_agrees_with_torch_here():
    assert nnpack_cpu(cpu_flags()) == (torch.backends.cpu.get_cpu_capability() == "AVX2")


def test_ctrl_c_saves_best_image_and_exits_130(tmp_path, content_path, style_path):
    out = tmp_path / "out.png"
    # A shell starts background jobs with SIGINT ignored, and Python then never raises KeyboardInterrupt:
    # give the child the default disposition, as a terminal's foreground process has.
    proc = _restyle("stylize", content_path, "-s", style_path, "-o", out, "--size", 32, "--iterations", 100000,
                    "--save-every", 2, "--device", DEVICE,
                    preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.time() + 120
        while not list(tmp_path.glob("out_*.png")) and time.time() < deadline and proc.poll() is None:
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "saved the best image so far" in err
    assert Image.open(out).size == (32, 24)
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_nan_loss_exit_1_and_nothing_written(run_cli, content_path, style_path, tmp_path, monkeypatch):
    from restyle.core import losses
    monkeypatch.setattr(losses.TVLoss, "forward", lambda self, x: x.sum() * float("inf"))
    out = tmp_path / "out.png"
    code, _, err = run_cli("stylize", content_path, "-s", style_path, "-o", out, "--size", 24, "--iterations", 3)
    assert code == 1
    assert err.strip().splitlines()[-1].startswith("restyle: error: the loss became inf at scale 1, iteration 1")
    assert "Traceback" not in err
    assert not out.exists()


# --- real-time models: train, apply, export ---

def _photos(folder, n=3):
    import numpy as np
    folder.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray((rng.random((40 + 4 * i, 52, 3)) * 255).astype("uint8")).save(folder / f"p{i}.png")
    return folder


@pytest.fixture
def tiny_model(tmp_path):
    from restyle.feedforward.modelfile import save_model
    from tests.feedforward.conftest import lively_net
    return save_model(lively_net(), tmp_path / "m.safetensors", {"style_name": "tiny"})


def test_train_end_to_end(run_cli, style_path, tmp_path):
    photos = _photos(tmp_path / "photos")
    (photos / "broken.jpg").write_text("not a jpeg")
    out = tmp_path / "m.safetensors"
    code, _, err = run_cli("train", style_path, "--photos", photos, "-o", out, "--steps", 6, "--batch", 2,
                           "--crop-size", 32, "--style-size", 64, "--device", DEVICE, "--preview-every", 3, "--seed", 1,
                           "--average-last", 0.5)
    assert code == 0, err
    assert "1 unreadable, skipped" in err and "wrote" in err and "Traceback" not in err
    assert out.exists() and (tmp_path / "m-training" / "checkpoint.pt").exists()
    assert load_model(out, device=DEVICE).metadata["averaged_steps"] == [4, 6]
    assert sorted(p.name for p in (tmp_path / "m-training").glob("preview-*")) == ["preview-000003.jpg",
                                                                                  "preview-000006.jpg"]
    code, _, err = run_cli("train", style_path, "--photos", photos, "-o", out, "--steps", 8, "--batch", 2,
                           "--crop-size", 32, "--style-size", 64, "--device", DEVICE, "--resume", "-q")
    assert (code, err) == (0, "")


def test_train_ctrl_c_ends_the_step_saves_the_model_and_a_checkpoint(run_cli, style_path, tmp_path, monkeypatch):
    from restyle.feedforward import training
    real_step = training._Training.train_step

    def step_then_ctrl_c(self):
        terms = real_step(self)
        if self.step == 2:
            os.kill(os.getpid(), signal.SIGINT)  # the command line's handler turns it into a cancel
        return terms

    monkeypatch.setattr(training._Training, "train_step", step_then_ctrl_c)
    out, before = tmp_path / "m.safetensors", signal.getsignal(signal.SIGINT)
    code, _, err = run_cli("train", style_path, "--photos", _photos(tmp_path / "photos"), "-o", out, "--steps", 50,
                           "--batch", 1, "--crop-size", 32, "--style-size", 64, "--device", DEVICE, "-q")
    assert code == 130 and "--resume" in _only_line(err)
    assert load_model(out, device=DEVICE).metadata["steps"] == 2
    assert torch.load(tmp_path / "m-training" / "checkpoint.pt", weights_only=True)["step"] == 2
    # The handler is put back: Python's own, or what the process started with (a shell's background job starts
    # with SIGINT ignored).
    assert signal.getsignal(signal.SIGINT) is before


def _record_bars(monkeypatch) -> list:
    """Stand a recording class in for tqdm.tqdm; returns the list the bars created will be appended to."""
    import tqdm
    bars = []

    class Bar:
        def __init__(self, total, initial=0, bar_format=None, **kw):
            self.total, self.initial, self.n, self.kw = total, initial, initial, kw
            self.bar_format = bar_format
            bars.append(self)

        def set_description(self, *a, **kw):
            pass

        def set_postfix_str(self, *a, **kw):
            pass

        def update(self, k):
            self.n += k

        def close(self):
            pass

    monkeypatch.setattr(tqdm, "tqdm", Bar)
    return bars


def test_train_progress_bar_counts_steps_from_its_first_report(run_cli, style_path, tmp_path, monkeypatch):
    # Steps done before the bar exists must not count as done at its start, or the ETA reads too short.
    bars = _record_bars(monkeypatch)
    code, _, err = run_cli("train", style_path, "--photos", _photos(tmp_path / "photos"), "-o",
                           tmp_path / "m.safetensors", "--steps", 20, "--batch", 1, "--crop-size", 32,
                           "--style-size", 32, "--device", DEVICE, "--preview-every", 0, "--seed", 1)
    assert code == 0, err
    assert [(b.total, b.initial, b.n, b.kw["smoothing"]) for b in bars] == [(20, 10, 20, 0)]


@pytest.mark.parametrize("case", ["empty-folder", "bad-crop", "bad-output", "resume-without-checkpoint",
                                  "missing-init", "bad-average"])
def test_train_bad_input_one_line_exit_2(run_cli, style_path, tmp_path, case):
    photos, out, extra = _photos(tmp_path / "photos"), tmp_path / "m.safetensors", []
    if case == "empty-folder":
        photos = tmp_path / "empty"
        photos.mkdir()
    elif case == "bad-crop":
        extra = ["--crop-size", "30"]
    elif case == "bad-output":
        out = tmp_path / "m.png"
    elif case == "missing-init":
        extra = ["--init", tmp_path / "nope.safetensors"]
    elif case == "bad-average":
        extra = ["--average-last", "1.5"]
    else:
        extra = ["--resume"]
    code, _, err = run_cli("train", style_path, "--photos", photos, "-o", out, "--steps", 2, "--batch", 1,
                           "--crop-size", 32, "--device", DEVICE, *extra)
    assert code == 2
    _only_line(err)
    assert not out.exists()


def test_apply_file_folder_and_options(run_cli, tiny_model, tmp_path):
    photos = _photos(tmp_path / "photos")
    code, _, err = run_cli("apply", tiny_model, photos / "p0.png", "-o", tmp_path / "one.jpg", "--device", DEVICE)
    assert code == 0, err
    assert Image.open(tmp_path / "one.jpg").size == (52, 40)
    code, _, err = run_cli("apply", tiny_model, photos / "p0.png", "-o", tmp_path / "small.png", "--size", 26)
    assert code == 0, err
    assert Image.open(tmp_path / "small.png").size == (26, 20)
    code, _, err = run_cli("apply", "--model", tiny_model, "--size", 26, photos / "p0.png", "-o", tmp_path / "m.png")
    assert code == 0, err  # the model by option: the same painting
    assert Image.open(tmp_path / "m.png").tobytes() == Image.open(tmp_path / "small.png").tobytes()
    code, _, err = run_cli("apply", tiny_model, "--size", 26, photos / "p0.png", "-o", tmp_path / "split.png")
    assert code == 0, err  # the inputs after an option, as argparse alone refuses
    assert Image.open(tmp_path / "split.png").tobytes() == Image.open(tmp_path / "small.png").tobytes()
    code, _, err = run_cli("apply", tiny_model, photos, "-o", tmp_path / "out", "--strength", 0.5,
                           "--preserve-color", "--tile-size", 16, "-q")
    assert (code, err) == (0, "")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["p0.png", "p1.png", "p2.png"]
    code, _, err = run_cli("apply", tiny_model, photos / "p0.png", "-o", tmp_path / "two.png", "--coarse", 0.5,
                           "--device", DEVICE, "--precision", "fp32")
    assert code == 0, err  # two passes, as the library paints them
    two = load_model(tiny_model, device=DEVICE, precision="fp32", coarse=0.5)(photos / "p0.png")
    assert Image.open(tmp_path / "two.png").tobytes() == two.tobytes()
    one = load_model(tiny_model, device=DEVICE, precision="fp32")(photos / "p0.png")
    assert np.abs(np.asarray(two, np.int16) - np.asarray(one, np.int16)).mean() > 1
    code, _, err = run_cli("apply", tiny_model, photos / "p0.png", "-o", tmp_path / "noisy.png", "--noise", 0.05,
                           "--device", DEVICE, "--precision", "fp32")
    assert code == 0, err  # the noise added first, as the library adds it
    noisy = load_model(tiny_model, device=DEVICE, precision="fp32", noise=0.05)(photos / "p0.png")
    assert Image.open(tmp_path / "noisy.png").tobytes() == noisy.tobytes()
    assert np.abs(np.asarray(noisy, np.int16) - np.asarray(one, np.int16)).mean() > 1


def test_apply_skips_unreadable_among_many(run_cli, tiny_model, tmp_path):
    photos = _photos(tmp_path / "photos")
    (photos / "broken.jpg").write_text("not a jpeg")
    code, _, err = run_cli("apply", tiny_model, photos, "-o", tmp_path / "out", "-q")
    assert code == 2 and "broken.jpg" in err and "Traceback" not in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["p0.png", "p1.png", "p2.png"]


def test_apply_keeps_freed_memory_across_its_images_unless_given_a_budget(run_cli, tiny_model, tmp_path,
                                                                          keep_memory_calls):
    from restyle.core import memory
    photos, calls = _photos(tmp_path / "photos"), keep_memory_calls(memory)
    code, _, err = run_cli("apply", tiny_model, photos, "-o", tmp_path / "out", "--device", "cpu", "-q")
    assert (code, err) == (0, "")
    [(kind, peak, _), left] = calls  # one block around all three images, up to the default budget
    assert kind == "cpu" and 0 < peak <= memory.DEFAULT_BUDGET and left == "left"
    calls.clear()
    code, _, err = run_cli("apply", tiny_model, photos, "-o", tmp_path / "out2", "--max-memory", 1, "-q")
    assert (code, err, calls) == (0, "", [])


@pytest.mark.parametrize("case", ["missing-model", "not-a-model", "missing-input", "not-an-image", "overwrite-input",
                                  "bad-strength", "bad-coarse", "bad-noise", "unknown-preset", "model-only",
                                  "same-names", "model-and-preset"])
def test_apply_bad_input_one_line_exit_2(run_cli, tiny_model, tmp_path, case):
    photos = _photos(tmp_path / "photos")
    model, inputs, out, extra = tiny_model, [photos / "p0.png"], tmp_path / "o.png", []
    if case == "missing-model":
        model = tmp_path / "nope.safetensors"
    elif case == "not-a-model":
        model = photos / "p1.png"
    elif case == "missing-input":
        inputs = [tmp_path / "nope.jpg"]
    elif case == "not-an-image":
        inputs = [tmp_path / "x.jpg"]
        inputs[0].write_text("text")
    elif case == "overwrite-input":
        out = photos / "p0.png"
    elif case == "bad-strength":
        extra = ["--strength", "2"]
    elif case == "bad-coarse":
        extra = ["--coarse", "-1"]
    elif case == "bad-noise":
        extra = ["--noise", "0.8"]
    elif case == "unknown-preset":
        model, extra = None, ["--preset", "nope"]
    elif case == "model-only":
        inputs = []
    elif case == "model-and-preset":
        model, extra = None, ["--model", str(tiny_model), "--preset", "the_scream"]
    else:
        other = _photos(tmp_path / "other")
        inputs, out = [photos / "p0.png", other / "p0.png"], tmp_path / "outdir"
    before = photos.joinpath("p0.png").read_bytes()
    args = ([model] if model else []) + inputs
    code, _, err = run_cli("apply", *args, "-o", out, "--device", DEVICE, *extra)
    assert code == 2
    _only_line(err)
    assert photos.joinpath("p0.png").read_bytes() == before
    assert case == "overwrite-input" or not (tmp_path / "o.png").exists()


def test_export_and_apply_onnx(run_cli, tiny_model, tmp_path):
    pytest.importorskip("onnxruntime")
    photos = _photos(tmp_path / "photos")
    code, _, err = run_cli("export", tiny_model, "-o", tmp_path / "m.onnx")
    assert code == 0, err
    code, _, err = run_cli("apply", tmp_path / "m.onnx", photos / "p1.png", "-o", tmp_path / "o.png")
    assert code == 0, err
    assert "onnx" in err and Image.open(tmp_path / "o.png").size == (52, 44)
    code, _, err = run_cli("export", photos / "p1.png", "-o", tmp_path / "x.onnx")
    assert code == 2 and not (tmp_path / "x.onnx").exists()
    _only_line(err)


def test_several_styles_train_apply_and_export_by_their_mix(run_cli, style_path, content_path, tmp_path):
    photos, out = _photos(tmp_path / "photos"), tmp_path / "two.safetensors"
    code, _, err = run_cli("train", style_path, content_path, "--photos", photos, "-o", out, "--steps", 2, "--batch",
                           2, "--crop-size", 32, "--style-size", 64, "--device", DEVICE, "-q")
    assert code == 0, err
    code, _, err = run_cli("apply", out, photos / "p1.png", "-o", tmp_path / "o.png", "--mix", "style:0.6,content:0.4",
                           "--device", DEVICE)
    assert code == 0 and "with style:0.6,content:0.4" in err and Image.open(tmp_path / "o.png").size == (52, 44)
    code, _, err = run_cli("apply", out, photos / "p1.png", "-o", tmp_path / "x.png", "--device", DEVICE)
    assert code == 2 and not (tmp_path / "x.png").exists()
    assert _only_line(err).endswith("choose one or a mix: try --mix=style:0.5,content:0.5")
    code, _, err = run_cli("apply", tmp_path / "o.png", "-o", tmp_path / "x.png", "--preset", "starry_night", "--mix",
                           "style")
    assert code == 2 and "a model of one style (starry_night)" in _only_line(err)
    if importlib.util.find_spec("onnxruntime") is not None:
        code, _, err = run_cli("export", out, "-o", tmp_path / "m.onnx", "--mix", "content")
        assert code == 0, err
        assert load_model(tmp_path / "m.onnx").metadata["style_name"] == "content"


def test_stylize_progress_bar_starts_at_the_first_reports_work(monkeypatch, tmp_path):
    # Like train's bar: the work done before the bar exists is its starting point, not progress at time zero.
    from types import SimpleNamespace

    from restyle.cli.progress import OptimizerBar
    bars = _record_bars(monkeypatch)
    bar = OptimizerBar(quiet=False)
    losses = {"content": 1.0, "style": 1.0, "tv": 0.1, "total": 2.1}
    for i, (fraction, eta) in enumerate([(0.004, None), (0.5, 3725.0), (1.0, 0.0)], 1):
        bar(SimpleNamespace(scale=1, scales=1, size=(64, 48), tiles=1, iteration=i, iterations=3, step=i,
                            losses=losses, fraction=fraction, eta=eta))
        if i == 2:  # the engine's ETA, not tqdm's
            assert "[{elapsed}<1:02:05]" in bars[0].bar_format
    bar.close()
    assert [(b.total, b.initial, b.n) for b in bars] == [(1000, 4, 1000)]
    assert "[{elapsed}<00:00]" in bars[0].bar_format


def test_a_larger_max_pixels_raises_pillows_own_limit_for_the_command(run_cli, content_path, style_path, tmp_path,
                                                                      monkeypatch):
    from PIL import Image as PILImage
    # a 64x48 photo is over twice this limit: the library refuses it (tests/test_guest.py), the command line reads it
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", 1000)
    code, _, err = run_cli("stylize", content_path, "-s", style_path, "-o", tmp_path / "b.png", "--size", 16,
                           "--iterations", 1, "--device", DEVICE, "--max-pixels", 100_000, "-q")
    assert code == 0, err
    assert PILImage.MAX_IMAGE_PIXELS == 100_000  # the command line owns its process


# --- video ---

@pytest.mark.parametrize("case", ["ok", "not-a-video", "still-image", "same-as-input", "bad-extension", "no-style",
                                  "two-styles", "bad-weight", "bad-size"])
def test_video_command(run_cli, tmp_path, case):
    pytest.importorskip("av")
    from tests.video.conftest import audio_packets, pan, write_clip
    clip = write_clip(tmp_path / "clip.mp4", pan(6))
    out, style = tmp_path / "o.mp4", ["--preset", "starry_night"]
    if case == "not-a-video":
        clip = tmp_path / "notes.mp4"
        clip.write_text("hello")
    elif case == "still-image":  # FFmpeg reads it as a video of one frame
        clip = tmp_path / "photo.jpg"
        Image.fromarray(pan(1)[0]).save(clip)
    elif case == "same-as-input":
        out = clip
    elif case == "bad-extension":
        out = tmp_path / "o.avi"
    elif case == "no-style":
        style = []
    elif case == "two-styles":
        style += ["--model", "m.safetensors"]
    elif case == "bad-weight":
        style += ["--temporal-weight", "2"]
    elif case == "bad-size":
        style += ["--size", "0"]
    before = clip.read_bytes()
    code, _, err = run_cli("video", clip, "-o", out, *style, "--device", DEVICE, "-q")
    if case == "ok":
        assert (code, err) == (0, "")
        assert audio_packets(out) == audio_packets(clip)
        return
    assert code == 2
    line = _only_line(err)
    assert case != "bad-size" or "--size must be a positive whole number" in line
    assert case != "still-image" or "is a still image, not a video" in line
    assert clip.read_bytes() == before and not (tmp_path / "o.mp4").exists() and not (tmp_path / "o.avi").exists()


def test_video_command_counts_the_frames_it_painted_where_the_container_does_not_say(run_cli, tmp_path):
    pytest.importorskip("av")
    from tests.video.conftest import pan, write_clip
    clip = write_clip(tmp_path / "clip.mkv", pan(6), audio=False)  # MKV stores no frame count
    code, _, err = run_cli("video", clip, "-o", tmp_path / "o.mp4", "--preset", "starry_night", "--device", DEVICE)
    assert code == 0 and "(6 frames)" in err.splitlines()[-1]
