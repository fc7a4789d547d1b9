"""Decide whether a PDF page's own text layer can be trusted instead of OCR.

Born-digital pages keep their text and are bound as they are.  But many PDFs
carry text that does not read: fonts without a Unicode mapping give replacement
characters, private-use code points or glyph ids read as code points, and a
byte-swapped layer (UTF-16 read the wrong way round) turns "This" into "吀栀椀猀".
Such pages must be OCRed.  Being letters is not enough (byte-swapped ASCII lands
in the CJK block, all letters), so the text must also read as a language would:
its Chinese characters mostly ones in everyday use (GB 2312's first level, the
3,755 characters that make up ~99.7% of running simplified text, or Big5's
5,401 frequent traditional ones),
and its letters from few scripts.

A short text layer (a page number, a few words under a form) is trusted too when
it reads and no image covers the page: rasterising such a page and calling it
blank lost its text.  Over a page-size image a short layer is not the page's
text (a scan with a stamp or a page number added as text): the page is OCRed.
"""

from __future__ import annotations

import unicodedata

import pymupdf

MIN_CHARACTERS = 20
"""A text layer this long is the page's text if it reads, whatever the page holds besides."""
MIN_PLAUSIBLE_SHARE = 0.9
MIN_COMMON_HAN_SHARE = 0.9
MAX_SCRIPTS = 3
"""Letters of more scripts than this on one page (Latin, Han, Cyrillic, Greek, ...) are glyph ids, not text."""
IMAGE_COVER = 0.5
"""An image over this share of the page makes it a scan, which a short text layer does not describe."""


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


def common_han_share(text: str) -> float:
    """Share of the Han characters in TEXT in everyday use (GB 2312 level 1 or Big5 frequent); 1 without any."""
    han = [ch for ch in text if unicodedata.name(ch, "").startswith("CJK UNIFIED IDEOGRAPH")]
    if not han:
        return 1.0
    return sum(1 for ch in han if _lead_byte(ch, "gb2312") in GB2312_LEVEL1 or _lead_byte(ch, "big5") in BIG5_FREQUENT) / len(han)


GB2312_LEVEL1 = range(0xB0, 0xD8)
BIG5_FREQUENT = range(0xA4, 0xC7)


def _lead_byte(ch: str, codec: str) -> int | None:
    try:
        return ch.encode(codec)[0]
    except UnicodeEncodeError:
        return None


def scripts(text: str) -> set[str]:
    """The scripts of TEXT's letters, by the first word of their Unicode names (LATIN, CJK, CYRILLIC...)."""
    found = set()
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "UNKNOWN")
            found.add("CJK" if name.startswith(("CJK", "IDEOGRAPHIC")) else name.split()[0])
    return found


def reads_as_text(text: str) -> bool:
    """Whether TEXT (whitespace removed) reads as a language would: see the module's docstring."""
    return (
        bool(text)
        and plausible_share(text) >= MIN_PLAUSIBLE_SHARE
        and common_han_share(text) >= MIN_COMMON_HAN_SHARE
        and len(scripts(text)) <= MAX_SCRIPTS
    )


def has_good_text_layer(page: pymupdf.Page) -> bool:
    text = page.get_text("text")
    stripped = "".join(text.split())
    if not reads_as_text(stripped):
        return False
    return len(stripped) >= MIN_CHARACTERS or not _covered_by_image(page)


def _covered_by_image(page: pymupdf.Page) -> bool:
    area = abs(page.rect)
    return any(abs(pymupdf.Rect(info["bbox"]) & page.rect) > IMAGE_COVER * area for info in page.get_image_info())
