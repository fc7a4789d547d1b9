"""智能编目 on real rendered stacks read by the real default OCR engine (RapidOCR), through ingest and cleanup.

The stacks are corpus texts (tests/data/catalogue, see its README) laid out and
drawn by bench/stacks.py and made to look scanned by bench/degrade.py; they are
read exactly as ``edossier process`` reads a scanned PDF.  The 笔录 is in the
boundary model's training part of the corpus (the held-out part has no long
one); every other document is held out.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from edossier.classify.cataloguing import catalogue_documents
from edossier.classify.classifier import classify_text
from edossier.classify.page_reading import read_page
from edossier.config import ClassifySettings

from bench.catalogue import ocr_stack, scanned_pdf
from bench.stacks import (
    LaidPage,
    Stack,
    build_stack,
    catalogue_page,
    held_out,
    read_corpus_docs,
)
from edossier.types import Classification, OcrPage

# About 35 pages through cleanup and OCR: minutes on a quiet 2-core machine, more on a busy one.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]

DATA = Path(__file__).resolve().parents[1] / "data" / "catalogue"
DOCS = {d.name.rsplit("/", 1)[-1].removesuffix(".txt"): d for d in read_corpus_docs(DATA)}
JUDGMENT_SIZE = 84  # large print: the corpus's longest judgment (8 200 characters) becomes a 20-page paper


def classify(text: str) -> Classification:
    return classify_text(text, ClassifySettings())


@pytest.fixture(scope="module")
def long_stack(tmp_path_factory: pytest.TempPathFactory) -> tuple[Stack, list[OcrPage | None]]:
    """A complaint, a 20-page judgment with headings, a multi-page 笔录 and a power of attorney; no footers."""
    docs = [DOCS["td_susong00"], DOCS["wenshu_pj_3c5f2393"], DOCS["td_lvshiwenshu04_example"], DOCS["td_zhongcai11_form"]]
    assert all(held_out(d.name) for d in docs if d.label != "笔录")
    stack = build_stack(docs, seed=11, footer="none", stamped=False, catalogue=False, blank_rate=0.0,
                        body_size=JUDGMENT_SIZE)
    folder = tmp_path_factory.mktemp("long")
    ocr, _ = ocr_stack(scanned_pdf(stack, folder / "stack.pdf", seed=11), folder / "work")
    return stack, ocr


@pytest.fixture(scope="module")
def volume(tmp_path_factory: pytest.TempPathFactory) -> tuple[Stack, list[OcrPage | None], OcrPage | None]:
    """An archive volume: a front 卷内目录, stamped page numbers, three held-out documents.

    Also read: the same catalogue with one 页号 wrong, as a volume whose catalogue disagrees with its pages.
    """
    docs = [DOCS["wenshu_pj_a01af9fd"], DOCS["td_xinshiws20_example"], DOCS["td_mscaijue21"]]
    assert all(held_out(d.name) for d in docs)
    stack = build_stack(docs, seed=5, footer="none", stamped=True, catalogue=True, blank_rate=0.0)
    wrong = Stack([_misnumbered(stack)], stack.docs, stack.footer, stack.stamped, 1)
    folder = tmp_path_factory.mktemp("volume")
    ocr, _ = ocr_stack(scanned_pdf(stack, folder / "volume.pdf", seed=5), folder / "work")
    bad, _ = ocr_stack(scanned_pdf(wrong, folder / "wrong.pdf", seed=6), folder / "work")
    return stack, ocr, bad[0]


def _misnumbered(stack: Stack) -> LaidPage:
    """The stack's catalogue page with the last document's 页号 one page too early."""
    last = stack.docs[-1]
    rows = []
    for n, doc in enumerate(stack.docs[1:], start=1):
        first = doc.first if doc is not last else doc.first - 1
        rows.append((str(n), "", doc.author or "", doc.title, "", str(first), ""))
    return catalogue_page(rows)


def test_long_judgment_and_transcript_are_not_split(long_stack: tuple[Stack, list[OcrPage | None]]) -> None:
    stack, ocr = long_stack
    judgment = next(d for d in stack.docs if d.label == "判决书")
    transcript = next(d for d in stack.docs if d.label == "笔录")
    assert judgment.last - judgment.first + 1 >= 20 and transcript.last > transcript.first
    found = catalogue_documents([read_page(o) for o in ocr], classify)
    spans = [(d.first, d.last) for d in found]
    assert (judgment.first, judgment.last) in spans
    assert (transcript.first, transcript.last) in spans
    assert spans == [(d.first, d.last) for d in stack.docs]
    by_first = {d.first: d for d in found}
    assert by_first[judgment.first].classification.type == "判决书"
    assert by_first[judgment.first].title.value == "行政判决书"
    inner = [p for d in found for p in range(d.first + 1, d.last + 1)]
    assert all(by_first.get(p) is None for p in inner)


def test_every_page_is_in_exactly_one_document(long_stack: tuple[Stack, list[OcrPage | None]]) -> None:
    stack, ocr = long_stack
    found = catalogue_documents([read_page(o) for o in ocr], classify)
    covered = [p for d in found for p in range(d.first, d.last + 1)]
    assert covered == list(range(len(stack.pages)))


def test_volume_catalogue_is_read_mapped_and_kept(volume: tuple[Stack, list[OcrPage | None], OcrPage | None]) -> None:
    stack, ocr, _ = volume
    readings = [read_page(o) for o in ocr]
    assert [r.stamp for r in readings[1:]] == list(range(1, len(readings)))
    found = catalogue_documents(readings, classify)
    assert found[0].method == "catalogue_page" and found[0].title.value == "卷内目录" and found[0].last == 0
    assert [(d.first, d.last) for d in found] == [(d.first, d.last) for d in stack.docs]
    assert all(d.method == "volume_catalogue" and not d.remark for d in found[1:])
    judgment = found[1]
    assert judgment.boundary_confidence == 1.0 and judgment.title.value == "行政判决书"


def test_a_catalogue_that_disagrees_is_flagged(volume: tuple[Stack, list[OcrPage | None], OcrPage | None]) -> None:
    _, ocr, wrong_catalogue = volume
    readings = [read_page(wrong_catalogue)] + [read_page(o) for o in ocr[1:]]
    found = catalogue_documents(readings, classify)
    flagged = [d for d in found if d.remark]
    assert flagged and all(d.classification.needs_review for d in flagged)
    assert "卷内目录" in flagged[0].remark
    covered = [p for d in found for p in range(d.first, d.last + 1)]
    assert covered == list(range(len(readings)))


def test_judgment_date_and_author_come_from_its_sign_off(volume: tuple[Stack, list[OcrPage | None], OcrPage | None]) -> None:
    stack, ocr, _ = volume
    found = catalogue_documents([read_page(o) for o in ocr], classify)
    judgment = next(d for d in found if d.classification.type == "判决书")
    truth = next(d for d in stack.docs if d.label == "判决书")
    assert truth.date and judgment.date.value == truth.date and judgment.date.confidence >= 0.8
    assert truth.author and judgment.author.value == truth.author
