"""Damaged OFDs, macro documents and programs in disguise: one clear line, a distinct exit code, nothing stored.

Each bad file is made here from a real one (tests/data/intake) or from /bin/true, and handed to the real
``edossier process`` after a good file, which must not be stored either.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from tests.edossier_cli import run, stored_files
from tests.ingest.intake_truth import DATA

CASE = "（2024）浙0102民初22号"


def _rezip(source: Path, target: Path, change: dict[str, bytes | None], add: dict[str, bytes] | None = None) -> Path:
    """SOURCE's parts copied into TARGET, with the parts in CHANGE replaced (or dropped when None)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if info.filename in change:
                if change[info.filename] is not None:
                    out.writestr(info.filename, change[info.filename])
            else:
                out.writestr(info, src.read(info))
        for name, data in (add or {}).items():
            out.writestr(name, data)
    return target


def _truncated(tmp: Path) -> Path:
    target = tmp / "truncated.ofd"
    target.write_bytes((DATA / "n.ofd").read_bytes()[:20000])
    return target


def _missing_page(tmp: Path) -> Path:
    return _rezip(DATA / "n.ofd", tmp / "missing-page.ofd", {"Doc_0/Pages/Page_1/Content.xml": None})


def _bomb(tmp: Path) -> Path:
    """A page part of 64 MiB of spaces: it deflates about 1000:1."""
    with zipfile.ZipFile(DATA / "n.ofd") as src:
        page = src.read("Doc_0/Pages/Page_0/Content.xml")
    inflated = page.replace(b"</ofd:Page>", b" " * (64 << 20) + b"</ofd:Page>")
    return _rezip(DATA / "n.ofd", tmp / "bomb.ofd", {"Doc_0/Pages/Page_0/Content.xml": inflated})


def _macro_docx(tmp: Path) -> Path:
    """A .docm renamed .docx: macro-enabled content type and a VBA project part."""
    with zipfile.ZipFile(DATA / "python-docx-test.docx") as src:
        types = src.read("[Content_Types].xml").replace(
            b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml"
        )
    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    return _rezip(DATA / "python-docx-test.docx", tmp / "letter.docx", {"[Content_Types].xml": types},
                  {"word/vbaProject.bin": vba})


def _program(tmp: Path) -> Path:
    target = tmp / "invoice.docx"
    shutil.copy("/bin/true", target)
    return target


def _ofd_named_docx(tmp: Path) -> Path:
    target = tmp / "contract.docx"
    shutil.copy(DATA / "fptpl.ofd", target)
    return target


def _heic_named_jpg(tmp: Path) -> Path:
    target = tmp / "photo.jpg"
    shutil.copy(DATA / "pillow-heif-arrow.heic", target)
    return target


def _nonsense_values(tmp: Path) -> Path:
    """Well-formed XML with values no OFD has (a font size that is not a number)."""
    with zipfile.ZipFile(DATA / "fptpl.ofd") as src:
        page = src.read("Doc_0/Pages/Page_0/Content.xml").replace(b'Size="3.175"', b'Size="big"')
    return _rezip(DATA / "fptpl.ofd", tmp / "odd.ofd", {"Doc_0/Pages/Page_0/Content.xml": page})


def _unreadable_docx(tmp: Path) -> Path:
    """A well-formed package whose document part is not XML: only LibreOffice finds out."""
    return _rezip(DATA / "python-docx-test.docx", tmp / "statement.docx", {"word/document.xml": b"<<< not xml"})


@pytest.mark.parametrize(
    ("make", "code", "problem"),
    [
        (_truncated, 3, "is a damaged or truncated ZIP container"),
        (_missing_page, 3, "is a damaged OFD: its part Doc_0/Pages/Page_1/Content.xml is missing"),
        (_bomb, 9, "(a zip bomb?)"),
        (_macro_docx, 4, "is a Word document with macros (VBA); macros are never accepted"),
        (_program, 4, "is an ELF executable, not a document"),
        (_ofd_named_docx, 3, "content is application/ofd but the extension '.docx' says"),
        (_heic_named_jpg, 3, "content is image/heic but the extension '.jpg' says image/jpeg"),
        (_nonsense_values, 3, "is not a readable OFD (ValueError: could not convert string to float: 'big')"),
        (_unreadable_docx, 3, "LibreOffice cannot read it (Could not load document"),
    ],
)
def test_bad_file_is_refused_and_nothing_is_stored(tmp_path: Path, make, code: int, problem: str) -> None:  # type: ignore[no-untyped-def]
    bad = make(tmp_path)
    before = bad.read_bytes()
    data_dir = tmp_path / "data"
    result = run(["process", str(DATA / "fptpl.ofd"), str(bad), "--case", CASE], data_dir)
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"edossier: error: {bad}: ") and problem in lines[0], lines
    assert stored_files(data_dir) == []
    assert bad.read_bytes() == before


def test_declared_unpacked_size_over_the_limit(tmp_path: Path) -> None:
    """A package whose parts declare more than the configured limit is refused before anything is inflated."""
    data_dir = tmp_path / "data"
    source = DATA / "zsbk.ofd"  # declares about 3.9 MB unpacked
    result = run(["process", str(source), "--case", CASE], data_dir,
                 EDOSSIER_LIMITS__MAX_UNPACKED_BYTES="1000000")
    assert result.returncode == 9, result.stderr
    assert f"{source}: unpacks to" in result.stderr and "over the limit of 1000000" in result.stderr
    assert stored_files(data_dir) == []


def test_conversion_over_the_timeout_is_refused(tmp_path: Path) -> None:
    """The converter is given the configured time; past it the file is refused and nothing stored."""
    data_dir = tmp_path / "data"
    source = DATA / "python-docx-test.docx"
    result = run(["process", str(source), "--case", CASE], data_dir,
                 EDOSSIER_LIMITS__CONVERT_TIMEOUT_S="0.01")
    assert result.returncode == 3, result.stderr
    assert result.stderr.strip() == f"edossier: error: {source}: could not be converted within 0.01 s (LibreOffice)"
    assert stored_files(data_dir) == []
