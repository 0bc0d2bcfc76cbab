"""Temporal consistency of `restyle video`: Lai et al.'s warping error, the style and content distances, and the
pipeline's speed, for independent frames against restyle's, on clips made from still photos.

Clips (from ../shared/images/content, `--size` wide): a camera pan with a slow zoom (beach_city), a cat cut-out
moving over a street (occlusions; chelsea_cat over columns), and a cut between two photos. For each preset:
the warping error of the input (the floor), of independent frames (each `StyleModel.frame`) and of restyle's
(`--temporal-weight`), with the mean style distance (to the preset's painting) and content distance (to each
frame) of `restyle score` at 256 px over every fourth frame. `--optimizer` also runs the optimizer (a small size
and few iterations: slow on a CPU). Speed: seconds per frame of the network alone and of the whole
`stylize_video` (decode, flow, network, mix, encode) on the pan clip.

    python benchmarks/video.py --presets starry_night the_scream --size 320 --frames 24
    python benchmarks/video.py --coarse 0.5 --no-speed --output OUT.md     # the presets painting in two passes
    python benchmarks/video.py --noise 0.02 --no-speed --output OUT.md     # noise added to every frame first
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import restyle  # noqa: E402
from benchmarks.compare import machine  # noqa: E402
from restyle.video.camera import Camera  # noqa: E402
from restyle.video.metrics import warping_error  # noqa: E402
from restyle.video.pipeline import iter_video, stylize_video  # noqa: E402
from restyle.video.temporal import Carry, Follower, mix  # noqa: E402
from tests.video.conftest import write_clip  # noqa: E402

SHARED = ROOT.parent / "shared" / "images"


def _photo(name: str) -> Image.Image:
    return Image.open(SHARED / "content" / name).convert("RGB")


def pan_clip(frames: int, width: int) -> list[np.ndarray]:
    """A pan to the right with a slow zoom over beach_city."""
    img, height = _photo("beach_city.jpg"), width * 3 // 4
    W, H = img.size
    out = []
    for t in range(frames):
        z = 1 + 0.004 * t
        cw, ch = int(W * 0.6 / z), int(H * 0.6 / z)
        x0, y0 = int(W * 0.1 + t * W * 0.006), int(H * 0.2)
        out.append(np.asarray(img.crop((x0, y0, x0 + cw, y0 + ch)).resize((width, height), Image.BICUBIC)))
    return out


def object_clip(frames: int, width: int) -> list[np.ndarray]:
    """A cat's face sliding right over a still street."""
    height = width * 3 // 4
    back = _photo("columns.jpg").resize((width, height), Image.BICUBIC)
    cat = _photo("chelsea_cat.png")
    cat = cat.crop((cat.width // 4, cat.height // 8, cat.width * 3 // 4, cat.height * 7 // 8))
    cat = cat.resize((width // 3, height // 2), Image.BICUBIC)
    out = []
    for t in range(frames):
        f = back.copy()
        f.paste(cat, (int(t * width / (1.5 * frames)), height // 4))
        out.append(np.asarray(f))
    return out


def cut_clip(frames: int, width: int) -> list[np.ndarray]:
    """Half the pan, then half the moving cat."""
    return pan_clip(frames // 2, width) + object_clip(frames - frames // 2, width)


def distances(outputs, inputs, painting) -> tuple[float, float]:
    """Mean (style, content) distance of every fourth frame at 256 px."""
    scores = [restyle.Scorer(f, painting, size=256)(o) for o, f in list(zip(outputs, inputs))[::4]]
    return float(np.mean([s.style for s in scores])), float(np.mean([s.content for s in scores]))


def judge(name: str, frames, style: dict, painting: Path, weight: float) -> list[str]:
    """Table rows: independent and restyle for one clip and style."""
    floor = warping_error(frames, frames)
    alone = list(iter_video(frames, temporal_weight=0, **style))
    steady = list(iter_video(frames, temporal_weight=weight, **style))
    e0, e1 = warping_error(alone, frames), warping_error(steady, frames)
    (s0, c0), (s1, c1) = distances(alone, frames, painting), distances(steady, frames, painting)
    return [f"| {name} | {floor:.5f} | {e0:.5f} | {e1:.5f} | **{e1 / e0:.2f}x** | {s1 / s0:.2f}x | {c1 / c0:.2f}x |"]


def ablation(frames, preset: str) -> list[str]:
    """Table rows: what the camera canvas and the mixing each do on a pan, alone and together (restyle's own
    pieces, joined as ``Steady`` joins them, with one of them left out)."""
    model = restyle.load_model(preset=preset)
    painting = SHARED / "styles" / f"{preset}.jpg"
    alone = [model.frame(f) for f in frames]
    e0, (s0, c0) = warping_error(alone, frames), distances(alone, frames, painting)
    rows = []
    for name, use_camera, weight in [("camera canvas alone", True, 0.0), ("mixing alone", False, 0.5),
                                     ("both (restyle)", True, 0.5)]:
        follower, cam, carry, out = Follower(camera=True), Camera(), Carry(), []
        for f in frames:
            motion = follower(f)
            previous = carry.previous(motion)
            cam.follow(motion and motion.camera, f.shape[:2])
            painted = cam.paint(model.frame, f) if use_camera else model.frame(f)
            out.append(mix(painted, previous, weight))
            carry.painted(out[-1])
        e, (s, c) = warping_error(out, frames), distances(out, frames, painting)
        rows.append(f"| {preset}, pan: {name} | {e / e0:.2f}x | {s / s0:.2f}x | {c / c0:.2f}x |")
        print(rows[-1], flush=True)
    return rows


def speed(frames, preset: str, tmp: Path) -> str:
    """Seconds per frame: the network alone, and the whole pipeline on a file (each the best of 3, taken in turn)."""
    model = restyle.load_model(preset=preset)
    model.frame(frames[0])
    clip = write_clip(tmp / "speed.mp4", frames)
    network = whole = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for f in frames:
            model.frame(f)
        network = min(network, (time.perf_counter() - start) / len(frames))
        start = time.perf_counter()
        stylize_video(clip, tmp / "speed-out.mp4", preset=preset)
        whole = min(whole, (time.perf_counter() - start) / len(frames))
    return (f"{preset} at {frames[0].shape[1]}x{frames[0].shape[0]}: network {network * 1000:.0f} ms a frame, "
            f"the whole pipeline {whole * 1000:.0f} ms a frame (**{whole / network:.2f}x**)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--presets", nargs="+", default=["starry_night", "the_scream"])
    ap.add_argument("--size", type=int, default=320, help="frame width")
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--temporal-weight", type=float, default=0.5)
    ap.add_argument("--optimizer", action="store_true", help="also the optimizer (128 px, 8 frames, 40 iterations)")
    ap.add_argument("--no-speed", action="store_true", help="skip the speed measurement")
    ap.add_argument("--ablation", action="store_true", help="also the camera canvas and the mixing, each alone "
                    "(the first preset, the pan)")
    ap.add_argument("--coarse", type=float, help="the presets paint in two passes (load_model's coarse)")
    ap.add_argument("--noise", type=float, help="the presets add this noise to each frame first (load_model's noise)")
    ap.add_argument("--output", type=Path, help="the results file (default: benchmarks/results/video-DEVICE-DATE.md)")
    args = ap.parse_args()
    clips = {"pan": pan_clip(args.frames, args.size), "moving object": object_clip(args.frames, args.size),
             "cut": cut_clip(args.frames, args.size)}
    rows = []
    for preset in args.presets:
        for name, frames in clips.items():
            rows += judge(f"{preset}, {name}", frames, {"preset": preset, "coarse": args.coarse, "noise": args.noise},
                          SHARED / "styles" / f"{preset}.jpg", args.temporal_weight)
            print(rows[-1], flush=True)
    if args.optimizer:
        small = {k: [np.asarray(Image.fromarray(f).resize((128, 96))) for f in v[:8]] for k, v in clips.items()}
        opt = {"styles": [SHARED / "styles" / "starry_night.jpg"], "options": restyle.Options(iterations=40, seed=0)}
        for name in ("pan", "moving object"):
            rows += judge(f"optimizer (starry_night, 40 its), {name}", small[name], opt,
                          SHARED / "styles" / "starry_night.jpg", args.temporal_weight)
            print(rows[-1], flush=True)
    parts = ablation(clips["pan"], args.presets[0]) if args.ablation else []
    timing = "not measured (--no-speed)"
    if not args.no_speed:
        with tempfile.TemporaryDirectory() as tmp:
            timing = speed(clips["pan"], args.presets[0], Path(tmp))
    print(timing)
    write(args, rows, timing, parts)


def write(args, rows: list[str], timing: str, parts: list[str]) -> None:
    device = machine()
    path = args.output or \
        ROOT / "benchmarks" / "results" / f"video-{'cuda' if torch.cuda.is_available() else 'cpu'}-{date.today()}.md"
    cmd = "python benchmarks/video.py " + " ".join(sys.argv[1:])
    path.write_text(
        f"# `restyle video`: temporal consistency\n\n{device}, torch {torch.__version__}, {date.today()}. Command: "
        f"`{cmd}`.\n\nWarping error (Lai et al. 2018; flow and mask on the input frames; lower is steadier) of the "
        "input, of independent frames and of restyle's with `temporal_weight` "
        f"{args.temporal_weight}; the ratios are restyle's over independent frames (bounds: at most 0.35x for "
        "presets, 0.5x for the optimizer, distances within 1.1x). Style and content distances are `restyle "
        "score`'s at 256 px over every fourth frame: restyle's own measure.\n\n"
        "| clip | input | independent | restyle | error ratio | style distance | content distance |\n"
        "|---|---|---|---|---|---|---|\n" + "\n".join(rows) + f"\n\nSpeed: {timing}.\n" + (
            "\nEach part alone (`--ablation`; ratios to independent frames):\n\n| clip | error ratio | style distance "
            "| content distance |\n|---|---|---|---|\n" + "\n".join(parts) + "\n" if parts else ""))
    print("wrote", path)


if __name__ == "__main__":
    main()
