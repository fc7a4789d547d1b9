"""智能编目: a stack of OCRed pages in, its documents out, each with title, type, date, 责任者 and page range.

The boundaries come from the page model (``boundaries``); a front 卷内目录, when
the volume has one, is read and compared with them.  A catalogue read whole
(every row's 页号 found among the pages, in order) is taken, and where the
content disagrees with it the documents concerned are flagged for a clerk; a
catalogue read only in part keeps its boundaries unless the model is sure there
is none, the model's boundaries are added where it is sure, and again the
disagreements are flagged.
The catalogue page itself stays an entry of its own.  Each value found comes
with a confidence: the boundary's is the model's calibrated probability; for
title, date and 责任者 it says where on the paper the value was read (a title
line that names the type, the sign-off block, …), measured against nothing
finer than that.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from edossier.classify.boundaries import (
    THRESHOLD,
    BoundaryModel,
    boundary_probabilities,
    load_boundary_model,
)
from edossier.classify.metadata import find_court, find_dates, find_parties
from edossier.classify.model import DoctypeModel, load_model
from edossier.classify.page_reading import PageReading, centred, ends_sentence
from edossier.classify.title_rules import match_title
from edossier.classify.volume_catalogue import (
    CatalogueRow,
    is_catalogue_page,
    map_rows,
    read_rows,
)

from edossier.types import Classification

CATALOGUE_TITLE = "卷内目录"
CATALOGUE_TYPE = "其他"
MAX_CATALOGUE_PAGES = 5
SURE_SPLIT = 0.9  # a boundary the volume's catalogue lacks is kept only when the model is this sure
SURE_NO_SPLIT = 0.1  # a catalogue boundary is dropped only when the model is this sure there is none
TAIL_LINES = 8
_AUTHOR_LINE = re.compile(r"^(.{2,24}?(人民法院|人民检察院|仲裁委员会|公证处|律师事务所|有限公司|公司|局|委员会))(（?印?章?）?)$")
_COMPACT_DATE = re.compile(r"^([0-9]{4})[.\-/年]?([0-9]{1,2})[.\-/月]?([0-9]{1,2})日?$")


@dataclass(frozen=True)
class Found:
    """A value read from the paper and how sure the reading is (None: not found)."""

    value: str | None
    confidence: float


@dataclass(frozen=True)
class CataloguedDocument:
    first: int  # page indices into the stack, inclusive
    last: int
    title: Found
    classification: Classification
    date: Found
    author: Found
    boundary_confidence: float
    method: str  # "content", "volume_catalogue" or "catalogue_page"
    remark: str = ""


def _date(row_date: str) -> str | None:
    match = _COMPACT_DATE.match(row_date)
    return f"{match.group(1)}-{int(match.group(2)):02d}-{int(match.group(3)):02d}" if match else None


def find_title(readings: Sequence[PageReading], classification: Classification) -> Found:
    """The title as printed: the top line naming the type, else the first centred top line, else a short first line."""
    first = next((r for r in readings if not r.blank), readings[0])
    top = first.top_lines(3)
    rule = match_title("\n".join(line.text for line in top))
    if rule is not None:
        return Found(rule.title, 0.9 if rule.label == classification.type else 0.6)
    heading = [ln for ln in top if centred(first, ln) and not _AUTHOR_LINE.match(_squeeze(ln.text))]
    if heading:
        return Found(_squeeze(heading[0].text), 0.6)
    if top and first.width and top[0].box[2] < first.right - 2 * first.line_height and not ends_sentence(top[0]):
        return Found(_squeeze(top[0].text), 0.4)  # a whole line, not the start of a wrapped paragraph
    return Found(None, 0.0)


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def find_date(readings: Sequence[PageReading]) -> Found:
    """The 落款 date: the last date in the sign-off block of the last page with text, else the last date at all."""
    last = next((r for r in reversed(readings) if not r.blank), readings[-1])
    tail = find_dates("\n".join(line.text for line in last.lines[-TAIL_LINES:]))
    if tail:
        return Found(tail[-1], 0.85)
    anywhere = find_dates("\n".join(r.text for r in readings))
    return Found(anywhere[-1], 0.4) if anywhere else Found(None, 0.0)


def find_author(readings: Sequence[PageReading]) -> Found:
    """责任者: the court heading the paper, else the body signing it, else the first party named."""
    first = next((r for r in readings if not r.blank), readings[0])
    heading = find_court("\n".join(line.text for line in first.top_lines(2)))
    if heading:
        return Found(heading, 0.9)
    last = next((r for r in reversed(readings) if not r.blank), readings[-1])
    for line in reversed(last.lines[-TAIL_LINES:]):
        match = _AUTHOR_LINE.match(_squeeze(line.text))
        if match:
            return Found(match.group(1), 0.7)
    parties = [p for p in find_parties("\n".join(r.text for r in readings)) if p.agent_of is None]
    return Found(parties[0].name, 0.5) if parties else Found(None, 0.0)


def _front_catalogue(readings: Sequence[PageReading]) -> tuple[int, list[CatalogueRow]]:
    """How many leading pages are the volume's 卷内目录, and its rows."""
    count, rows = 0, []
    while count < min(MAX_CATALOGUE_PAGES, len(readings) - 1) and is_catalogue_page(readings[count]):
        rows.extend(read_rows(readings[count]))
        count += 1
    return count, rows


def catalogue_documents(
    readings: Sequence[PageReading],
    classify: Callable[[str], Classification],
    *,
    model: BoundaryModel | None = None,
    doctypes: DoctypeModel | None = None,
    continued: frozenset[int] = frozenset(),
) -> list[CataloguedDocument]:
    """The documents of a stack of pages, in order; CLASSIFY types a document's text (with its own checks).

    CONTINUED are pages known to go on from the page before (a scanner's double feed
    repeats the previous sheet): content never starts a document there.
    """
    if not readings:
        return []
    probabilities = boundary_probabilities(readings, doctypes or load_model(), model or load_boundary_model())
    front, rows = _front_catalogue(readings)
    content = {i for i, p in enumerate(probabilities) if p >= THRESHOLD and i > front and i not in continued} | {front}
    starts, disputed, by_row, unread = set(content), set(), {}, []
    if rows:
        mapped = map_rows(rows, readings, front)
        listed = {i for i in mapped if i is not None}
        by_row = {i: row for i, row in zip(mapped, rows) if i is not None}
        disputed = listed ^ content
        unread = [row.number or "?" for row, i in zip(rows, mapped) if i is None]
        complete = not unread and all(a < b for a, b in pairwise(mapped))  # type: ignore[operator]  # no None: unread is empty
        if complete:  # the volume's own catalogue, fully read, decides; where content disagrees, a clerk checks
            starts = {front} | listed
        else:
            starts = ({front} | {i for i in listed if probabilities[i] >= SURE_NO_SPLIT}
                      | {i for i in content if probabilities[i] >= SURE_SPLIT})
    documents = []
    if front:
        documents.append(CataloguedDocument(
            0, front - 1, Found(CATALOGUE_TITLE, 1.0),
            Classification(type=CATALOGUE_TYPE, confidence=1.0, needs_review=bool(unread), method="volume_catalogue",
                           title=CATALOGUE_TITLE),
            Found(None, 0.0), Found(None, 0.0), 1.0, "catalogue_page",
            f"卷内目录第{'、'.join(unread)}行的页号对不上卷内页，待复核" if unread else ""))
    ordered = sorted(starts)
    for first, after in pairwise([*ordered, len(readings)]):
        pages = readings[first:after]
        classification = classify("\n".join(r.text for r in pages))
        title, date, author = find_title(pages, classification), find_date(pages), find_author(pages)
        row = by_row.get(first)
        method, remark = "content", ""
        confidence = 1.0 if first == front else probabilities[first]
        if row is not None:
            method = "volume_catalogue"
            confidence = max(confidence, 0.99) if first not in disputed else confidence
            title = title if title.value else Found(row.title or None, 0.8)
            date = date if date.confidence >= 0.85 or not _date(row.date) else Found(_date(row.date), 0.8)
            author = author if author.confidence >= 0.7 or not row.author else Found(row.author, 0.8)
        if any(first <= i < after for i in disputed):
            remark = "分件与卷内目录不符，待复核"
            classification = classification.model_copy(update={"needs_review": True})
        documents.append(CataloguedDocument(first, after - 1, title, classification, date, author,
                                            round(confidence, 4), method, remark))
    return documents
