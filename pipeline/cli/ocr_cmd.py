"""``edossier ocr``: read one image or PDF and print its text (or JSON with lines and boxes)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from edossier.ocr.engine import ENGINES
from edossier.pipeline.cli.app import JsonOption, app, print_json, settings_for
from edossier.pipeline.ocr_file import ocr_file

EngineName = Enum("EngineName", {name: name for name in ("auto", *ENGINES)}, type=str)  # type: ignore[misc]  # members known at run time only


@app.command("ocr")
def ocr(
    input_file: Annotated[Path, typer.Argument(help="an image (PNG, JPEG, TIFF) or a PDF")],
    engine: Annotated[
        EngineName | None, typer.Option("--engine", help="OCR engine (default from config); auto = rapidocr")
    ] = None,
    password: Annotated[str | None, typer.Option("--password", help="password of an encrypted PDF")] = None,
    json_out: JsonOption = False,
) -> None:
    """OCR INPUT_FILE; pages with a good text layer keep their own text."""
    settings = settings_for(None, **({"ocr": {"engine": engine.value}} if engine else {}))
    result = ocr_file(input_file, settings, password)
    pages = result["pages"]
    assert isinstance(pages, list)
    for page in pages:
        if page.get("needs_review"):
            typer.echo(f"{input_file}: page {page['page']} has ink but no text could be read; needs review", err=True)
    if json_out:
        print_json(result)
        return
    typer.echo("\n\f".join(str(page["text"]) for page in pages))
