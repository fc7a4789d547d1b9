"""``edossier process --split``: one scanned stack, its documents bound and listed (real CLI, real OCR).

The stack is rendered (bench/stacks.py: three held-out corpus documents, no
separator sheets, no footers) and made to look scanned (bench/degrade.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.catalogue import scanned_pdf
from bench.stacks import Stack, build_stack, read_corpus_docs
from tests.edossier_cli import run

pytestmark = pytest.mark.timeout(1200)  # OCR of a five-page stack, twice through the whole CLI

DATA = Path(__file__).resolve().parents[1] / "data" / "catalogue"
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
    # documents come in binding order (by type); their pages, taken together, are the stack's in order
    assert sorted(d["source_pages"] for d in documents) == [list(range(d.first + 1, d.last + 2)) for d in stack.docs]
    assert all(d["source_file"] == "stack.pdf" and d["boundary_confidence"] >= 0.5 for d in documents)
    judgment = next(d for d in documents if d["type"] == "判决书")
    truth = next(d for d in stack.docs if d.label == "判决书")
    assert judgment["title"] == "行政判决书"
    assert (judgment["date"], judgment["author"]) == (truth.date, truth.author)
    assert {d["type"] for d in documents} == {d.label for d in stack.docs}

    whole = run(["process", str(pdf), "--case", "（2024）浙0102民初302号", "--split", "none", "--json"], data,
                check=True)
    assert [d["source_pages"] for d in json.loads(whole.stdout)["documents"]] == [list(range(1, len(stack.pages) + 1))]
