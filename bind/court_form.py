"""A court's one-page form as real text: heading, labelled rows, notes (送达回证, 审批表 …).

Forms the system fills in itself are drawn, not scanned: every character is
text in the embedded CJK font (subset on save), so the dossier's search finds
them and they stay sharp.  Long values wrap inside their row (PyMuPDF's
``fill_textbox``); a form that does not fit on one page is refused, not cut.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from edossier.bind.front_matter import A4, MARGIN
from edossier.bind.text_layer import text_font, text_width
from edossier.errors import StageError

ROW_SIZE = 14.0
_LABEL_WIDTH = 100.0
_BOTTOM = A4[1] - MARGIN


@dataclass(frozen=True)
class CourtForm:
    court: str
    title: str
    """The form's name, spaced as printed: 送　达　回　证."""
    rows: tuple[tuple[str, str], ...]
    """Label and value; a long value wraps under itself."""
    notes: tuple[tuple[str, float], ...] = ()
    """Free lines after the rows, each with its font size (e.g. a hash in full, a closing remark)."""


def render_form(form: CourtForm, output: Path) -> Path:
    """Write FORM to OUTPUT as a one-page A4 PDF."""
    pdf = pymupdf.open()
    page = pdf.new_page(width=A4[0], height=A4[1])
    writer = pymupdf.TextWriter(page.rect)
    font = text_font()

    def centred(y: float, text: str, size: float) -> None:
        writer.append(pymupdf.Point((A4[0] - text_width(text, size)) / 2, y), text, font=font, fontsize=size)

    centred(110, form.court or "人民法院", 20)
    centred(160, form.title, 28)
    left, right = MARGIN + 20, A4[0] - MARGIN - 20
    y = 240.0
    for label, value in form.rows:
        writer.append(pymupdf.Point(left, y), f"{label}：", font=font, fontsize=ROW_SIZE)
        top = y - ROW_SIZE * font.ascender  # the value's first baseline level with its label's
        bottom = _fill(writer, pymupdf.Rect(left + _LABEL_WIDTH, top, right, _BOTTOM), value, ROW_SIZE, form.title) + 5
        page.draw_line((left + _LABEL_WIDTH - 2, bottom), (right, bottom), width=0.6)
        y = bottom + 37
    for text, size in form.notes:
        y = _fill(writer, pymupdf.Rect(left, y - size * font.ascender, right, _BOTTOM), text, size, form.title) + 24
    writer.write_text(page)
    output.parent.mkdir(parents=True, exist_ok=True)
    pdf.subset_fonts()
    pdf.save(output, garbage=3, deflate=True)
    pdf.close()
    return output


def _fill(writer: pymupdf.TextWriter, box: pymupdf.Rect, text: str, size: float, title: str) -> float:
    """Wrap TEXT into BOX; the baseline of its last line.  Refuses what would run off the page."""
    if box.height <= size or writer.fill_textbox(box, text or " ", font=text_font(), fontsize=size, lineheight=1.4):
        raise StageError(f"{title}: the form does not fit on one page")
    return float(writer.last_point.y)


def form_time(moment: dt.datetime) -> str:
    """A time as forms print it, to the second with its offset: 2026-12-06 16:40:12 +08:00."""
    text = moment.strftime("%Y-%m-%d %H:%M:%S %z")
    return text[:-2] + ":" + text[-2:] if moment.utcoffset() is not None else text
