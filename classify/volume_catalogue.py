"""An archive volume's own catalogue (卷内目录): found, read row by row, and mapped onto the pages.

Old volumes carry a catalogue page at the front: a ruled table headed 序号 /
文号 / 责任者 / 题名 / 日期 / 页号 / 备注 (or 备考).  OCR reports each cell as a
line with its box; the header cells fix the columns (a cell belongs to the
column whose header starts last at or before the cell's centre, which holds for
left-aligned and centred tables alike), and the 序号 and 页号 cells fix the rows
(every other cell joins the nearest row, so a 题名 wrapped onto two lines stays
one row).  OCR engines often read a whole table row as one line; the words of
that line (RapidOCR reports one per cell) are the cells then.  A header cell
misread by one character (贡任者) still counts when it can be only one column.  The 页号 refers to the volume's stamped page numbers
where pages carry them, else to page order after the catalogue.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from edossier.classify.page_reading import PageReading

COLUMNS = {
    "number": ("序号", "顺序号"),
    "doc_no": ("文号", "文件编号"),
    "author": ("责任者",),
    "title": ("题名", "題名", "文件题名"),
    "date": ("日期",),
    "pages": ("页号", "页次"),
    "remark": ("备注", "备考"),
}
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


@dataclass(frozen=True)
class _Cell:
    text: str
    box: tuple[float, float, float, float]

    @property
    def x(self) -> float:
        return (self.box[0] + self.box[2]) / 2

    @property
    def y(self) -> float:
        return (self.box[1] + self.box[3]) / 2


_RULE_MARKS = "|丨¦[]"  # a table's ruled line beside a cell's text, read as a character (RapidOCR: "|4-4")


def _fold(text: str) -> str:
    """A cell's text: width folded, without spaces or the table rules OCR read at its edges."""
    return unicodedata.normalize("NFKC", text).replace(" ", "").strip().strip(_RULE_MARKS)


def _cells(reading: PageReading) -> list[_Cell]:
    """Table cells: OCR often reads a whole table row as one line, but its words keep the cells apart."""
    return [_Cell(_fold(part.text), part.box) for line in reading.lines for part in (line.words or (line,))
            if _fold(part.text)]


def _near(text: str, key: str) -> bool:
    """KEY, or KEY with one character misread (贡任者 for 责任者)."""
    return len(text) == len(key) and sum(a != b for a, b in zip(text, key)) <= 1


def _header(cells: list[_Cell], line_height: float) -> dict[str, _Cell]:
    """The header row's cells by column, if the page has a catalogue header (at least four columns)."""
    for anchor in cells:
        row = sorted((c for c in cells if abs(c.y - anchor.y) < line_height), key=lambda c: c.x)
        exact = {name: c for c in row for name, keys in COLUMNS.items() if c.text in keys}
        for cell in row:  # a misread header: the one column it can be that is not found yet
            options = {name for name, keys in COLUMNS.items() if any(_near(cell.text, k) for k in keys)} - set(exact)
            if len(options) == 1 and cell not in exact.values():
                exact[options.pop()] = cell
        if len(exact) >= MIN_HEADER_CELLS and ("pages" in exact or "number" in exact):
            return exact
    return {}


def is_catalogue_page(reading: PageReading) -> bool:
    return bool(_header(_cells(reading), reading.line_height))


def read_rows(reading: PageReading) -> list[CatalogueRow]:
    """The catalogue's rows, in order; an empty list when the page has no catalogue header."""
    cells = _cells(reading)
    header = _header(cells, reading.line_height)
    if not header:
        return []
    bottom = max(c.box[3] for c in header.values())
    starts = sorted((c.box[0] - reading.line_height * 0.5, name) for name, c in header.items())
    columns: dict[str, list[_Cell]] = {}
    for cell in cells:
        if cell.y <= bottom or cell in header.values():
            continue
        column = max((s for s in starts if s[0] <= cell.x), default=starts[0])[1]
        columns.setdefault(column, []).append(cell)
    # Rows: where a 序号 or a 页号 stands (a 题名 wrapped onto two lines stays in one row).
    anchors = sorted(c.y for name in ("number", "pages") for c in columns.get(name, []) if c.text[:1].isdigit())
    rows_y: list[list[float]] = []
    for y in anchors:
        if rows_y and y - rows_y[-1][-1] < reading.line_height:
            rows_y[-1].append(y)
        else:
            rows_y.append([y])
    centres = [sum(group) / len(group) for group in rows_y]
    if not centres:
        return []
    rows: list[dict[str, list[_Cell]]] = [{} for _ in centres]
    for column, found in columns.items():
        for cell in found:
            nearest = min(range(len(centres)), key=lambda k: abs(centres[k] - cell.y))
            rows[nearest].setdefault(column, []).append(cell)
    out = []
    for row in rows:
        text = {column: "".join(c.text for c in sorted(found, key=lambda c: (round(c.y), c.x)))
                for column, found in row.items()}
        match = _PAGES.match(text.get("pages", ""))
        out.append(CatalogueRow(text.get("number", ""), text.get("doc_no", ""), text.get("author", ""),
                                text.get("title", ""), text.get("date", ""), text.get("remark", ""),
                                int(match.group(1)) if match else None,
                                int(match.group(2)) if match and match.group(2) else None))
    return out


def map_rows(rows: Sequence[CatalogueRow], readings: Sequence[PageReading], after: int) -> list[int | None]:
    """The page index where each row's document starts: by stamped page number, else by order after AFTER pages.

    Where the stamps read all run in page order, a number whose stamp was not read
    is found by order too.
    """
    stamped = {r.stamp: i for i, r in enumerate(readings) if r.stamp is not None and i >= after}
    use_stamps = len(stamped) >= (len(readings) - after) // 2 and bool(stamped)
    in_order = all(number == i - after + 1 for number, i in stamped.items())
    found: list[int | None] = []
    for row in rows:
        index = None if row.first_page is None else after + row.first_page - 1
        if use_stamps and row.first_page in stamped:
            found.append(stamped[row.first_page])
        elif index is not None and (not use_stamps or in_order) and after <= index < len(readings):
            found.append(index)
        else:
            found.append(None)
    return found
