"""Classification jobs outside a dossier run: classify one file, relabel, retrain.

``classify_file`` reads and OCRs an input the way ``process`` does and shares its
classification hook (so a classified marking is refused and quarantined here
too); ``relabel`` seals a clerk's correction in the store; ``train_classifier``
feeds the corpus, synthetic top-ups and every stored correction to training.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from pathlib import Path
from typing import Any

from edossier.casenumber import CaseNumber
from edossier.classify.doctypes import load_doctypes
from edossier.classify.metadata import extract_metadata
from edossier.classify.model import packaged_models_dir
from edossier.classify.synthetic import synthetic_examples
from edossier.classify.training import Example, model_file_name, read_corpus, train
from edossier.config import Settings
from edossier.errors import InputFileError, NotFoundError
from edossier.ocr import create_engine
from edossier.pipeline.audit_trail import record as audit
from edossier.pipeline.page_ocr import ocr_material
from edossier.pipeline.steps import Material, classify_document
from edossier.storage import Store, open_store
from edossier.storage.corrections import list_corrections, put_correction
from edossier.storage.manifest import read_manifest
from edossier.types import Document, SourceFile, sha256_file

TEXT_SUFFIXES = (".txt", ".text")


def read_text(path: Path, settings: Settings) -> tuple[SourceFile, str]:
    """The text of INPUT: a UTF-8 text file as is, a PDF or image through ingest and OCR."""
    if not path.is_file():
        raise InputFileError(path, "no such file")
    if path.suffix.lower() in TEXT_SUFFIXES:
        try:
            text = path.read_text("utf-8")
        except UnicodeDecodeError as exc:
            raise InputFileError(path, f"not UTF-8 text ({exc.reason})") from None
        source = SourceFile(path=path, sha256=sha256_file(path), size=path.stat().st_size,
                            media_type=mimetypes.guess_type(path.name)[0] or "text/plain", title=path.stem)
        return source, text
    work_dir = settings.work_dir
    work_dir.mkdir(parents=True, exist_ok=True)
    read = ocr_material(Material(path=path), settings, create_engine(settings.ocr))
    return read.source, "\n".join((o.text if o else p.text) for p, o in zip(read.pages, read.ocr, strict=True))


def classify_file(path: Path, settings: Settings) -> dict[str, Any]:
    source, text = read_text(path, settings)
    classification = classify_document(text, None, settings, source)
    metadata = extract_metadata(text)
    return {
        "type": classification.type,
        "confidence": classification.confidence,
        "needs_review": classification.needs_review,
        "method": classification.method,
        "title": classification.title,
        "case_numbers": list(metadata.case_numbers),
        "court": metadata.court,
        "parties": metadata.as_dict()["parties"],
        "dates": list(metadata.dates),
        "cause": metadata.cause,
    }


def relabel(case_text: str, doc: str, new_type: str, settings: Settings, store: Store | None = None) -> dict[str, Any]:
    """Record that document DOC (catalogue position or source hash prefix) of CASE is of NEW_TYPE."""
    labels = [t.label for t in load_doctypes()]
    if new_type not in labels:
        raise NotFoundError(f"unknown document type {new_type!r} (known: {'、'.join(labels)})")
    case = CaseNumber.parse(case_text)
    store = store or open_store(settings.store_uri, settings.storage)
    manifest = read_manifest(store, case)
    documents = [Document.model_validate(record) for record in manifest.documents]
    if doc.isdigit() and 1 <= int(doc) <= len(documents):
        document = documents[int(doc) - 1]
    else:
        hits = [d for d in documents if len(doc) >= 8 and d.source_sha256.startswith(doc.lower())]
        if len(hits) != 1:
            raise NotFoundError(
                f"case {case}: no single document {doc!r} in version {manifest.version} "
                f"(give its catalogue position 1-{len(documents)} or at least 8 characters of its hash)"
            )
        document = hits[0]
    now = dt.datetime.now(dt.timezone.utc)
    record = {
        "case": case.normalized,
        "version": manifest.version,
        "source_sha256": document.source_sha256,
        "title": document.title,
        "old_type": document.classification.type,
        "old_confidence": document.classification.confidence,
        "new_type": new_type,
        "user": settings.user,
        "time": now.isoformat(timespec="seconds"),
        "text": document.text,
    }
    key = put_correction(store, case, now.strftime("%Y%m%dT%H%M%S%fZ"), record)
    sealed = store.info(key)
    audit(store, settings.user, "relabel", case.normalized, {key: sealed.sha256 if sealed else ""},
          {"document": document.source_sha256, "old_type": record["old_type"], "new_type": new_type})
    return {k: v for k, v in record.items() if k != "text"} | {"key": key}


def correction_examples(store: Store) -> list[Example]:
    return [
        Example(text=r["text"], label=r["new_type"], origin="correction", name=f"{r['case']}/{r['source_sha256']}")
        for r in list_corrections(store)
        if r.get("text")
    ]


def train_classifier(
    corpus_dir: Path, settings: Settings, output_dir: Path | None = None, use_corrections: bool = True
) -> dict[str, Any]:
    """Train on CORPUS_DIR (+ synthetic top-ups, + stored corrections) and write a versioned model file."""
    real = read_corpus(corpus_dir)
    corrections = correction_examples(open_store(settings.store_uri, settings.storage)) if use_corrections else []
    examples = real + corrections
    examples += synthetic_examples(examples)
    model = train(examples)
    path = model.save((output_dir or packaged_models_dir()) / model_file_name(model))
    return {"model": str(path), "size": path.stat().st_size, "temperature": model.temperature} | model.meta
