"""``edossier cleanup``: upright, straight, clean page images, to look at or to feed another tool."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from edossier.pipeline.cleanup import clean_file
from edossier.pipeline.cli.app import JsonOption, app, console, print_json, settings_for


@app.command("cleanup")
def cleanup(
    input_file: Annotated[Path, typer.Argument(help="PDF, PNG, JPEG or TIFF file")],
    out_dir: Annotated[Path, typer.Option("-o", "--output", help="folder for the cleaned page images")],
    password: Annotated[str | None, typer.Option("--password", help="password of an encrypted PDF")] = None,
    json_out: JsonOption = False,
) -> None:
    """Turn pages upright, straighten them and write kept and recognition images to OUT_DIR."""
    rows = clean_file(input_file, settings_for(), out_dir, password)
    if json_out:
        print_json({"pages": rows})
        return
    for row in rows:
        blank = "  blank" if row["blank"] else ""
        console.print(
            f"page {row['page']}: turned {row['rotation']}° clockwise, skew {row['skew_degrees']:+.2f}°{blank}"
            f"  -> {row['output']}",
            markup=False,
        )
