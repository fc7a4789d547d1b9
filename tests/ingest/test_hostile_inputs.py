"""The catalogue of hostile inputs: each gives its expected clear error and exit code.

Every case runs the real command and checks that nothing was stored and that the
original is untouched.  Active content is stripped from what is bound (and said),
never run, while the original is kept byte for byte.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest

from tests.conftest import SAMPLES, SHARED_SAMPLES
from tests.edossier_cli import run, stored_files
from tests.ingest import hostile

CASE = "（2024）浙0102民初8号"


def _expect_refusal(tmp_path: Path, bad: Path, code: int, problem: str, **env: str) -> None:
    before = bad.read_bytes()
    data_dir = tmp_path / "data"
    result = run(["process", str(bad), "--case", CASE, "--type", "其他"], data_dir, **env)
    assert result.returncode == code, result.stderr
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith(f"edossier: error: {bad}") and problem in line, line
    assert stored_files(data_dir) == []
    assert bad.read_bytes() == before


def test_image_declaring_35000_squared_pixels(tmp_path: Path) -> None:
    bomb = hostile.png_declaring(tmp_path / "bomb.png", 35000, 35000)
    _expect_refusal(tmp_path, bomb, 9, "too large to decode")


def test_image_over_the_configured_pixel_limit(tmp_path: Path) -> None:
    big = hostile.png_declaring(tmp_path / "big.png", 9000, 9000)
    _expect_refusal(tmp_path, big, 9, "page 1 is 9000x9000 pixels, over the limit of 50000000",
                    EDOSSIER_LIMITS__MAX_PIXELS_PER_PAGE="50000000")


def test_very_large_pdf_page(tmp_path: Path) -> None:
    doc = pymupdf.open()
    doc.new_page(width=14400, height=14400)  # 5 m square: 60000x60000 pixels at 300 dpi
    doc.save(tmp_path / "poster.pdf")
    _expect_refusal(tmp_path, tmp_path / "poster.pdf", 9, "page 1 is 60000x60000 pixels")


def test_too_many_pages(tmp_path: Path) -> None:
    pdf = hostile.text_pdf(tmp_path / "long.pdf", pages=30)
    _expect_refusal(tmp_path, pdf, 9, "has 30 pages, over the limit of 20", EDOSSIER_LIMITS__MAX_PAGES="20")


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    big = tmp_path / "scan.jpg"
    big.write_bytes((SAMPLES / "02-power-of-attorney.jpg").read_bytes())
    _expect_refusal(tmp_path, big, 9, "over the limit of 1000", EDOSSIER_LIMITS__MAX_FILE_BYTES="1000")


@pytest.mark.parametrize("builder", [hostile.tiff_with_broken_ifd, hostile.tiff_with_garbage_ifd])
def test_tiff_with_broken_ifd(tmp_path: Path, builder) -> None:  # type: ignore[no-untyped-def]
    bad = builder(SHARED_SAMPLES / "tesseract" / "phototest.tif", tmp_path / "broken.tif")
    _expect_refusal(tmp_path, bad, 3, "broken.tif: ")


@pytest.mark.parametrize(
    ("builder", "kind"),
    [
        (hostile.pdf_with_javascript, "javascript"),
        (hostile.pdf_with_launch_action, "launch"),
        (hostile.pdf_with_embedded_file, "embedded_files"),
    ],
)
def test_active_content_is_stripped_and_said(tmp_path: Path, builder, kind: str) -> None:  # type: ignore[no-untyped-def]
    pdf = builder(tmp_path / f"{kind}.pdf")
    original = pdf.read_bytes()
    data_dir = tmp_path / "data"
    result = run(["process", str(pdf), "--case", CASE, "--json"], data_dir)
    assert result.returncode == 0, result.stderr
    assert f"removed {kind.replace('_', ' ')}" in result.stderr
    dossier = Path(json.loads(result.stdout)["pdf"])
    with pymupdf.open(dossier) as bound:
        assert bound.embfile_count() == 0
        assert "本院受理原告诉被告" in bound[2].get_text()  # after the cover and the catalogue
        raw = dossier.read_bytes()
        assert b"/JavaScript" not in raw and b"/Launch" not in raw and b"payload.exe" not in raw
    originals = [p for p in stored_files(data_dir) if "/originals/" in str(p) and not p.name.startswith(".")]
    assert [p.read_bytes() for p in originals] == [original]
    manifest = json.loads(next(p for p in stored_files(data_dir) if p.name == "manifest.json").read_text())
    assert f"removed_{kind}" in manifest["documents"][0]["pages"][0]["flags"]


def _intake_peak_mb(pdf: Path, work: Path) -> tuple[int, int]:
    probe = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "from edossier.config import LimitsSettings\n"
        "from edossier.ingest.pages import open_source, read_pages\n"
        "limits = LimitsSettings()\n"
        "source = open_source(Path(sys.argv[1]), limits)\n"
        "count = sum(1 for _ in read_pages(source, Path(sys.argv[2]), limits))\n"
        "print(count, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe, str(pdf), str(work)],
                            capture_output=True, text=True, timeout=900, check=True)
    count, peak = map(int, result.stdout.split())
    return count, peak


def test_ten_thousand_page_pdf_streams_in_bounded_memory(tmp_path: Path) -> None:
    """Intake reads a 10,000-page upload page by page: memory stays flat as pages grow."""
    small = hostile.text_pdf(tmp_path / "small.pdf", pages=1_000)
    huge = hostile.text_pdf(tmp_path / "huge.pdf", pages=10_000)
    assert _intake_peak_mb(small, tmp_path / "work")[0] == 1_000
    count, peak_huge = _intake_peak_mb(huge, tmp_path / "work")
    _, peak_small = _intake_peak_mb(small, tmp_path / "work")
    assert count == 10_000
    assert peak_huge - peak_small < 100, f"intake grew from {peak_small} MB to {peak_huge} MB with 10x the pages"
