"""Bad input stops with one clear line naming the file, a distinct exit code, and nothing stored."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, SHARED_SAMPLES
from tests.edossier_cli import run, stored_files

CASE = "（2024）浙0102民初7号"


def make_inputs(tmp_path: Path) -> dict[str, Path]:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    text = tmp_path / "notes.pdf"
    text.write_text("这不是PDF文件，只是文字。\n", encoding="utf-8")
    jpeg_named_pdf = tmp_path / "photo.pdf"
    shutil.copy(SAMPLES / "02-power-of-attorney.jpg", jpeg_named_pdf)
    header_only = tmp_path / "invalid.pdf"
    shutil.copy(SHARED_SAMPLES / "ocrmypdf" / "invalid.pdf", header_only)
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes((SAMPLES / "03-judgment.pdf").read_bytes()[:4000])
    unknown = tmp_path / "scan.bin"
    unknown.write_bytes(b"\x00\x01binary junk" * 10)
    return {
        "empty": empty,
        "text": text,
        "jpeg_named_pdf": jpeg_named_pdf,
        "header_only": header_only,
        "truncated": truncated,
        "unknown": unknown,
    }


@pytest.mark.parametrize(
    ("name", "code", "problem"),
    [
        ("empty", 3, "is empty (0 bytes)"),
        ("text", 4, "is not a PDF, OFD, Word/WPS"),
        ("jpeg_named_pdf", 3, "content is image/jpeg but the extension '.pdf'"),
        ("header_only", 3, "not a readable PDF"),
        ("truncated", 3, "PDF"),
        ("unknown", 4, "is not a PDF, OFD, Word/WPS"),
        ("missing", 3, "no such file"),
    ],
)
def test_bad_file_is_named_and_nothing_is_stored(tmp_path: Path, name: str, code: int, problem: str) -> None:
    inputs = make_inputs(tmp_path)
    bad = inputs.get(name, tmp_path / "missing.tif")
    data_dir = tmp_path / "data"
    # A good file first: it must not be stored either when a later one is bad.
    result = run(["process", str(SAMPLES / "02-power-of-attorney.jpg"), str(bad), "--case", CASE], data_dir)
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"edossier: error: {bad}") and problem in lines[0]
    assert stored_files(data_dir) == []
    assert (SAMPLES / "02-power-of-attorney.jpg").exists()


def test_invalid_case_number_stops_before_anything(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    result = run(["process", str(SAMPLES / "01-complaint.tif"), "--case", "2024民初100"], data_dir)
    assert result.returncode == 2
    assert "invalid case number '2024民初100'" in result.stderr
    assert stored_files(data_dir) == []


def test_encrypted_pdf_needs_its_password(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    encrypted = SHARED_SAMPLES / "pyhanko" / "minimal-aes256.pdf"
    refused = run(["process", str(encrypted), "--case", CASE], data_dir)
    assert refused.returncode == 11
    assert f"{encrypted}: is encrypted; supply its password with --password" in refused.stderr
    wrong = run(["process", str(encrypted), "--case", CASE, "--password", "guess"], data_dir)
    assert wrong.returncode == 11 and "password given is wrong" in wrong.stderr
    assert stored_files(data_dir) == []
    opened = run(["process", str(encrypted), "--case", CASE, "--password", "usersecret", "--type", "其他"], data_dir)
    assert opened.returncode == 0, opened.stderr
    originals = [p for p in stored_files(data_dir) if "/originals/" in str(p) and not p.name.startswith(".")]
    assert [p.read_bytes() for p in originals] == [encrypted.read_bytes()]  # kept byte for byte


def test_failed_stage_stores_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    result = run(
        ["process", str(SAMPLES / "02-power-of-attorney.jpg"), "--case", CASE],
        data_dir,
        EDOSSIER_OCR__ENGINE="tesseract",
        EDOSSIER_OCR__LANGUAGES="klingon",
    )
    assert result.returncode == 6, result.stderr
    assert "tesseract failed" in result.stderr and "02-power-of-attorney" in result.stderr
    assert stored_files(data_dir) == []
