"""``edossier process``: the clerk's main job, materials in, signed dossier out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from edossier.pipeline.case_hold import holding_case
from edossier.pipeline.cli.app import (
    JsonOption, SplitOption, StoreOption, app, console, print_json, settings_for, split_setting, warn,
)
from edossier.pipeline.process import Material, process_case
from edossier.storage import Store, open_store
from edossier.storage.layout import dossier_key
from edossier.storage.manifest import read_manifest
from edossier.casenumber import CaseNumber
from edossier.types import Document


def catalogue_facts(store: Store, case: CaseNumber, version: int) -> list[dict[str, Any]]:
    """Per catalogue entry of VERSION (same order), where its pages came from and what cataloguing read."""
    documents = [Document.model_validate(d) for d in read_manifest(store, case, version).documents]
    return [
        {
            "source_file": doc.source_file,
            "source_pages": list(doc.source_pages),
            "date": doc.date,
            "author": doc.author,
            "boundary_confidence": doc.boundary_confidence,
        }
        for doc in documents
    ]


@app.command("process")
def process(
    inputs: Annotated[list[Path], typer.Argument(help="PDF, OFD, Word/WPS (.docx .doc .wps), RTF, ODT, PNG, JPEG, TIFF or HEIC files, one document each")],
    case: Annotated[str, typer.Option("--case", help="case number (案号)")],
    doc_type: Annotated[
        str | None, typer.Option("--type", help="document type for every input (skips classification)")
    ] = None,
    engine: Annotated[str | None, typer.Option("--engine", help="OCR engine: tesseract or rapidocr")] = None,
    password: Annotated[str | None, typer.Option("--password", help="password of encrypted PDFs")] = None,
    split: SplitOption = None,
    store: StoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """OCR, classify, bind and sign INPUTS into the case's next dossier version."""
    overrides: dict[str, dict[str, str]] = {"ocr": {"engine": engine}} if engine else {}
    settings = settings_for(store, **overrides, **split_setting(split))
    case_number = CaseNumber.parse(case)
    target = open_store(settings.store_uri, settings.storage)
    materials = [Material(path=path, declared_type=doc_type) for path in inputs]
    progress = None if json_out else (lambda message: console.print(f"  {message}", markup=False))
    with holding_case(settings, case_number.normalized, "filing"):  # no submission of the case publishes meanwhile
        result = process_case(
            materials, case, settings, store=target, password=password, progress=progress, warn=warn
        )
    pdf = target.locate(dossier_key(case_number, result.version, result.pdf_sha256))
    if json_out:
        print_json(
            {
                "case": result.case,
                "version": result.version,
                "pages": result.pages,
                "documents": [
                    {k: v for k, v in e.model_dump().items() if k != "needs_review"}
                    | {"needs_review": e.needs_review}
                    | found
                    for e, found in zip(result.documents, catalogue_facts(target, case_number, result.version),
                                        strict=True)
                ],
                "pdf": pdf,
            }
        )
        return
    console.print(f"case {result.case}: version {result.version}, {result.pages} pages", markup=False)
    for entry in result.documents:
        review = "  (needs review)" if entry.needs_review else ""
        console.print(
            f"  p.{entry.first_page}-{entry.last_page}  {entry.type}  {entry.title}{review}", markup=False
        )
    console.print(f"dossier: {pdf}", markup=False)
