"""Regions (a style per region): how well each region takes its own painting, whether styles leak across the edge,
how exactly a `none` region keeps the photo, and what regions cost, against single-style runs in the same run.

For each photo (../shared/images/content) and two paintings A and B (../shared/images/styles), with a mask of
two halves (left: A, right: B; then left: A, right: none), the optimizer paints the photo four times at `--size`:
A alone, B alone, the two regions, and A with the right kept. Each half is judged alone by cropping it, `--margin`
pixels away from the edge, with `restyle score`'s style distance (the crop's own size): the region's distance to
its painting against the single-style run's on the same crop (bound: <= 1.2x), and to the other painting (no
leaking: further); the kept half's mean absolute error to the photo (bound: <= 0.04 in 0..1); the two-region run's
time against the single-style run's (bound: <= 1.2x). The same checks for the presets (feed-forward: each model's
painting mixed by the mask) where a preset exists for both paintings. Writes results/regions-cpu-<date>.md and a
picture of every result (results/regions-cpu-<date>.jpg) to look at the edges.

    python benchmarks/regions.py --size 256 --iterations 200
    python benchmarks/regions.py --cost --size 512 --iterations 20   # the cost alone, runs alternated, medians
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import restyle  # noqa: E402
from benchmarks.compare import machine  # noqa: E402
from restyle.core.images import load_image, resize, to_uint8  # noqa: E402
from restyle.feedforward.modelfile import presets  # noqa: E402
from restyle.feedforward.regions import RegionModels  # noqa: E402

SHARED = ROOT.parent / "shared" / "images"
TRIPLES = [("tubingen.jpg", "starry_night.jpg", "the_scream.jpg"),
           ("golden_gate_bridge.jpg", "great_wave.jpg", "impression_sunrise.jpg"),
           ("beach_city.jpg", "la_grande_jatte.jpg", "composition_vii.jpg")]


def halves(size: tuple[int, int]) -> np.ndarray:
    """A mask of two halves: black on the left, white on the right."""
    h, w = size
    mask = np.zeros((h, w), np.uint8)
    mask[:, w // 2:] = 255
    return mask


def crops(image: np.ndarray, margin: int) -> tuple[np.ndarray, np.ndarray]:
    """The left and right halves of ``image``, each ``margin`` px away from the middle."""
    w = image.shape[1]
    return image[:, : w // 2 - margin], image[:, w // 2 + margin:]


def distance(image: np.ndarray, photo: np.ndarray, painting: Path) -> float:
    """restyle score's style distance of ``image`` to ``painting``, at the image's own size."""
    return restyle.Scorer(photo, painting, size=max(image.shape[:2]), device="cpu")(image).style


def judge(name: str, runs: dict[str, np.ndarray], photo: np.ndarray, a: Path, b: Path, margin: int) -> dict:
    """The region checks of one photo's results (``runs``: "A", "B", "AB", "A-none")."""
    (pl, pr), (al, _), (_, br) = crops(photo, margin), crops(runs["A"], margin), crops(runs["B"], margin)
    abl, abr = crops(runs["AB"], margin)
    out = {"name": name,
           "left_ratio": distance(abl, pl, a) / distance(al, pl, a), "right_ratio": distance(abr, pr, b) /
           distance(br, pr, b), "left_own": distance(abl, pl, a), "left_other": distance(abl, pl, b),
           "right_own": distance(abr, pr, b), "right_other": distance(abr, pr, a)}
    kept = crops(runs["A-none"], margin)[1]
    out["kept_mae"] = float(np.abs(kept.astype(np.float64) - pr).mean() / 255)
    return out


def optimizer_runs(photo: Path, a: Path, b: Path, args) -> tuple[dict, dict]:
    """(images, seconds) of the optimizer's four runs."""
    common = dict(size=args.size, iterations=args.iterations, device="cpu", seed=0)
    runs, seconds = {}, {}
    mask = halves(_shape(Image.open(photo).size, args.size))
    for key, kw in (("A", dict(styles=a)), ("B", dict(styles=b)), ("AB", dict(regions={"0": a, "255": b})),
                    ("A-none", dict(regions={"0": a, "255": "none"}))):
        start = time.perf_counter()
        styles = kw.pop("styles", None)
        image = restyle.stylize(photo, styles, mask=mask if "regions" in kw else None, **kw, **common)
        seconds[key] = time.perf_counter() - start
        runs[key] = np.asarray(image)
    return runs, seconds


def preset_runs(photo: Path, a: str, b: str, size: int) -> tuple[dict, dict]:
    """(images, seconds) of the presets' four paintings (each model's painting, and the two mixed by regions)."""
    models = {n: restyle.load_model(preset=n, device="cpu") for n in (a, b)}
    mask = halves(_shape(Image.open(photo).size, size))
    runs, seconds = {}, {}
    for key, painter in (("A", models[a]), ("B", models[b]), ("AB", RegionModels({"0": models[a], "255": models[b]},
                                                                                   mask)),
                         ("A-none", RegionModels({"0": models[a], "255": "none"}, mask))):
        painter(photo, size=size)  # warm
        start = time.perf_counter()
        runs[key] = np.asarray(painter(photo, size=size))
        seconds[key] = time.perf_counter() - start
    return runs, seconds


def _shape(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    w, h = size
    scale = long_side / max(w, h)
    return max(1, round(h * scale)), max(1, round(w * scale))


def row(engine: str, j: dict, seconds: dict) -> str:
    leak = "no" if j["left_own"] < j["left_other"] and j["right_own"] < j["right_other"] else "**yes**"
    return (f"| {engine} | {j['name']} | {j['left_ratio']:.2f}x | {j['right_ratio']:.2f}x | "
            f"{j['left_own']:.3g} / {j['left_other']:.3g} | {j['right_own']:.3g} / {j['right_other']:.3g} | {leak} | "
            f"{j['kept_mae']:.4f} | {seconds['AB'] / seconds['A']:.2f}x ({seconds['AB']:.1f} / {seconds['A']:.1f} s) |")


def cost(args) -> None:
    """The optimizer's time with two regions (and with one region and the photo kept) against a single style on
    the first photo: runs alternated, ``--repeats`` of each, medians."""
    photo, a, b = (SHARED / d / n for d, n in zip(("content", "styles", "styles"), TRIPLES[0]))
    mask = halves(_shape(Image.open(photo).size, args.size))
    common = dict(size=args.size, iterations=args.iterations, device="cpu", seed=0)
    runs = {"single": dict(styles=a), "two regions": dict(regions={"0": a, "255": b}, mask=mask),
            "one region, one kept": dict(regions={"0": a, "255": "none"}, mask=mask)}
    times = {k: [] for k in runs}
    for _ in range(args.repeats):
        for key, kw in runs.items():
            kw = dict(kw)
            start = time.perf_counter()
            restyle.stylize(photo, kw.pop("styles", None), **kw, **common)
            times[key].append(time.perf_counter() - start)
    base = float(np.median(times["single"]))
    for key, t in times.items():
        print(f"| {key} | {np.median(t):.2f} s | {np.median(t) / base:.2f}x |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--iterations", type=int, default=200)
    p.add_argument("--margin", type=int, default=24)
    p.add_argument("--cost", action="store_true", help="only the cost: single style against regions, alternated")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / f"regions-cpu-{date.today()}"))
    args = p.parse_args()
    if args.cost:
        return cost(args)
    rows, tiles = [], []
    for photo_name, a_name, b_name in TRIPLES:
        photo, a, b = SHARED / "content" / photo_name, SHARED / "styles" / a_name, SHARED / "styles" / b_name
        small = to_uint8(resize(load_image(photo), _shape(Image.open(photo).size, args.size)))
        runs, seconds = optimizer_runs(photo, a, b, args)
        rows.append(row("optimizer", judge(f"{photo.stem}: {a.stem} / {b.stem}", runs, small, a, b, args.margin),
                        seconds))
        tiles.append([small] + [runs[k] for k in ("A", "B", "AB", "A-none")])
        if a.stem in presets() and b.stem in presets():
            runs, seconds = preset_runs(photo, a.stem, b.stem, args.size)
            rows.append(row("presets", judge(f"{photo.stem}: {a.stem} / {b.stem}", runs, small, a, b, args.margin),
                            seconds))
            tiles.append([small] + [runs[k] for k in ("A", "B", "AB", "A-none")])
        print(rows[-1], flush=True)
    _write(args, rows, tiles)


def _write(args, rows: list[str], tiles: list[list[np.ndarray]]) -> None:
    out = Path(args.output)
    command = f"python benchmarks/regions.py --size {args.size} --iterations {args.iterations} --margin {args.margin}"
    text = [f"# Regions, {date.today()}", "", f"{machine()}; `{command}`.", "",
            "Mask: left half A, right half B (then right half kept). Each half judged alone, cropped "
            f"{args.margin} px away from the edge, by `restyle score`'s style distance at the crop's own size. "
            "Ratio: the two-region run's distance to the half's painting over the single-style run's on the same "
            "crop (bound: <= 1.2x). Own / other: the half's distance to its painting and to the other one (no leak: "
            "own < other). Kept: the kept half's mean absolute error to the photo, 0..1 (bound: <= 0.04). Cost: the "
            "two-region run's time over the single-style run's (bound: <= 1.2x; for presets, two models paint).",
            "", "| engine | photo: A / B | left ratio | right ratio | left own / other | right own / other | leak | "
            "kept MAE | cost |", "|---|---|---|---|---|---|---|---|---|", *rows, ""]
    out.with_suffix(".md").write_text("\n".join(text))
    h = min(t[0].shape[0] for t in tiles)
    strips = [np.concatenate([np.asarray(Image.fromarray(i).resize((round(i.shape[1] * h / i.shape[0]), h)))
                              for i in t], 1) for t in tiles]
    w = max(s.shape[1] for s in strips)
    sheet = np.concatenate([np.pad(s, ((0, 4), (0, w - s.shape[1]), (0, 0)), constant_values=255) for s in strips])
    Image.fromarray(sheet).save(out.with_suffix(".jpg"), quality=88)
    print("wrote", out.with_suffix(".md"), out.with_suffix(".jpg"))


if __name__ == "__main__":
    main()
