"""Cover sheets (分隔页): printed separators that start a new document in a scanned batch.

The sheet carries a QR code with the case number, document type, title and
(optionally) the declared page count, and the same words in print for the
clerk.  It is read with zxing-cpp.  A code that zxing finds but cannot decode
(checksum error, torn corner) is reported as damaged, never guessed from the
printed text; a readable code that is not ours is just part of the page (an
invoice's QR code, say).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import numpy as np
import pymupdf
import zxingcpp
from PIL import Image

from edossier.casenumber import CaseNumber
from edossier.errors import CaseNumberError

MAGIC = "edossier-cover"
MIN_DAMAGED_EXTENT = 0.15
"""An unreadable code counts as a damaged cover sheet only if it is about as large as ours
(42% of the page width): patterns in tables, seals or test charts make small false codes."""
VERSION = 1
_FONT = "cjk"  # PyMuPDF's built-in Droid Sans Fallback: nothing to ship, nothing to download


@dataclass(frozen=True)
class CoverSheet:
    case: str
    type: str
    title: str | None = None
    pages: int | None = None
    """pages the clerk declared for the document that follows."""

    def payload(self) -> str:
        data: dict[str, object] = {"k": MAGIC, "v": VERSION, "case": self.case, "type": self.type}
        if self.title:
            data["title"] = self.title
        if self.pages is not None:
            data["pages"] = self.pages
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class CoverReading:
    """What a page says about being a cover sheet: a sheet, a damaged code, or nothing."""

    sheet: CoverSheet | None = None
    damaged: str | None = None


def make_cover_sheet(case_text: str, doc_type: str, title: str | None, pages: int | None, target: Path) -> CoverSheet:
    """Write a one-page A4 PDF separator for CASE_TEXT's next document of DOC_TYPE."""
    case = CaseNumber.parse(case_text)
    sheet = CoverSheet(case=case.normalized, type=doc_type, title=title or None, pages=pages)
    code = zxingcpp.create_barcode(sheet.payload(), zxingcpp.QRCode, ec_level="Q")
    qr = Image.fromarray(np.array(code.to_image(scale=10)))

    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)  # A4 in points
    page.insert_font(fontname=_FONT, fontbuffer=pymupdf.Font(_FONT).buffer)
    page.draw_rect(pymupdf.Rect(36, 36, 559, 72), color=(0, 0, 0), fill=(0, 0, 0))
    page.insert_text((48, 62), "分隔页 SEPARATOR SHEET · 不装订 NOT BOUND", fontname=_FONT, fontsize=18, color=(1, 1, 1))
    page.insert_image(pymupdf.Rect(172, 110, 423, 361), stream=_png(qr))
    lines = [("案号", sheet.case), ("文书类型", sheet.type)]
    if sheet.title:
        lines.append(("标题", sheet.title))
    if sheet.pages is not None:
        lines.append(("页数", str(sheet.pages)))
    y = 420.0
    for label, value in lines:
        page.insert_text((72, y), f"{label}：{value}", fontname=_FONT, fontsize=20)
        y += 40
    page.insert_text(
        (72, 780), "请将本页放在该文书第一页之前扫描。Place it before the document's first page.", fontname=_FONT, fontsize=11
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    doc.subset_fonts()
    doc.save(target, garbage=3, deflate=True)
    return sheet


def read_cover_sheet(image: Image.Image) -> CoverReading:
    """Decode IMAGE's QR codes; an edossier code makes it a cover sheet."""
    grey = image.convert("L")
    if grey.width > 1400:  # cover codes are large; a smaller image decodes faster and as well
        grey = grey.resize((1400, round(grey.height * 1400 / grey.width)))
    damaged: str | None = None
    for code in zxingcpp.read_barcodes(grey, formats=zxingcpp.BarcodeFormats(zxingcpp.QRCode), return_errors=True):
        if not code.valid:
            if _extent(code) >= MIN_DAMAGED_EXTENT * grey.width:
                damaged = f"a QR code on the page cannot be read ({str(code.error).split(' @')[0]})"
            continue
        try:
            data = json.loads(code.text)
        except ValueError:
            continue
        if not isinstance(data, dict) or data.get("k") != MAGIC:
            continue
        return _parse(data)
    return CoverReading(damaged=damaged)


def _parse(data: dict[str, object]) -> CoverReading:
    if data.get("v") != VERSION:
        return CoverReading(damaged=f"cover sheet version {data.get('v')!r} is not supported")
    try:
        case = CaseNumber.parse(str(data.get("case", ""))).normalized
    except CaseNumberError as exc:
        return CoverReading(damaged=f"cover sheet case number is invalid: {exc.reason}")
    doc_type = data.get("type")
    if not isinstance(doc_type, str) or not doc_type:
        return CoverReading(damaged="cover sheet names no document type")
    pages = data.get("pages")
    if pages is not None and (not isinstance(pages, int) or pages < 1):
        return CoverReading(damaged=f"cover sheet declares an invalid page count {pages!r}")
    title = data.get("title")
    return CoverReading(sheet=CoverSheet(case, doc_type, title if isinstance(title, str) else None, pages))


def _extent(code: zxingcpp.Barcode) -> float:
    """The longest side of the code's outline, in pixels, whatever its rotation."""
    p = code.position
    corners = [(p.top_left.x, p.top_left.y), (p.top_right.x, p.top_right.y),
               (p.bottom_right.x, p.bottom_right.y), (p.bottom_left.x, p.bottom_left.y)]
    return max(math.dist(a, b) for a, b in zip(corners, corners[1:] + corners[:1]))


def _png(image: Image.Image) -> bytes:
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
