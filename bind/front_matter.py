"""The pages a clerk adds around the documents: cover (卷皮), catalogue (卷内目录),
continuation catalogue (卷内目录（续）) for each later addition, and closing sheet (备考表).

Drawn as real text in the embedded CJK font (subset on save), so they are
searchable and stay sharp at any zoom.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pymupdf

from edossier.bind.text_layer import text_font, text_width
from edossier.bind.volumes import VOLUME_NAMES

A4 = (595.0, 842.0)
MARGIN = 56.0
CATALOGUE_ROWS = 24
REMARK_SIZE = 7.5


@dataclass(frozen=True)
class CoverInfo:
    """What the cover shows; a blank field is printed as a blank line to fill in by hand."""

    court: str
    case: str
    volume: str = "main"
    cause: str = ""
    parties: str = ""
    judge: str = ""
    filed: str = ""
    bound: str = ""
    bound_by: str = ""


@dataclass(frozen=True)
class CatalogueRow:
    """One line of the 卷内目录, in the columns court archive practice keeps: 序号, 责任者, 题名, 日期, 页号, 备注."""

    number: int
    author: str
    title: str
    date: str  # ISO (YYYY-MM-DD) or empty; printed as archives write it, YYYYMMDD
    first_page: int
    last_page: int
    remark: str = ""


def catalogue_pages(rows: int) -> int:
    return max(1, math.ceil(rows / CATALOGUE_ROWS))


def _writer_text(page: pymupdf.Page, point: tuple[float, float], text: str, size: float) -> None:
    writer = pymupdf.TextWriter(page.rect)
    writer.append(pymupdf.Point(*point), text, font=text_font(), fontsize=size)
    writer.write_text(page)


def _centred(page: pymupdf.Page, y: float, text: str, size: float) -> None:
    width = text_width(text, size)
    _writer_text(page, ((page.rect.width - width) / 2, y), text, size)


def draw_cover(pdf: pymupdf.Document, info: CoverInfo, pages: int, documents: int) -> None:
    page = pdf.new_page(width=A4[0], height=A4[1])
    _centred(page, 120, info.court or "人民法院", 22)
    _centred(page, 190, f"诉讼卷宗（{VOLUME_NAMES[info.volume]}）", 30)
    fields = [
        ("案　　号", info.case),
        ("案　　由", info.cause),
        ("当 事 人", info.parties),
        ("审 判 员", info.judge),
        ("收案日期", info.filed),
        ("立卷日期", info.bound),
        ("立 卷 人", info.bound_by),
        ("本卷页数", f"{pages} 页（{documents} 件）"),
    ]
    y = 300.0
    for label, value in fields:
        _writer_text(page, (MARGIN + 60, y), f"{label}：", 15)
        _writer_text(page, (MARGIN + 160, y), value or "", 15)
        page.draw_line((MARGIN + 158, y + 5), (A4[0] - MARGIN - 40, y + 5), width=0.6)
        y += 48
    _centred(page, A4[1] - 90, "本卷随案同步生成；此后增补的材料见各次卷内目录（续）。", 10)


# (left edge in points from the margin, heading) of each column; 题名 is the widest
CATALOGUE_COLUMNS = ((0.0, "序号"), (26.0, "责任者"), (126.0, "题名"), (286.0, "日期"), (336.0, "页号"),
                     (376.0, "备注"))
CELL_SIZE = 10.0


def draw_catalogue(
    pdf: pymupdf.Document, rows: Sequence[CatalogueRow], heading: str, note: str = ""
) -> None:
    """One or more pages of a ruled table: 序号, 责任者, 题名, 日期, 页号, 备注 (court archive practice)."""
    columns = [(MARGIN + x, label) for x, label in CATALOGUE_COLUMNS]
    right = A4[0] - MARGIN
    edges = [x for x, _ in columns[1:]] + [right]
    for start in range(0, max(len(rows), 1), CATALOGUE_ROWS):
        page = pdf.new_page(width=A4[0], height=A4[1])
        _centred(page, 80, heading, 22)
        if note:
            _centred(page, 104, note, 10)
        y = 130.0
        height = 26.0
        chunk = rows[start : start + CATALOGUE_ROWS]
        for x, label in columns:
            _writer_text(page, (x + 4, y + 17), label, 11)
        for index in range(len(chunk) + 2):
            page.draw_line((MARGIN, y + index * height), (right, y + index * height), width=0.6)
        bottom = y + (len(chunk) + 1) * height
        for x, _ in columns:
            page.draw_line((x, y), (x, bottom), width=0.6)
        page.draw_line((right, y), (right, bottom), width=0.6)
        for i, row in enumerate(chunk, start=1):
            base = y + i * height + 17
            pages = f"{row.first_page}" if row.first_page == row.last_page else f"{row.first_page}-{row.last_page}"
            cells = (str(row.number), row.author, row.title, row.date.replace("-", ""), pages, row.remark)
            for (x, _), edge, cell in zip(columns, edges, cells):
                _cell(page, x + 4, base, cell, edge - x - 8)


def _cell(page: pymupdf.Page, x: float, base: float, text: str, width: float) -> None:
    """TEXT in a table cell: one line at the table's size where it fits, else two smaller lines."""
    if not text:
        return
    if text_width(text, CELL_SIZE) <= width:
        _writer_text(page, (x, base), text, CELL_SIZE)
        return
    lines = _wrap(text, width, REMARK_SIZE)
    for k, line in enumerate(lines[:2]):
        _writer_text(page, (x, base - (5 if len(lines) > 1 else 0) + k * 10), line, REMARK_SIZE)


def draw_closing_sheet(pdf: pymupdf.Document, lines: Sequence[str]) -> None:
    """备考表: what this addition holds, who bound it and when."""
    page = pdf.new_page(width=A4[0], height=A4[1])
    _centred(page, 80, "备　考　表", 22)
    y = 140.0
    for line in lines:
        _writer_text(page, (MARGIN + 20, y), line, 13)
        y += 30


def _wrap(text: str, width: float, size: float) -> list[str]:
    """Break TEXT into lines of at most WIDTH; the second of two lines ends in … when more was cut."""
    lines: list[str] = []
    current = ""
    for ch in text:
        if text_width(current + ch, size) > width:
            lines.append(current)
            current = ch
        else:
            current += ch
    if current:
        lines.append(current)
    if len(lines) > 2:
        lines = [lines[0], _fit("".join(lines[1:]), width, size)]
    return lines


def _fit(text: str, width: float, size: float) -> str:
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def stamp_page_number(page: pymupdf.Page, number: int) -> None:
    """The archive page number, top right, on every page (documents keep their own content)."""
    label = str(number)
    size = 11
    width = text_width(label, size)
    _writer_text(page, (page.rect.width - 28 - width, 26), label, size)
