"""A batch of presets against the network's own time, and the Ray backend against the local one.

    python benchmarks/batch.py --photos 200 --size 512              # local: batch time / network time
    python benchmarks/batch.py --photos 200 --size 512 --ray        # and a local Ray cluster (needs restyle[ray])
    python benchmarks/batch.py --plan 20000                         # the driver's planning of 20k jobs

The photos are made from ../shared/images/content (or --source) by random crops and resizes, as JPEGs of long
side --size. The network's time is ``StyleModel.frame`` over the photos decoded beforehand, in the same run.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

import restyle
from restyle.batch.run import run_batch

ROOT = Path(__file__).resolve().parents[1]


def make_photos(source: Path, folder: Path, count: int, size: int, seed: int = 0) -> list[Path]:
    """``count`` JPEGs of long side ``size``: random crops (half to all of each side) of the source photos."""
    rng = random.Random(seed)
    originals = [Image.open(p).convert("RGB") for p in sorted(source.iterdir()) if p.suffix in (".jpg", ".png")]
    out = []
    for i in range(count):
        img = originals[i % len(originals)]
        w, h = img.size
        cw, ch = int(w * rng.uniform(0.5, 1)), int(h * rng.uniform(0.5, 1))
        x, y = rng.randrange(w - cw + 1), rng.randrange(h - ch + 1)
        crop = img.crop((x, y, x + cw, y + ch))
        crop.thumbnail((size, size), Image.LANCZOS) if max(crop.size) > size else None
        scale = size / max(crop.size)
        crop = crop.resize((max(1, round(crop.width * scale)), max(1, round(crop.height * scale))), Image.LANCZOS)
        out.append(folder / f"photo{i:04d}.jpg")
        crop.save(out[-1], quality=90)
    return out


def network_seconds(preset: str, photos: list[Path], device: str) -> float:
    """Seconds ``StyleModel.frame`` takes over the photos, decoded beforehand (after one warm-up)."""
    model = restyle.load_model(preset=preset, device=device)
    frames = [np.asarray(Image.open(p).convert("RGB")) for p in photos]
    model.frame(frames[0])
    start = time.perf_counter()
    for f in frames:
        model.frame(f)
    return time.perf_counter() - start


def stage_seconds(photos: list[Path], fmt: str) -> tuple[float, float]:
    """(decoding, encoding) seconds for the photos, one thread, as the batch does them."""
    from restyle.core.images import save_image, to_pil
    from restyle.feedforward.runtime import read_photo
    start = time.perf_counter()
    tensors = [read_photo(p) for p in photos]
    decode = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        for i, t in enumerate(tensors):
            save_image(to_pil(t), Path(tmp) / f"{i}.{fmt}")
        return decode, time.perf_counter() - start


def planning(count: int, tmp: Path, source: Path) -> None:
    """Time and memory to plan ``count`` jobs (hard links to one photo; the batch stopped before any painting),
    and a 12-megapixel camera photo's decoding to 512 px."""
    import threading
    import tracemalloc

    from restyle.feedforward.runtime import read_photo
    folder = tmp / "many"
    folder.mkdir()
    photo = make_photos(source, tmp, 1, 512)[0]
    for i in range(count):
        os.link(photo, folder / f"p{i:06d}.jpg")
    stop = threading.Event()
    stop.set()
    start = time.perf_counter()
    run_batch([str(folder)], tmp / "out", ["starry_night"], cancel=stop)
    seconds = time.perf_counter() - start
    tracemalloc.start()
    run_batch([str(folder)], tmp / "out", ["starry_night"], cancel=stop)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    print(f"planning {count} jobs: {seconds:.1f} s; Python objects at the peak {peak:.0f} MB")
    camera = Image.open(sorted(source.glob("*.jpg"))[0]).convert("RGB").resize((4000, 3000), Image.BICUBIC)
    camera.save(tmp / "camera.jpg", quality=90)
    start = time.perf_counter()
    for _ in range(5):
        read_photo(tmp / "camera.jpg", size=512)
    print(f"a 4000x3000 JPEG read and resized to 512 px: {(time.perf_counter() - start) / 5 * 1000:.0f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--photos", type=int, default=200)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--preset", default="starry_night")
    ap.add_argument("--format", default="png")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "images" / "content")
    ap.add_argument("--ray", action="store_true", help="also on a local Ray cluster, outputs compared")
    ap.add_argument("--plan", type=int, metavar="N", help="only time the planning of N jobs")
    args = ap.parse_args()
    if args.plan:
        with tempfile.TemporaryDirectory() as tmp:
            return planning(args.plan, Path(tmp), args.source)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        photos = make_photos(args.source, folder, args.photos, args.size)
        net = network_seconds(args.preset, photos, args.device)
        start = time.perf_counter()
        summary = run_batch([str(folder)], Path(tmp) / "local", [args.preset], format=args.format,
                            device=args.device)
        local = time.perf_counter() - start
        assert summary.ok and summary.done == args.photos, summary.line()
        decode, encode = stage_seconds(photos, args.format)
        n = args.photos
        print(f"{n} photos, long side {args.size}, preset {args.preset}, {args.format}")
        print(f"network alone (StyleModel.frame, decoded photos): {net:.1f} s, {n / net:.2f} images/s")
        print(f"restyle batch (local): {local:.1f} s, {n / local:.2f} images/s, {local / net:.3f}x the network")
        print(f"  one thread would add: decoding {decode:.1f} s, encoding {encode:.1f} s "
              f"({(decode + encode) / net:.0%} of the network's time)")
        if args.ray:
            _ray(folder, Path(tmp), args, local)


def _ray(folder: Path, tmp: Path, args, local: float) -> None:
    """The same batch on a local Ray cluster started here: start-up, total, per job, and the outputs compared."""
    import ray
    start = time.perf_counter()
    ray.init(include_dashboard=False, log_to_driver=False)
    startup = time.perf_counter() - start
    resources = ray.cluster_resources()
    start = time.perf_counter()
    summary = run_batch([str(folder)], tmp / "ray", [args.preset], format=args.format, device=args.device,
                        backend="ray")
    total = time.perf_counter() - start
    ray.shutdown()
    assert summary.ok, summary.line()
    worst = 0
    for path in (tmp / "local").rglob(f"*.{args.format}"):
        a = np.asarray(Image.open(path), np.int16)
        b = np.asarray(Image.open(tmp / "ray" / path.relative_to(tmp / "local")), np.int16)
        worst = max(worst, int(np.abs(a - b).max()))
    n = args.photos
    print(f"ray (local cluster, {resources.get('CPU', 0):g} CPUs, {resources.get('GPU', 0):g} GPUs): "
          f"ray.init {startup:.1f} s; the batch {total:.1f} s, {n / total:.2f} images/s "
          f"({total / local:.2f}x local); outputs differ from local's by at most {worst} levels of 255")


if __name__ == "__main__":
    main()
