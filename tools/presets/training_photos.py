"""Assemble the folder of photos the presets are trained on: ../shared/images/content less the held-out
photos, plus scikit-image's bundled photos (pip install scikit-image).

    python tools/presets/training_photos.py .train/photos
"""

import argparse
import shutil
from pathlib import Path

#: Judged on, never trained on.
HELD_OUT = {"tubingen.jpg", "golden_gate_bridge.jpg", "columns.jpg"}
#: scikit-image's bundled photos that are not already in ../shared/images/content.
SKIMAGE = ["brick.png", "camera.png", "cell.png", "clock_motion.png", "coins.png", "grass.png", "gravel.png",
           "hubble_deep_field.jpg", "ihc.png", "moon.png", "motorcycle_left.png", "page.png", "retina.jpg",
           "text.png"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[3] / "shared" / "images"))
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
    print(f"{len(list(out.iterdir()))} photos in {out}")


if __name__ == "__main__":
    main()
