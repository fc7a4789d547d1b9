"""What one OCRed page says about where it sits in a document: layout facts read from line boxes.

A scanned stack has no structure but its pages' look: the title of a new paper
is large and centred near the top, a continued page starts flush left in the
middle of a sentence, a paper's last page ends short with its sign-off (落款)
set to the right, and footers ("第 k 页 共 n 页", "- k -") count the pages of
each paper.  An archive page number stamped in the top-right corner counts the
pages of the whole volume instead.  These facts are read here once per page;
``boundaries`` turns them into a decision.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from dataclasses import dataclass

from edossier.types import OcrLine, OcrPage

_PAGE_OF = re.compile(r"第\s*([0-9]{1,3})\s*页\s*[,，/]?\s*共\s*([0-9]{1,3})\s*页")
_PAGE_OF_SHORT = re.compile(r"^([0-9]{1,3})\s*/\s*([0-9]{1,3})$")
_DASH = re.compile(r"^[-—–－~〜]\s*([0-9]{1,3})\s*[-—–－~〜]$")
_STAMP = re.compile(r"^[0-9]{1,4}$")
_SENTENCE_END = "。！？；：:;!?」』”\"）)"
_SIGNOFF = re.compile(
    r"(审\s*判\s*长|审\s*判\s*员|书\s*记\s*员|人民陪审员|此致|具状人|申请人[：:]|委托人[：:]|代理人[：:]|起诉人|答辩人|"
    r"上诉人[：:]|公证员|律师事务所$|年\s*[0-9〇○零一二三四五六七八九十×X]{1,3}\s*月\s*[0-9〇○零一二三四五六七八九十×X]{1,3}\s*日)"
)
# What only a paper's closing block starts with: the bench's names, the signer, or the 落款 date alone on its line.
# (Party lines such as 申请人： open papers as often as they close them, so they are not here.)
_CLOSING = re.compile(
    r"^(审判长|审判员|代理审判员|人民陪审员|书记员|法官助理|此致|具状人|公证员|"
    r"[0-9〇○零一二三四五六七八九×X]{2,4}年[0-9〇○零一二三四五六七八九十×X]{1,3}月[0-9〇○零一二三四五六七八九十×X]{1,3}日$)"
)
_DATE = re.compile(r"[0-9〇○零一二三四五六七八九×X]{2,4}\s*年\s*[0-9〇○零一二三四五六七八九十×X]{1,3}\s*月")
BLANK_PAGE = (2480.0, 3508.0)  # A4 at 300 dpi
FOOTER_ZONE = 0.9
STAMP_ZONE = (0.75, 0.08)  # right of 75 % of the width, above 8 % of the height


@dataclass(frozen=True)
class PageReading:
    """The facts of one page; ``lines`` are the body lines (no footer, no stamp), top to bottom."""

    lines: tuple[OcrLine, ...]
    width: float
    height: float
    footer: tuple[int, int | None] | None  # (k, n): page k of n (n unknown for "- k -")
    stamp: int | None  # archive page number stamped top right
    left: float  # the text block's left and right edges
    right: float
    line_height: float

    @property
    def blank(self) -> bool:
        return not any(len(line.text.strip()) >= 2 for line in self.lines)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def top_lines(self, count: int = 3) -> tuple[OcrLine, ...]:
        return self.lines[:count]


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def read_page(ocr: OcrPage | None, text: str = "") -> PageReading:
    """The reading of an OCRed page; a born-digital page (no OCR) has its text and no geometry.

    A page without OCR and without text is a blank page (the pipeline does not OCR pages it
    found blank): blank, with the geometry of an empty A4 page, so it can separate documents.
    """
    if ocr is None and not text.strip():
        return PageReading((), *BLANK_PAGE, None, None, 0.08 * BLANK_PAGE[0], 0.92 * BLANK_PAGE[0], 50.0)
    if ocr is None:
        lines = tuple(OcrLine(text=t, box=(0.0, 0.0, 0.0, 0.0), confidence=1.0) for t in text.splitlines() if t.strip())
        return PageReading(lines, 0.0, 0.0, None, None, 0.0, 0.0, 0.0)
    width, height = float(ocr.width or 1), float(ocr.height or 1)
    body: list[OcrLine] = []
    footer: tuple[int, int | None] | None = None
    stamp: int | None = None
    for line in sorted(ocr.lines, key=lambda ln: (ln.box[1], ln.box[0])):
        folded = _fold(line.text).replace(" ", "")
        x0, y0, _, y1 = line.box
        number = folded.rstrip(".,。，、")  # a stamped number read with a speck after it ("7.")
        if y0 > FOOTER_ZONE * height:
            match = _PAGE_OF.search(folded) or _PAGE_OF_SHORT.match(folded)
            dash = _DASH.match(folded)
            if match:
                footer = (int(match.group(1)), int(match.group(2)))
                continue
            if dash:
                footer = (int(dash.group(1)), None)
                continue
        if stamp is None and x0 > STAMP_ZONE[0] * width and y1 < STAMP_ZONE[1] * height and _STAMP.match(number):
            stamp = int(number)
            continue
        if folded:
            body.append(line)
    if body:
        lefts = sorted(ln.box[0] for ln in body)
        rights = sorted(ln.box[2] for ln in body)
        left = lefts[len(lefts) // 10]
        right = rights[-1 - len(rights) // 10]
        line_height = statistics.median(ln.box[3] - ln.box[1] for ln in body)
    else:
        left, right, line_height = 0.08 * width, 0.92 * width, 0.015 * height
    return PageReading(tuple(body), width, height, footer, stamp, left, right, max(line_height, 1.0))


def centred(reading: PageReading, line: OcrLine) -> bool:
    """A line set in the middle of the page, with room on both sides (a title, not a full text line)."""
    if not reading.width:
        return False
    x0, _, x1, _ = line.box
    centre = (x0 + x1) / 2
    return abs(centre - reading.width / 2) < 0.06 * reading.width and (x1 - x0) < 0.7 * (reading.right - reading.left)


def ends_sentence(line: OcrLine) -> bool:
    text = _fold(line.text)
    return bool(text) and text[-1] in _SENTENCE_END


def is_signoff(line: OcrLine) -> bool:
    return bool(_SIGNOFF.search(_fold(line.text)))


def is_closing(line: OcrLine) -> bool:
    """A line that only a paper's closing block starts with (审判长…, 书记员…, 此致, the 落款 date alone).

    A page that opens with one is the spill-over of a paper's sign-off onto its own
    page: the end of a document, never the start of the next.
    """
    return bool(_CLOSING.match(re.sub(r"\s+", "", _fold(line.text))))


def has_date(line: OcrLine) -> bool:
    return bool(_DATE.search(_fold(line.text)))


def right_set(reading: PageReading, line: OcrLine) -> bool:
    """A short line pushed to the right (sign-off block), not a full-width text line."""
    if not reading.width:
        return False
    x0, _, x1, _ = line.box
    span = reading.right - reading.left
    return x0 > reading.left + 0.35 * span and (x1 - x0) < 0.6 * span
