"""Helpers for the classifier tests: the mini corpus and born-digital PDFs (data_dir is in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pymupdf

MINI_CORPUS = Path(__file__).resolve().parents[1] / "data" / "classify" / "mini-corpus"


def corpus_text(rel: str) -> str:
    return (MINI_CORPUS / rel).read_text("utf-8")


def text_pdf(path: Path, text: str) -> Path:
    """A born-digital PDF whose text layer is TEXT (PyMuPDF's built-in CJK font)."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), text, fontname="china-s", fontsize=11)
    doc.save(path)
    doc.close()
    return path
