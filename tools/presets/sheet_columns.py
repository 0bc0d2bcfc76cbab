"""Several models' results side by side: the model columns of `presets.py quality --images` sheets, one sheet.

    python tools/presets/sheet_columns.py OUT.jpg --sheets SHIPPED/ A/ B/ --rows the_scream:1 great_wave:3

Each DIR holds the sheets of one `presets.py quality --images DIR` run on the same photos (a row a photo; columns
photo, optimizer, model, 256 px cells). A row STYLE:I is photo I of STYLE's sheets: the photo and the optimizer's
result from the first DIR, then each DIR's model, in the order given.
"""
import argparse
from pathlib import Path

from PIL import Image

CELL = 256  # presets.py's sheet cell


def cell(sheet: Path, col: int, row: int) -> Image.Image:
    """One 256 px cell of a sheet."""
    return Image.open(sheet).crop((col * CELL, row * CELL, (col + 1) * CELL, (row + 1) * CELL))


def row_cells(dirs: list[Path], style: str, i: int) -> list[Image.Image]:
    """Photo I of STYLE: the photo, the optimizer's result, then each folder's model."""
    return [cell(dirs[0] / f"{style}.jpg", c, i) for c in (0, 1)] + [cell(d / f"{style}.jpg", 2, i) for d in dirs]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="the sheet to write (.jpg or .png)")
    ap.add_argument("--sheets", type=Path, nargs="+", required=True, help="folders of presets.py quality --images")
    ap.add_argument("--rows", nargs="+", required=True, help="STYLE:I, photo I (from 0) of STYLE's sheets")
    args = ap.parse_args()
    rows = [(spec.rpartition(":")[0], int(spec.rpartition(":")[2])) for spec in args.rows]
    sheet = Image.new("RGB", ((2 + len(args.sheets)) * CELL, len(rows) * CELL), "white")
    for r, (style, i) in enumerate(rows):
        for c, im in enumerate(row_cells(args.sheets, style, i)):
            sheet.paste(im, (c * CELL, r * CELL))
    sheet.save(args.out, quality=85)
    print(args.out, sheet.size)


if __name__ == "__main__":
    main()
