"""Stacks of court documents as a clerk scans them: many papers, one file, no separator sheets.

Corpus texts are laid out the way court papers are printed: a centred header
(court name, the title in large bold type, the case number on the right), body
paragraphs with a two-character indent, headings inside the body (some of them
centred, so that "a centred short line" alone is no proof of a new document),
and the sign-off block (落款: court or party, date) set to the right.  Options
per stack: page footers ("第 k 页 共 n 页" or "- k -"), an archive page number
stamped in the top-right corner, a front 卷内目录 page listing the documents,
and now and then a blank page between two documents.

A stack is first *laid out* (every line with its text and pixel box: exactly
what an OCR engine should report, cheap enough to make thousands of training
pages) and drawn into page images only when asked (for the benchmark and the
tests, which OCR them with the real engine).

    python -m bench.stacks train [CORPUS_DIR]   # rebuild the packaged boundary model

Documents are split into a training and a held-out part by a hash of their path
(``held_out``), so nothing evaluated was trained on, and the same split comes out
on every machine.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import random
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from edossier.classify.metadata import find_case_numbers, find_court, find_dates
from edossier.classify.title_rules import match_title
from PIL import Image, ImageDraw, ImageFont

from bench.pagegen import A4_300DPI, cjk_font, draw_seal
from edossier.types import OcrLine, OcrPage

ROOT = Path(__file__).resolve().parent.parent
CORPUS = next((p / "shared" / "corpus" for p in ROOT.parents if (p / "shared" / "corpus").is_dir()), ROOT / "corpus")
MARGIN_X = 240
MARGIN_TOP = 260
MARGIN_BOTTOM = 300
HELD_OUT_SHARE = 0.25
FOOTER_STYLES = ("none", "page_of", "dash")
CATALOGUE_COLUMNS = ("序号", "文号", "责任者", "题名", "日期", "页号", "备注")
CATALOGUE_WIDTHS = (0.07, 0.2, 0.19, 0.3, 0.13, 0.06, 0.05)
_HEADING = re.compile(r"^(第[一二三四五六七八九十百零〇]+[章节编条]|[一二三四五六七八九十]+、|本院认为|经审理查明|判决如下|裁定如下)")
_CHAPTER = re.compile(r"^第[一二三四五六七八九十百零〇]+[章节编]")
_SPACES = re.compile(r"[ \t\u3000]+")


@dataclass(frozen=True)
class CorpusDoc:
    name: str
    label: str
    text: str


@dataclass
class LaidLine:
    text: str
    box: tuple[int, int, int, int]
    size: int
    bold: bool = False
    serif: bool = False
    framed: bool = False  # drawn inside a rectangle (page stamp, table cell)


@dataclass
class LaidPage:
    lines: list[LaidLine] = field(default_factory=list)
    seal: str | None = None
    rules: list[tuple[int, int, int, int]] = field(default_factory=list)  # table cell rectangles

    def ocr(self, rng: random.Random | None = None) -> OcrPage:
        """The ground truth as an OCR engine should report it; with RNG, as a real one might (``ocr_noise``)."""
        width, height = A4_300DPI
        lines = [OcrLine(text=line.text, box=line.box, confidence=1.0) for line in self.lines if line.text]
        if rng is not None:
            lines = ocr_noise(lines, (self.seal, seal_centre(self)) if self.seal and self.lines else None, rng)
        return OcrPage(engine="ground-truth", engine_version="1", width=width, height=height, lines=tuple(lines))


_CONFUSABLE = "口日曰目自白人入八己已巳土士"


def ocr_noise(lines: list[OcrLine], seal: tuple[str, tuple[int, int]] | None, rng: random.Random) -> list[OcrLine]:
    """What OCR does to a page: misread characters, lost lines, shifted boxes, seal text read as lines.

    SEAL (name, centre) is read now and then, as a fragment or as the whole
    organisation name, along the top of its ring: over the sign-off, to the right,
    so on a page that holds only a sign-off it is one of the top lines.  Now and
    then the whole ring is read as one tall box, merged with the sign-off line
    beside it (as RapidOCR reads the sample judgment's last page).
    """
    out = []
    for line in lines:
        if rng.random() < 0.03:
            continue
        text = "".join(rng.choice(_CONFUSABLE) if rng.random() < 0.02 else ch for ch in line.text)
        x0, y0, x1, y1 = line.box
        jitter = [rng.uniform(-8, 8) for _ in range(4)]
        out.append(OcrLine(text=text, box=(x0 + jitter[0], y0 + jitter[1], x1 + jitter[2], y1 + jitter[3]),
                           confidence=0.9))
    if seal and out:
        name, (cx, cy) = seal
        for _ in range(rng.randint(0, 2)):
            text = rng.choice((name, name, "人民法院", "专用章", "有限公司", "事务所", "院"))
            w = min(55 * len(text), 440)
            x, y = cx - w / 2 + rng.uniform(-40, 40), cy - 250 + rng.uniform(0, 60)
            out.append(OcrLine(text=text, box=(x, y, x + w, y + 80), confidence=0.5))
        beside = [i for i, line in enumerate(out) if abs((line.box[1] + line.box[3]) / 2 - cy) < 260]
        if beside and rng.random() < 0.25:
            i = rng.choice(beside)
            x0, _, _, _ = out[i].box
            out[i] = OcrLine(text=out[i].text + name[: rng.randint(0, len(name))],
                             box=(min(x0, cx - 260), cy - 265, cx + 260, cy + 265), confidence=0.6)
    return out


@dataclass(frozen=True)
class StackDoc:
    """One document of a stack and what a clerk would catalogue for it."""

    name: str
    label: str
    title: str
    first: int  # index of its first page in the stack
    last: int
    date: str | None
    author: str | None


@dataclass
class Stack:
    pages: list[LaidPage]
    docs: list[StackDoc]
    footer: str
    stamped: bool
    catalogue_pages: int

    @property
    def starts(self) -> set[int]:
        return {doc.first for doc in self.docs}

    def ocr(self, rng: random.Random | None = None) -> list[OcrPage]:
        return [page.ocr(rng) for page in self.pages]


def read_corpus_docs(corpus_dir: Path = CORPUS) -> list[CorpusDoc]:
    with (corpus_dir / "labels.tsv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [CorpusDoc(row["path"], row["label"], (corpus_dir / row["path"]).read_text("utf-8")) for row in rows]


def held_out(name: str) -> bool:
    """Whether a corpus document belongs to the evaluation part (a stable hash of its path)."""
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < HELD_OUT_SHARE


@lru_cache(maxsize=64)
def _widths(size: int, bold: bool, serif: bool) -> tuple[ImageFont.FreeTypeFont, dict[str, float]]:
    return cjk_font(size, bold, serif), {}


def text_width(text: str, size: int, bold: bool = False, serif: bool = False) -> int:
    font, cache = _widths(size, bold, serif)
    total = 0.0
    for ch in text:
        if ch not in cache:
            cache[ch] = font.getlength(ch)
        total += cache[ch]
    return int(total)


def _clean_lines(text: str) -> list[str]:
    return [s for s in (_SPACES.sub(" ", line).strip() for line in text.splitlines()) if s]


def _split_parts(lines: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Header (short lines before the body), body, and the sign-off block (short lines after it)."""
    head = []
    for line in lines[:3]:
        if len(line) > 26 or _HEADING.match(line):
            break
        head.append(line)
    rest = lines[len(head):]
    tail: list[str] = []
    for line in reversed(rest):
        if len(line) > 24 or len(tail) >= 7 or _HEADING.match(line):
            break
        tail.insert(0, line)
    if len(tail) == len(rest):  # a form of short lines only: keep them as body
        tail = []
    return head, rest[: len(rest) - len(tail)], tail


def printed_title(text: str) -> str:
    """The line printed as the document's title: the one naming its type, else the first line."""
    head, _, _ = _split_parts(_clean_lines(text))
    rule = match_title(text)
    if rule is not None and rule.line < len(head):
        return head[rule.line]
    return head[0] if head else _clean_lines(text)[0]


def catalogue_facts(text: str) -> tuple[str | None, str | None]:
    """落款 date and 责任者 as a clerk reads them off the sign-off block (else the whole text)."""
    lines = _clean_lines(text)
    _, _, tail = _split_parts(lines)
    dates = find_dates("\n".join(tail)) or find_dates(text)
    return (dates[-1] if dates else None), find_court("\n".join(lines[:3])) or find_court("\n".join(tail))


class _Layout:
    """Flows lines onto A4 pages; a new page when the next line does not fit."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.pages: list[LaidPage] = [LaidPage()]
        self.y = MARGIN_TOP + rng.randint(-20, 30)

    def place(self, text: str, size: int, align: str, gap: float, bold: bool = False, serif: bool = False,
              indent: int = 0) -> None:
        width, height = A4_300DPI
        step = int(size * gap)
        if self.y + step > height - MARGIN_BOTTOM:
            self.pages.append(LaidPage())
            self.y = MARGIN_TOP + self.rng.randint(-20, 30)
        w = text_width(text, size, bold, serif)
        if align == "centre":
            x = (width - w) // 2
        elif align == "right":
            x = width - MARGIN_X - w - self.rng.randint(0, 160)
        else:
            x = MARGIN_X + indent
        self.pages[-1].lines.append(LaidLine(text, (x, self.y, x + w, self.y + int(size * 1.15)), size, bold, serif))
        self.y += step

    def paragraph(self, text: str, size: int, gap: float) -> None:
        usable = A4_300DPI[0] - 2 * MARGIN_X
        indent = 2 * size
        current, limit = "", usable - indent
        font, cache = _widths(size, False, False)
        width = 0.0
        first = True
        for ch in text:
            if ch not in cache:
                cache[ch] = font.getlength(ch)
            if width + cache[ch] > limit and current:
                self.place(current, size, "left", gap, indent=indent if first else 0)
                first, current, width, limit = False, "", 0.0, usable
            current += ch
            width += cache[ch]
        if current:
            self.place(current, size, "left", gap, indent=indent if first else 0)

    def skip(self, pixels: int) -> None:
        self.y += pixels


def lay_out_document(text: str, rng: random.Random, size: int | None = None) -> list[LaidPage]:
    """TEXT laid out as a printed court paper (no footers or stamps yet), body text SIZE px (else random)."""
    head, body, tail = _split_parts(_clean_lines(text))
    title = printed_title(text)
    size = size or rng.choice((40, 42, 44, 46, 50))
    gap = rng.uniform(1.55, 1.95)
    layout = _Layout(rng)
    for line in head:
        if line == title:
            layout.place(line, rng.choice((64, 72, 80)), "centre", 1.9, bold=True, serif=True)
        elif find_case_numbers(line):
            layout.place(line, size, "right", gap * 1.1)
        else:
            layout.place(line, size + 8, "centre", 1.6, bold=True)
    layout.skip(size // 2)
    for line in body:
        if len(line) <= 20 and (_HEADING.match(line) or len(line) <= 12):
            centred = bool(_CHAPTER.match(line)) or rng.random() < 0.3
            layout.place(line, size + 4 if centred else size, "centre" if centred else "left", gap * 1.2,
                         bold=True, indent=2 * size)
        else:
            layout.paragraph(line, size, gap)
    if tail:
        layout.skip(size)
    for line in tail:
        layout.place(line, size, "left" if line.startswith("此致") else "right", gap * 1.1, indent=2 * size)
    pages = layout.pages
    if tail and rng.random() < 0.6:
        pages[-1].seal = find_court("\n".join(head + tail)) or rng.choice(("浙江某某律师事务所", "杭州某某科技有限公司"))
    return pages


def _footer(page: LaidPage, style: str, k: int, n: int) -> None:
    width, height = A4_300DPI
    text = f"第 {k} 页 共 {n} 页" if style == "page_of" else f"- {k} -"
    w = text_width(text, 36)
    y = height - 200
    page.lines.append(LaidLine(text, ((width - w) // 2, y, (width + w) // 2, y + 42), 36))


def _stamp(page: LaidPage, number: int) -> None:
    width, _ = A4_300DPI
    text = str(number)
    w = text_width(text, 48, bold=True)
    x0, y0 = width - 330, 110
    page.lines.append(LaidLine(text, (x0 + (200 - w) // 2, y0 + 18, x0 + (200 + w) // 2, y0 + 74), 48, True,
                               framed=True))
    page.rules.append((x0, y0, x0 + 200, y0 + 92))


def catalogue_page(rows: list[tuple[str, ...]]) -> LaidPage:
    """A 卷内目录 page: title and a ruled table, one row per document."""
    width, _ = A4_300DPI
    page = LaidPage()
    title = "卷内目录"
    tw = text_width(title, 72, bold=True, serif=True)
    page.lines.append(LaidLine(title, ((width - tw) // 2, 200, (width + tw) // 2, 283), 72, True, True))
    usable = width - 2 * (MARGIN_X - 80)
    lefts = [MARGIN_X - 80]
    for share in CATALOGUE_WIDTHS:
        lefts.append(lefts[-1] + int(share * usable))
    row_h, size = 120, 34
    for r, row in enumerate([CATALOGUE_COLUMNS, *rows]):
        top = 380 + r * row_h
        for c, cell in enumerate(row):
            page.rules.append((lefts[c], top, lefts[c + 1], top + row_h))
            room = lefts[c + 1] - lefts[c] - 24
            while cell and text_width(cell, size) > room * 2:
                cell = cell[:-1]
            parts = [cell]
            if text_width(cell, size) > room:  # two lines in the cell
                cut = max(i for i in range(1, len(cell) + 1) if text_width(cell[:i], size) <= room)
                parts = [cell[:cut], cell[cut:]]
            for p, part in enumerate(parts):
                y = top + (row_h - len(parts) * 44) // 2 + p * 44
                x = lefts[c] + 12
                page.lines.append(LaidLine(part, (x, y, x + text_width(part, size), y + 40), size, framed=True))
    return page


CATALOGUE_ROWS_PER_PAGE = 22


def build_stack(docs: list[CorpusDoc], seed: int, *, footer: str | None = None, stamped: bool | None = None,
                catalogue: bool | None = None, blank_rate: float = 0.05, body_size: int | None = None) -> Stack:
    """DOCS laid out one after the other, with this stack's footers, stamps and catalogue page."""
    rng = random.Random(seed)
    footer = footer if footer is not None else rng.choice(FOOTER_STYLES)
    stamped = stamped if stamped is not None else rng.random() < 0.5
    catalogue = catalogue if catalogue is not None else rng.random() < 0.3
    pages: list[LaidPage] = []
    spans: list[tuple[CorpusDoc, int, int]] = []
    for doc in docs:
        laid = lay_out_document(doc.text, rng, body_size)
        for k, page in enumerate(laid, start=1):
            if footer != "none" and (len(laid) > 1 or rng.random() < 0.5):
                _footer(page, footer, k, len(laid))
        if rng.random() < blank_rate:
            laid.append(LaidPage())
        spans.append((doc, len(pages), len(pages) + len(laid) - 1))
        pages.extend(laid)
    front: list[LaidPage] = []
    if catalogue:
        rows = []
        for n, (doc, first, last) in enumerate(spans, start=1):
            date, author = catalogue_facts(doc.text)
            numbers = find_case_numbers(doc.text[:300])
            page_no = str(first + 1) if n < len(spans) else f"{first + 1}-{last + 1}"
            rows.append((str(n), numbers[0].normalized if numbers else "", author or "",
                         printed_title(doc.text), (date or "").replace("-", ""), page_no, ""))
        front = [catalogue_page(rows[i : i + CATALOGUE_ROWS_PER_PAGE])
                 for i in range(0, len(rows), CATALOGUE_ROWS_PER_PAGE)]
    if stamped:
        for number, page in enumerate(pages, start=1):
            if page.lines:
                _stamp(page, number)
    offset = len(front)
    stack_docs = [
        StackDoc(doc.name, doc.label, printed_title(doc.text), first + offset, last + offset,
                 *catalogue_facts(doc.text))
        for doc, first, last in spans
    ]
    if front:
        stack_docs.insert(0, StackDoc("卷内目录", "卷内目录", "卷内目录", 0, len(front) - 1, None, None))
    return Stack(front + pages, stack_docs, footer, stamped, len(front))


def random_stacks(docs: list[CorpusDoc], count: int, seed: int, sizes: tuple[int, int] = (2, 9),
                  **options: object) -> list[Stack]:
    """COUNT stacks of random documents in random order, of SIZES documents each."""
    rng = random.Random(seed)
    return [build_stack(rng.sample(docs, rng.randint(*sizes)), seed * 1000 + i, **options)  # type: ignore[arg-type]
            for i in range(count)]


def draw(page: LaidPage) -> Image.Image:
    """The page image (white A4 at 300 dpi, black text, table rules, a red seal where laid)."""
    image = Image.new("RGB", A4_300DPI, (255, 255, 255))
    pen = ImageDraw.Draw(image)
    for rect in page.rules:
        pen.rectangle(rect, outline=(0, 0, 0), width=3)
    for line in page.lines:
        font = cjk_font(line.size, line.bold, line.serif)
        pen.text((line.box[0], line.box[1]), line.text, font=font, fill=(0, 0, 0))
    if page.seal and page.lines:
        draw_seal(image, seal_centre(page), page.seal)
    return image


def seal_centre(page: LaidPage) -> tuple[int, int]:
    """Where the seal is stamped: to the right, over the page's last text line (footers and stamps aside)."""
    last = max((line.box[3] for line in page.lines if not line.framed), default=MARGIN_TOP)
    return A4_300DPI[0] - 600, min(max(last - 160, 700), A4_300DPI[1] - 600)


def normalise_title(title: str) -> str:
    """A title as compared: width folded, without spaces, brackets, punctuation or blanks to fill in (＿＿)."""
    return re.sub(r"[\s\u3000（）()〔〕\[\]【】：:、，,。.·_＿]", "", unicodedata.normalize("NFKC", title or ""))


def corrected_stacks() -> list[tuple[list[OcrPage], set[int]]]:
    """Clerks' boundary corrections in the configured store: real scanned pages with a person's decision."""
    from edossier.config import load_settings
    from edossier.pipeline.recatalogue import boundary_samples
    from edossier.storage import open_store

    settings = load_settings()
    return boundary_samples(open_store(settings.store_uri, settings.storage))


def main() -> None:
    from edossier.classify.boundary_training import save_packaged, train_boundary_model

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["train"])
    parser.add_argument("corpus", nargs="?", type=Path, default=CORPUS)
    parser.add_argument("--stacks", type=int, default=400)
    parser.add_argument("--no-corrections", action="store_true",
                        help="leave out the boundaries clerks drew or removed (edossier catalogue, the reader)")
    args = parser.parse_args()
    docs = [d for d in read_corpus_docs(args.corpus) if not held_out(d.name)]
    stacks = random_stacks(docs, args.stacks, seed=1)
    rng = random.Random(2)
    samples = [(s.ocr(rng), s.starts) for s in stacks]
    if not args.no_corrections:
        samples += corrected_stacks()
    model = train_boundary_model(samples, seed=1)
    path = save_packaged(model)
    print(f"{path}: {model.meta}")


if __name__ == "__main__":
    main()
