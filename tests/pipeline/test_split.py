"""``edossier process --split``: one scanned stack, its documents bound and listed (real CLI, real OCR).

The stack is rendered (bench/stacks.py: three held-out corpus documents, no
separator sheets, no footers) and made to look scanned (bench/degrade.py).  The
bundled 3-page sample judgment, whose last page holds only its sign-off under
the court's seal, stays one document.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pymupdf
import pytest

from bench.catalogue import scanned_pdf
from bench.stacks import Stack, build_stack, read_corpus_docs
from tests.edossier_cli import run
from edossier.pipeline.batch.state import open_state

pytestmark = pytest.mark.timeout(1200)  # OCR of a five-page stack, twice through the whole CLI

DATA = Path(__file__).resolve().parents[1] / "data" / "catalogue"
SAMPLE_JUDGMENT = Path(__file__).resolve().parents[2] / "samples" / "03-judgment.pdf"
CATALOGUE_HEADINGS = ("序号", "责任者", "题名", "日期", "页号", "备注")
NAMES = ("docs/判决书/wenshu_pj_a01af9fd.txt", "docs/申请书/td_xinshiws20_example.txt", "docs/裁定书/td_mscaijue21.txt")


@pytest.fixture(scope="module")
def stack_pdf(tmp_path_factory: pytest.TempPathFactory) -> tuple[Stack, Path]:
    docs = {d.name: d for d in read_corpus_docs(DATA)}
    stack = build_stack([docs[n] for n in NAMES], seed=21, footer="none", stamped=False, catalogue=False,
                        blank_rate=0.0)
    return stack, scanned_pdf(stack, tmp_path_factory.mktemp("split") / "stack.pdf", seed=21)


def test_process_cuts_a_stack_into_its_documents(stack_pdf: tuple[Stack, Path], tmp_path: Path) -> None:
    stack, pdf = stack_pdf
    data = tmp_path / "data"
    result = run(["process", str(pdf), "--case", "（2024）浙0102民初301号", "--split", "auto", "--json"], data, check=True)
    documents = json.loads(result.stdout)["documents"]
    bound = json.loads(result.stdout)["pdf"]
    # documents come in binding order (by type); their pages, taken together, are the stack's in order
    assert sorted(d["source_pages"] for d in documents) == [list(range(d.first + 1, d.last + 2)) for d in stack.docs]
    assert all(d["source_file"] == "stack.pdf" and d["boundary_confidence"] >= 0.5 for d in documents)
    judgment = next(d for d in documents if d["type"] == "判决书")
    truth = next(d for d in stack.docs if d.label == "判决书")
    assert judgment["title"] == "行政判决书"
    assert (judgment["date"], judgment["author"]) == (truth.date, truth.author)
    assert {d["type"] for d in documents} == {d.label for d in stack.docs}

    # the bound 卷内目录 lists each document with its 责任者 and 落款 date, in the archive's columns
    with pymupdf.open(bound) as doc:
        catalogue = doc[1]
        assert all(heading in catalogue.get_text() for heading in CATALOGUE_HEADINGS)
        assert "类型" not in catalogue.get_text()
        row = _row(catalogue, "行政判决书")
    assert truth.author and truth.author in row and truth.date.replace("-", "") in row
    assert f"{judgment['first_page']}-{judgment['last_page']}" in row

    whole = run(["process", str(pdf), "--case", "（2024）浙0102民初302号", "--split", "none", "--json"], data,
                check=True)
    assert [d["source_pages"] for d in json.loads(whole.stdout)["documents"]] == [list(range(1, len(stack.pages) + 1))]


def _row(page: pymupdf.Page, title: str) -> str:
    """The text of the catalogue row whose 题名 is TITLE, cell after cell (a cell's two lines in order)."""
    words = page.get_text("words")
    hit = next(w for w in words if w[4] == title)
    centre = (hit[1] + hit[3]) / 2
    cells = sorted((w for w in words if abs((w[1] + w[3]) / 2 - centre) < 10), key=lambda w: (round(w[0]), w[1]))
    return "".join(w[4] for w in cells)


def test_the_sample_judgment_stays_one_document(tmp_path: Path) -> None:
    """Its last page is only 审判长…, the date and 书记员 beside the court's seal: the end of the judgment."""
    data = tmp_path / "data"
    for case, split in (("（2024）浙0102民初303号", ["--split", "auto"]), ("（2024）浙0102民初304号", [])):
        result = run(["process", str(SAMPLE_JUDGMENT), "--case", case, *split, "--json"], data, check=True)
        documents = json.loads(result.stdout)["documents"]
        assert [(d["type"], d["title"], d["source_pages"]) for d in documents] == [("判决书", "行政判决书", [1, 2, 3])]


def test_the_hot_folder_and_the_batch_take_split_too(stack_pdf: tuple[Stack, Path], tmp_path: Path) -> None:
    """``watch --split none`` files a dropped stack whole; ``batch --split`` is recorded for every worker."""
    stack, pdf = stack_pdf
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(pdf, inbox / "stack.pdf")
    os.utime(inbox / "stack.pdf", (time.time() - 60, time.time() - 60))  # landed a minute ago: stable
    data = tmp_path / "data"
    run(["watch", f"folder:{inbox}", "--case", "（2024）浙0102民初305号", "--once", "--split", "none", "--json"], data,
        check=True, EDOSSIER_SCAN__FOLDER_STABLE_S="0")
    manifest = json.loads(next((data / "store").glob("cases/*/versions/000001/manifest.json")).read_text("utf-8"))
    assert [len(d["pages"]) for d in manifest["documents"]] == [len(stack.pages)]

    source = tmp_path / "archive"
    source.mkdir()
    shutil.copy(pdf, source / "stack.pdf")
    (tmp_path / "map.csv").write_text("path,case\nstack.pdf,（2024）浙0102民初306号\n", "utf-8")
    started = run(["batch", str(source), "--cases", str(tmp_path / "map.csv"), "--broker",
                   f"sqlite:///{tmp_path / 'broker.sqlite'}", "--split", "cover-sheets", "--json"], data, check=True)
    batch = json.loads(started.stdout)
    _, recorded = open_state(batch["state"]).batch(batch["batch"])
    assert recorded["settings"]["classify"]["split"] == "cover-sheets"
