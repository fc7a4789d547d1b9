"""The whole path on the bundled sample scans: materials in, signed searchable dossier out.

Runs the real ``edossier`` command (Tesseract OCR, PyMuPDF, pyHanko) once per
session and checks what a clerk and a judge would notice.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pymupdf
import pytest

from tests.conftest import SAMPLE_CASE, SAMPLES
from tests.edossier_cli import run

INPUTS = [SAMPLES / "01-complaint.tif", SAMPLES / "02-power-of-attorney.jpg", SAMPLES / "03-judgment.pdf"]
CJK_PAIR_WITH_SPACE = re.compile(r"[\u4e00-\u9fff] [\u4e00-\u9fff]")


@pytest.fixture(scope="session")
def sample_dossier(session_data_dir: Path) -> dict[str, object]:
    result = run(["process", *map(str, INPUTS), "--case", "(2024)浙0102民初100号", "--json"], session_data_dir, True)
    return json.loads(result.stdout)


def test_json_summary(sample_dossier: dict[str, object]) -> None:
    assert sample_dossier["case"] == SAMPLE_CASE
    assert sample_dossier["version"] == 1
    assert sample_dossier["pages"] == 8  # cover, catalogue, 5 document pages, closing sheet
    docs = sample_dossier["documents"]
    assert [d["type"] for d in docs] == ["起诉状", "授权委托书", "判决书"]
    assert [(d["first_page"], d["last_page"]) for d in docs] == [(3, 3), (4, 4), (5, 7)]
    assert all(0 < d["confidence"] <= 1 and d["title"] for d in docs)
    assert Path(str(sample_dossier["pdf"])).is_file()


def test_one_bookmark_per_document(sample_dossier: dict[str, object]) -> None:
    with pymupdf.open(str(sample_dossier["pdf"])) as pdf:
        toc = pdf.get_toc()
    documents = [(title, page) for level, title, page in toc if level == 2 and re.match(r"\d+\. ", title)]
    assert toc[0][1] == "正卷"
    assert [page for _, page in documents] == [3, 4, 5]
    assert "民事反诉状" in documents[0][0] and "判决书" in documents[2][0]


def test_chinese_text_is_searchable_and_copies_without_spaces(sample_dossier: dict[str, object]) -> None:
    with pymupdf.open(str(sample_dossier["pdf"])) as pdf:
        judgment = pdf[4].get_text()
        hits = pdf[4].search_for("本院依法组成合议庭")
    assert "本院依法组成合议庭" in judgment
    assert hits, "search must find a phrase on the page"
    assert not CJK_PAIR_WITH_SPACE.search(judgment)
    first = [line for line in judgment.splitlines() if line.strip()]
    assert first[0] == "行政判决书"  # reading order: the title comes first


def test_text_layer_equals_ocr_text(sample_dossier: dict[str, object], session_data_dir: Path) -> None:
    store = session_data_dir / "store" / "cases" / SAMPLE_CASE
    manifest = json.loads((store / "versions" / "000001" / "manifest.json").read_text())
    ocr_objects = [o for o in manifest["objects"] if o["role"] == "ocr"]
    assert len(ocr_objects) == 5
    by_page = {}
    for doc in manifest["documents"]:
        for page, ocr in zip(doc["pages"], doc["ocr"], strict=True):
            by_page[page["sha256"]] = ocr
    with pymupdf.open(str(sample_dossier["pdf"])) as pdf:
        page_order = [p for d in manifest["documents"] for p in d["pages"]]
        first = manifest["catalogue"][0]["first_page"]  # after the cover and the catalogue
        for number, page in enumerate(page_order, start=first):
            expected = [line["text"] for line in by_page[page["sha256"]]["lines"] if line["text"].strip()]
            extracted = [line for line in pdf[number - 1].get_text().splitlines() if line.strip()]
            assert extracted[-1] == str(number)  # the stamped page number, written last
            extracted = extracted[:-1]
            assert "".join(extracted).replace(" ", "") == "".join(expected).replace(" ", "")


def test_verify_valid_then_any_changed_byte_invalid(sample_dossier: dict[str, object], tmp_path: Path,
                                                    session_data_dir: Path) -> None:
    pdf = Path(str(sample_dossier["pdf"]))
    ok = run(["verify", str(pdf), "--json"], session_data_dir)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    report = json.loads(ok.stdout)
    assert report["valid"] is True and len(report["signatures"]) == 1 and report["problems"] == []

    data = pdf.read_bytes()
    start, length, gap_end, _ = map(int, re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", data).groups())
    gap_start = start + length
    # Covered bytes, the signature value itself, and its zero padding just before '>'.
    for offset in (0, 100, len(data) // 2, gap_start + 40, gap_end - 3, len(data) - 3):
        tampered = bytearray(data)
        tampered[offset] = ord("7") if tampered[offset] != ord("7") else ord("8")
        target = tmp_path / f"tampered-{offset}.pdf"
        target.write_bytes(bytes(tampered))
        bad = run(["verify", str(target), "--json"], session_data_dir)
        assert bad.returncode == 5, f"byte {offset} changed but verify said: {bad.stdout}"
        assert json.loads(bad.stdout)["valid"] is False


def test_qpdf_finds_no_structural_errors(sample_dossier: dict[str, object]) -> None:
    if shutil.which("qpdf") is None:
        pytest.skip("qpdf is not installed (scripts/apt-packages.txt installs it)")
    result = subprocess.run(["qpdf", "--check", str(sample_dossier["pdf"])], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_resubmitting_the_same_materials_adds_nothing(sample_dossier: dict[str, object], session_data_dir: Path) -> None:
    again = run(["process", str(INPUTS[1]), "--case", SAMPLE_CASE, "--json"], session_data_dir, True)
    assert json.loads(again.stdout)["version"] == 1
    listing = json.loads(run(["list", "--json"], session_data_dir, True).stdout)
    assert [(row["case"], row["versions"]) for row in listing] == [(SAMPLE_CASE, [1])]


def test_get_copies_the_stored_pdf(sample_dossier: dict[str, object], session_data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "copy.pdf"
    run(["get", "(2024)浙0102民初100号", "-o", str(out)], session_data_dir, True)
    assert out.read_bytes() == Path(str(sample_dossier["pdf"])).read_bytes()
    missing = run(["get", "（2024）浙0102民初999号", "-o", str(out)], session_data_dir)
    assert missing.returncode == 10
    assert missing.stderr.strip() == (
        f"edossier: error: case （2024）浙0102民初999号: no dossier in {(session_data_dir / 'store').as_uri()}"
    )
