"""``edossier ocr``: text on stdout, or JSON with pages, lines, boxes and confidences."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from edossier.pipeline.cli import main
from tests.ocr.conftest import SAMPLES, SHARED_SAMPLES


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EDOSSIER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("EDOSSIER_CONFIG", str(tmp_path / "none.toml"))
    return tmp_path


def test_ocr_json(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ocr", str(SAMPLES / "02-power-of-attorney.jpg"), "--engine", "rapidocr", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["engine"].startswith("rapidocr-")
    (page,) = result["pages"]
    assert page["page"] == 1 and 0.9 < page["confidence"] <= 1
    assert page["lines"][0]["text"] == "授权委托书"
    assert page["text"] == "\n".join(line["text"] for line in page["lines"])
    x0, y0, x1, y1 = page["lines"][0]["box"]
    assert 0 < x0 < x1 < 2480 and 0 < y0 < y1 < 3508


def test_ocr_plain_text_with_tesseract(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ocr", str(SHARED_SAMPLES / "tesseract" / "phototest.tif"), "--engine", "tesseract"]) == 0
    assert capsys.readouterr().out.startswith("This is a")


def test_ocr_born_digital_pdf_keeps_its_text(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ocr", str(SHARED_SAMPLES / "ocrmypdf" / "tagged.pdf"), "--json"]) == 0
    pages = json.loads(capsys.readouterr().out)["pages"]
    assert pages and all(p["confidence"] is None and p["text"].strip() for p in pages)


def test_ocr_bad_input(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ocr", str(SHARED_SAMPLES / "ocrmypdf" / "invalid.pdf")]) == 3
    assert "invalid.pdf" in capsys.readouterr().err


def test_unread_page_is_flagged_for_review(
    isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page with ink that no way of reading yields text (a detector that accepts no box, no second engine)."""
    monkeypatch.setenv("EDOSSIER_OCR__DET_BOX_THRESH", "0.99")
    monkeypatch.setenv("EDOSSIER_OCR__FALLBACK_ENGINE", "none")
    assert main(["ocr", str(SHARED_SAMPLES / "tesseract" / "phototest.tif"), "--json"]) == 0
    captured = capsys.readouterr()
    (page,) = json.loads(captured.out)["pages"]
    assert page["text"] == "" and page["read_by"] == "nothing" and page["needs_review"] is True
    assert "page 1 has ink but no text could be read; needs review" in captured.err


def test_casenumber_imports_no_pipeline_stage() -> None:
    """`edossier casenumber` imported binding, signing, the web reader and OCR (2 s to start)."""
    code = (
        "import sys; from edossier.pipeline.cli import main; main(['casenumber', '(2024)浙0106民初123号']);"
        "print(sorted(m for m in sys.modules if m.startswith(('edossier.pipeline.process', 'edossier.bind',"
        " 'edossier.ocr', 'edossier.web', 'pydantic_settings'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, encoding="utf-8", check=True).stdout
    assert out.splitlines() == ["（2024）浙0106民初123号", "[]"]
