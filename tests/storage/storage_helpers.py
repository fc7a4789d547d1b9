"""Helpers shared by the storage tests (plain functions; the fixtures are in conftest.py)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pymupdf
from tests.conftest import SAMPLES

from edossier.casenumber import CaseNumber
from edossier.storage import Store
from edossier.storage.layout import dossier_key, ocr_key, original_key
from edossier.storage.manifest import Manifest, publish
from edossier.storage.store import file_sha256

# read at import, before tests/conftest.py clears EDOSSIER_* for the session
S3_ENDPOINT = os.environ.get("EDOSSIER_TEST_S3_ENDPOINT", "http://127.0.0.1:7480")
S3_ACCESS_KEY = os.environ.get("EDOSSIER_S3_TEST_ACCESS_KEY", "edossier-test")
S3_SECRET_KEY = os.environ.get("EDOSSIER_S3_TEST_SECRET_KEY", "edossier-test-secret")


def unique_case() -> CaseNumber:
    """A case of its own, so tests share one S3 bucket per session (sealed objects never go away)."""
    return CaseNumber.parse(f"（2021）浙0102民初{uuid.uuid4().int % 9_999_999 + 1}号")


def make_pdf(path: Path, text: str) -> Path:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), text)
    doc.save(path)
    return path


def publish_version(store: Store, case: CaseNumber, version: int, workdir: Path) -> Manifest:
    """Publish a small but real version: the sample judgment as original, an OCR record, a PDF."""
    original = SAMPLES / "03-judgment.pdf"
    pdf = make_pdf(workdir / f"v{version}.pdf", f"{case.year} version {version}")
    objects: list[tuple[str, Path | bytes, str]] = [
        (original_key(case, file_sha256(original), ".pdf"), original, "original"),
        (ocr_key(case, "0" * 64, "tesseract"), '{"text": "行政判决书"}'.encode(), "ocr"),
        (dossier_key(case, version, file_sha256(pdf)), pdf, "dossier"),
    ]
    catalogue = [{"title": "判决书", "type": "判决书", "first_page": 1, "last_page": 1, "needs_review": False}]
    return publish(store, case, version, objects, {"bound_by": "test"}, [], catalogue)
