"""``edossier classify``, ``relabel`` and ``train-classifier``: document types outside a run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from edossier.pipeline.classification import classify_file, relabel, train_classifier
from edossier.pipeline.cli.app import JsonOption, StoreOption, app, console, print_json, settings_for


@app.command("classify")
def classify(
    input_file: Annotated[Path, typer.Argument(metavar="INPUT", help="text file, image or PDF (OCRed first)")],
    engine: Annotated[str | None, typer.Option("--engine", help="OCR engine: tesseract or rapidocr")] = None,
    json_out: JsonOption = False,
) -> None:
    """Document type (with confidence) and metadata: case numbers, court, parties, dates, cause."""
    settings = settings_for(None, **({"ocr": {"engine": engine}} if engine else {}))
    result = classify_file(input_file, settings)
    if json_out:
        print_json(result)
        return
    review = "  (needs review)" if result["needs_review"] else ""
    console.print(f"{input_file}: {result['type']}  confidence {result['confidence']:.2f}{review}", markup=False)
    for key in ("case_numbers", "court", "cause", "dates"):
        if result[key]:
            value = "、".join(result[key]) if isinstance(result[key], list) else result[key]
            console.print(f"  {key}: {value}", markup=False)
    for party in result["parties"]:
        of = f" (for {party['agent_of']})" if party["agent_of"] else ""
        console.print(f"  {party['role']}: {party['name']}{of}", markup=False)


@app.command("relabel")
def relabel_cmd(
    case: Annotated[str, typer.Argument(help="case number (案号)")],
    doc: Annotated[str, typer.Argument(help="catalogue position (1, 2, …) or source hash prefix")],
    doc_type: Annotated[str, typer.Argument(metavar="TYPE", help="the correct document type, e.g. 授权委托书")],
    store: StoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """Record a clerk's correction of a document's type (who, when); training reads it back."""
    result = relabel(case, doc, doc_type, settings_for(store))
    if json_out:
        print_json(result)
        return
    console.print(
        f"case {result['case']}: {result['title']} {result['old_type']} → {result['new_type']} "
        f"(by {result['user']} at {result['time']})",
        markup=False,
    )


@app.command("train-classifier")
def train_classifier_cmd(
    corpus_dir: Annotated[Path, typer.Argument(help="labelled corpus: labels.tsv or docs/<type>/*.txt")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="folder for the model file (default: the package's)")
    ] = None,
    corrections: Annotated[
        bool, typer.Option("--corrections/--no-corrections", help="add clerks' corrections from the store")
    ] = True,
    store: StoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """Train the document-type model (corpus + synthetic top-ups + corrections) into a versioned file."""
    result = train_classifier(corpus_dir, settings_for(store), output, corrections)
    if json_out:
        print_json(result)
        return
    console.print(f"model: {result['model']} ({result['size'] // 1024} KiB)", markup=False)
    console.print(f"examples: {result['examples']}", markup=False)
