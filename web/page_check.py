"""A submission's pages counted, and its blank ones found, before any OCR or binding.

Both are cheap on purpose: counting reads the PDF's page tree only, and a page
is found blank from its structure (PyMuPDF), not by rendering: its content
stream is empty, or it shows no text, no image and no vector drawing.  So a
3,000-page PDF of nothing is counted and found blank in about a second, where
reading it through the pipeline (render, OCR) would take many minutes, and it
can be held for a clerk instead of being sealed in a write-once dossier.

A scan of blank paper (an image on the page) is not blank by this test; the
pipeline's own blank detection (ingest/blank.py) flags such pages one by one
when the submission is processed.
"""

from __future__ import annotations

from pathlib import Path

import pymupdf
from PIL import Image

from edossier.errors import InputFileError

# Uploads are untrusted: the InputFileError below says what is wrong with a damaged one, MuPDF's own
# messages about it are not for the server's log (intake turns them off the same way, ingest/pdf_pages.py).
pymupdf.TOOLS.mupdf_display_errors(False)
_COUNTED = frozenset({"application/pdf", "image/png", "image/jpeg", "image/tiff"})


def count_pages(path: Path, media_type: str, name: str) -> int:
    """Pages of the upload at PATH (NAME as the submitter sent it, for the error); an image counts its frames."""
    if media_type not in _COUNTED:
        return 1  # OFD, Word, HEIC: their pages are known only once converted; the pipeline's limits apply then
    try:
        if media_type == "application/pdf":
            with pymupdf.open(path) as doc:
                return int(doc.page_count)
        with Image.open(path) as image:
            return int(getattr(image, "n_frames", 1))
    except (RuntimeError, ValueError, OSError) as exc:  # PyMuPDF raises FileDataError (a RuntimeError)
        raise InputFileError(name, f"cannot be opened: {exc}") from None


def blank_pages(path: Path, media_type: str) -> int:
    """How many pages of the PDF at PATH would print nothing; images are left to the pipeline (0)."""
    if media_type != "application/pdf":
        return 0
    with pymupdf.open(path) as doc:
        if doc.needs_pass:
            return 0  # the pipeline refuses an encrypted file with its own reason
        return sum(1 for page in doc if _blank(page))


def _blank(page: pymupdf.Page) -> bool:
    if not page.read_contents().strip():
        return True
    return not (page.get_images() or page.get_text("text").strip() or page.get_drawings())
