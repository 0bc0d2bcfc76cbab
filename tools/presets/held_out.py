"""Assemble the photos no preset was trained or chosen on: photos shipped inside installed packages that
training_photos.py never draws from (Gradio's, with the web extra; matplotlib's, with the bench extra).

    python tools/presets/held_out.py .heldout      # then: presets.py quality --heldout .heldout --heldout-photos ...

Never train on these: training_photos.py takes the shared photos and scikit-image's only.
"""

import argparse
import importlib.util
import shutil
from pathlib import Path

#: (package, path inside it, name in the folder): real photos (Gradio's film still and logos left out).
UNSEEN = [("gradio", "media_assets/images/cheetah.jpg", "cheetah.jpg"),
          ("gradio", "media_assets/images/lion.jpg", "lion.jpg"),
          ("gradio", "media_assets/images/tower.jpg", "tower.jpg"),
          ("gradio", "test_data/cheetah2.jpg", "cheetah_cub.jpg"),
          ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg", "grace_hopper.jpg")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    args = ap.parse_args()
    out = Path(args.folder)
    out.mkdir(parents=True, exist_ok=True)
    for package, inside, name in UNSEEN:
        spec = importlib.util.find_spec(package)
        if spec is None or not (Path(spec.origin).parent / inside).exists():
            print(f"skipped {name}: {package} is not installed (or has no {inside})")
            continue
        shutil.copy(Path(spec.origin).parent / inside, out / name)
    print(" ".join(sorted(p.name for p in out.iterdir())))


if __name__ == "__main__":
    main()
