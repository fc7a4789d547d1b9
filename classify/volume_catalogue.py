"""An archive volume's own catalogue (卷内目录): found, read row by row, and mapped onto the pages.

Old volumes carry a catalogue page at the front: a ruled table headed 序号 /
文号 / 责任者 / 题名 / 日期 / 页号 / 备注 (or 备考).  OCR reports each cell as a
line with its box; the header cells fix the columns (a cell belongs to the
column whose header starts last at or before the cell's centre, which holds for
left-aligned and centred tables alike), and the 序号 cells fix the rows (every
other cell joins the row whose 序号 is nearest in height, so a 题名 wrapped onto
two lines stays one row).  The 页号 refers to the volume's stamped page numbers
where pages carry them, else to page order after the catalogue.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from edossier.classify.page_reading import PageReading
from edossier.types import OcrLine

COLUMNS = {"序号": "number", "顺序号": "number", "文号": "doc_no", "文件编号": "doc_no", "责任者": "author",
           "题名": "title", "文件题名": "title", "日期": "date", "页号": "pages", "页次": "pages", "备注": "remark",
           "备考": "remark"}
MIN_HEADER_CELLS = 4
_PAGES = re.compile(r"^([0-9]{1,4})(?:\s*[-—–~～至]\s*([0-9]{1,4}))?$")


@dataclass(frozen=True)
class CatalogueRow:
    number: str
    doc_no: str
    author: str
    title: str
    date: str
    remark: str
    first_page: int | None  # the 页号 as printed (volume page number)
    last_page: int | None


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(" ", "").strip()


def _header(reading: PageReading) -> list[tuple[str, OcrLine]]:
    """The header cells (column name, line), left to right, if the page has a catalogue header row."""
    for anchor in reading.lines:
        if _fold(anchor.text) not in COLUMNS:
            continue
        mid = (anchor.box[1] + anchor.box[3]) / 2
        same_row = [l for l in reading.lines if abs((l.box[1] + l.box[3]) / 2 - mid) < reading.line_height]
        cells = sorted(((COLUMNS[_fold(l.text)], l) for l in same_row if _fold(l.text) in COLUMNS),
                       key=lambda c: c[1].box[0])
        if len({name for name, _ in cells}) >= MIN_HEADER_CELLS:
            return cells
    return []


def is_catalogue_page(reading: PageReading) -> bool:
    return bool(_header(reading))


def read_rows(reading: PageReading) -> list[CatalogueRow]:
    """The catalogue's rows, in order; an empty list when the page has no catalogue header."""
    header = _header(reading)
    if not header:
        return []
    header_bottom = max(line.box[3] for _, line in header)
    starts = [(line.box[0] - reading.line_height * 0.5, name) for name, line in header]
    cells: dict[str, list[OcrLine]] = {}
    for line in reading.lines:
        if line.box[1] < header_bottom - 2 or any(line is h for _, h in header):
            continue
        centre = (line.box[0] + line.box[2]) / 2
        column = max((s for s in starts if s[0] <= centre), default=starts[0])[1]
        cells.setdefault(column, []).append(line)
    anchor_column = "number" if "number" in cells else "pages"
    anchors = sorted((l for l in cells.get(anchor_column, []) if _fold(l.text).replace("-", "").isdigit()),
                     key=lambda l: l.box[1])
    if not anchors:
        return []
    rows: list[dict[str, list[OcrLine]]] = [{} for _ in anchors]
    centres = [(a.box[1] + a.box[3]) / 2 for a in anchors]
    for column, lines in cells.items():
        for line in lines:
            mid = (line.box[1] + line.box[3]) / 2
            nearest = min(range(len(anchors)), key=lambda k: abs(centres[k] - mid))
            rows[nearest].setdefault(column, []).append(line)
    out = []
    for row in rows:
        def text(column: str) -> str:
            return "".join(_fold(l.text) for l in sorted(row.get(column, []), key=lambda l: (l.box[1], l.box[0])))

        match = _PAGES.match(text("pages"))
        first = int(match.group(1)) if match else None
        last = int(match.group(2)) if match and match.group(2) else None
        out.append(CatalogueRow(text("number"), text("doc_no"), text("author"), text("title"), text("date"),
                                text("remark"), first, last))
    return out


def map_rows(rows: Sequence[CatalogueRow], readings: Sequence[PageReading], after: int) -> list[int | None]:
    """The page index where each row's document starts: by stamped page number, else by order after AFTER pages."""
    stamped = {r.stamp: i for i, r in enumerate(readings) if r.stamp is not None and i >= after}
    use_stamps = len(stamped) >= (len(readings) - after) // 2 and bool(stamped)
    found: list[int | None] = []
    for row in rows:
        if row.first_page is None:
            found.append(None)
        elif use_stamps:
            found.append(stamped.get(row.first_page))
        else:
            index = after + row.first_page - 1
            found.append(index if after <= index < len(readings) else None)
    return found
