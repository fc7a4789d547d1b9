"""Pages are cleaned up and OCRed while the next ones are read (issue 18), and a failed run leaves nothing behind.

Inputs: OCRmyPDF's scans cardinal.pdf (four pages) and 3small.pdf (three small pages of
mixed sizes), third party, in tests/data/shared-samples/ocrmypdf.  The scheduling tests
hand the scheduler the real read and cleanup steps and an OCR that records when it runs;
the last test runs ``process_case`` with the real engine.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from edossier.config import Settings, load_settings
from edossier.errors import InputFileError, StageError
from edossier.ocr import OcrEngine, create_engine
from edossier.pipeline import reading
from edossier.pipeline.page_flow import AHEAD_PER_JOB, ReadFile, read_overlapped
from edossier.pipeline.process import process_case
from edossier.storage.filesystem import FilesystemStore
from edossier.types import OcrPage, Page, SourceFile

from tests.conftest import SAMPLES, SHARED_SAMPLES

CARDINAL = SHARED_SAMPLES / "ocrmypdf" / "cardinal.pdf"
SMALL = SHARED_SAMPLES / "ocrmypdf" / "3small.pdf"
CASE = "（2024）浙0102民初8号"
WAIT_S = 120.0  # only reached when the scheduler is wrong (or the machine hopelessly slow)


def _truncated(tmp_path: Path) -> Path:
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes((SAMPLES / "03-judgment.pdf").read_bytes()[:4000])
    return truncated


def _flow(
    settings: Settings,
    materials: list[reading.Material],
    ocr: Callable[[SourceFile, Page], int],
    each_read: Callable[[Page], None] = lambda page: None,
) -> list[ReadFile[int]]:
    """The real read and cleanup steps through the scheduler; EACH_READ hears of every page as it is handed over."""

    def read(material: reading.Material, each: Callable[[SourceFile, Page], None]) -> tuple[SourceFile, list[Page]]:
        def heard(source: SourceFile, page: Page) -> None:
            each(source, page)
            each_read(page)

        return reading.read(material, settings, settings.work_dir, None, heard)

    return read_overlapped(
        materials,
        read,
        lambda material, page: reading.clean_up_page(page, settings, settings.work_dir, material.page_flags),
        ocr,
        settings.ocr.jobs,
    )


def _page_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("page_")]


def test_the_first_page_is_ocred_while_the_last_is_still_to_be_read(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, ocr={"jobs": 2})
    first_ocr = threading.Event()
    overlapped = []

    def ocr(source: SourceFile, page: Page) -> int:
        first_ocr.set()
        return page.index

    def each_read(page: Page) -> None:
        if page.index == 2:  # the last page is read only once the first has reached OCR (read-all-first never would)
            overlapped.append(first_ocr.wait(WAIT_S))

    [read] = _flow(settings, [reading.Material(path=CARDINAL)], ocr, each_read)
    assert overlapped == [True]
    assert read.ocr == [0, 1, 2, 3]
    # The same pages as reading first and cleaning up after (one page at a time, the cleanup command's way).
    _, pages = reading.read(reading.Material(path=CARDINAL), settings, tmp_path / "again", None)
    cleaned = reading.clean_up(pages, settings.model_copy(update={"ocr": settings.ocr.model_copy(update={"jobs": 1})}),
                               tmp_path / "again")
    assert [(p.sha256, p.recognition_sha256, p.flags) for p in read.pages] == [
        (p.sha256, p.recognition_sha256, p.flags) for p in cleaned
    ]
    assert not _page_threads()


def test_reading_waits_when_the_workers_are_a_few_pages_behind(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, ocr={"jobs": 1})
    release = threading.Event()
    read_pages: list[int] = []

    def ocr(source: SourceFile, page: Page) -> int:
        release.wait(WAIT_S)  # a very slow OCR
        return page.index

    result: list[list[ReadFile[int]]] = []
    runner = threading.Thread(target=lambda: result.append(_flow(settings, [reading.Material(path=CARDINAL)], ocr,
                                                                 lambda page: read_pages.append(page.index))))
    runner.start()
    # One page in OCR and AHEAD_PER_JOB - 1 waiting: the next page is handed over only when the first is done.
    held = AHEAD_PER_JOB * settings.ocr.jobs
    deadline = time.monotonic() + WAIT_S
    while len(read_pages) < held and time.monotonic() < deadline:
        time.sleep(0.05)
    runner.join(timeout=2.0)  # an unbounded flow would read the last pages meanwhile (~0.3 s a page)
    assert runner.is_alive() and read_pages == list(range(held))
    release.set()
    runner.join(WAIT_S)
    assert read_pages == [0, 1, 2, 3] and result[0][0].ocr == [0, 1, 2, 3]


def test_a_bad_later_input_is_reported_even_when_an_earlier_page_failed(tmp_path: Path) -> None:
    """As when every input was read before any OCR: the unreadable file is what the clerk is told about."""
    settings = load_settings(data_dir=tmp_path, ocr={"jobs": 2})
    truncated = _truncated(tmp_path)

    def ocr(source: SourceFile, page: Page) -> int:
        if page.index == 0:
            raise StageError("page 1: OCR failed: engine process died")
        return page.index

    with pytest.raises(InputFileError) as bad:
        _flow(settings, [reading.Material(path=CARDINAL), reading.Material(path=truncated)], ocr)
    assert bad.value.path == truncated
    assert not _page_threads()
    # Alone, the page's failure is the run's (and no page is begun after it).
    with pytest.raises(StageError, match="^page 1: OCR failed"):
        _flow(settings, [reading.Material(path=CARDINAL)], ocr)


def _ocr_cache(settings: Settings) -> dict[str, int]:
    """Every file under the work folder's OCR cache, with its modification time (ns)."""
    folder = settings.work_dir / "ocr"
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def _one_worker_case(tmp_path: Path) -> tuple[Settings, FilesystemStore, OcrEngine]:
    """Settings with one page worker, a filesystem store and an engine, all under TMP_PATH."""
    settings = load_settings(data_dir=tmp_path / "data", ocr={"jobs": 1})
    return settings, FilesystemStore(tmp_path / "store"), create_engine(settings.ocr)


def _logged_steps(caplog: pytest.LogCaptureFixture) -> set[tuple[str, str]]:
    """(step, what) of every step run that Timing logged."""
    return {(record.args[0], record.args[1]) for record in caplog.records  # type: ignore[index]
            if record.name == "edossier.steps"}


def test_a_bad_later_input_stops_the_run_and_the_ocr_done_is_reused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings, store, engine = _one_worker_case(tmp_path)
    truncated = _truncated(tmp_path)

    with pytest.raises(InputFileError) as bad:
        process_case([reading.Material(path=SMALL), reading.Material(path=truncated)], CASE, settings,
                     store=store, engine=engine)
    assert bad.value.path == truncated
    assert not any(p.is_file() for p in (tmp_path / "store").rglob("*"))  # nothing stored
    assert not _page_threads()  # no page work left running
    cached = _ocr_cache(settings)
    # Page 3 is read once page 1 is done (one worker, AHEAD_PER_JOB = 2); the bad file's error then came while
    # page 2 was in work and page 3 waiting: page 3 was never OCRed, page 2 only if its OCR had begun.
    assert AHEAD_PER_JOB == 2 and 1 <= len(cached) < 3, cached
    for name in cached:  # whole results only, no temporary file left
        assert not Path(name).name.startswith(".tmp-")
        OcrPage.model_validate_json((settings.work_dir / "ocr" / name).read_bytes())

    lines: list[str] = []
    caplog.set_level(logging.INFO, logger="edossier.steps")
    summary = process_case([reading.Material(path=SMALL)], CASE, settings, store=store, engine=engine,
                           progress=lines.append)
    assert summary.version == 1
    after = _ocr_cache(settings)
    assert len(after) == 3 and all(after[name] == mtime for name, mtime in cached.items())  # reused, not re-read

    # Every step of every page went through the hooks (Timing logs each run) ...
    steps = _logged_steps(caplog)
    pages = [f"page {n} of 3small.pdf" for n in range(1, 4)]
    assert {("clean up", what) for what in pages} | {("ocr", what) for what in pages} <= steps
    assert {("read", "3small.pdf"), ("classify", "3small.pdf"), ("bind", "version 1"), ("sign", "version 1"),
            ("publish", "version 1")} <= steps
    # ... and the clerk hears of the file's steps and of each page once, when it has been read.
    assert sorted(line.split(":")[0] for line in lines) == sorted(
        ["read 3small.pdf", "classify 3small.pdf", "bind version 1", "sign version 1", "publish version 1",
         *(f"OCR {what}" for what in pages)]
    )
    assert [line.split(":")[0] for line in lines[-3:]] == ["bind version 1", "sign version 1", "publish version 1"]


def test_an_input_already_in_the_case_is_neither_cleaned_up_nor_ocred_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A clerk hands over the case's earlier file again with a new one: only the new file's pages are worked on."""
    settings, store, engine = _one_worker_case(tmp_path)
    assert process_case([reading.Material(path=SMALL)], CASE, settings, store=store, engine=engine).version == 1
    caplog.clear()
    caplog.set_level(logging.INFO, logger="edossier.steps")
    summary = process_case([reading.Material(path=SMALL), reading.Material(path=CARDINAL)], CASE, settings,
                           store=store, engine=engine)
    assert summary.version == 2
    steps = _logged_steps(caplog)
    assert ("read", "3small.pdf") in steps  # read (and hashed) as every input is ...
    assert not [what for step, what in steps if step in ("clean up", "ocr") and "3small.pdf" in what], steps
    assert {("clean up", f"page {n} of cardinal.pdf") for n in range(1, 5)} <= steps  # ... the new file worked on
