"""Decide whether a PDF page's own text layer can be trusted instead of OCR.

Born-digital pages keep their text and are bound as they are.  But many PDFs
carry text drawn with fonts that have no Unicode mapping: extraction then gives
replacement characters or private-use code points, and such pages must be OCRed.
"""

from __future__ import annotations

import unicodedata

import pymupdf

MIN_CHARACTERS = 20
MIN_PLAUSIBLE_SHARE = 0.9


def plausible_share(text: str) -> float:
    """Share of non-space characters that are letters, digits or punctuation a reader would expect."""
    chars = [ch for ch in text if not ch.isspace()]
    if not chars:
        return 0.0
    good = sum(1 for ch in chars if _plausible(ch))
    return good / len(chars)


def _plausible(ch: str) -> bool:
    if ch == "\ufffd":
        return False
    category = unicodedata.category(ch)
    if category in ("Co", "Cn", "Cc", "Cs"):
        return False
    return category[0] in "LNPS"


def has_good_text_layer(page: pymupdf.Page) -> bool:
    text = page.get_text("text")
    stripped = "".join(text.split())
    return len(stripped) >= MIN_CHARACTERS and plausible_share(stripped) >= MIN_PLAUSIBLE_SHARE
