"""Pages cleaned up and OCRed while the next ones are still being read: how every in-process runner schedules them.

Rasterising a scanned PDF page holds the interpreter (PyMuPDF: ~0.25 s a page,
render and PNG), while cleanup and OCR release it most of the time.  Read first
and OCRed after, a file kept one core idle while its pages were rasterised and
the rasteriser idle while they were OCRed (issue 18).  Here the runner's own
thread reads every input in order and hands each page over the moment it is
read; JOBS workers clean it up and OCR it meanwhile.  At most ``AHEAD_PER_JOB``
pages per worker are handed over and not yet done, so a 500-page file is never
rasterised far ahead of its OCR (every such page is a full-resolution PNG in the
work folder, two once cleaned up).

The runners say what reading, cleaning up and OCR are (the steps, through their
hooks or not); this module only decides when each runs.  The batch runner
(``batch/actors.py``) schedules pages as messages instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Generic, TypeVar

from edossier.pipeline.reading import Material
from edossier.types import Page, SourceFile

R = TypeVar("R")

AHEAD_PER_JOB = 2
"""Pages per worker handed over and not yet cleaned up and OCRed: one in work, one ready for when it is done."""

ReadStep = Callable[[Material, Callable[[SourceFile, Page], None]], tuple[SourceFile, list[Page]]]
"""Reads one input, handing each page to its second argument as it is read (``reading.read``'s EACH)."""


@dataclass(frozen=True)
class ReadFile(Generic[R]):
    """One input read: its source, its pages cleaned up, and what OCR made of each page (same order)."""

    material: Material
    source: SourceFile
    pages: list[Page]
    ocr: list[R]


class _Stopped(Exception):
    """Work on a page not begun because another page failed or the run is being abandoned."""


def read_overlapped(
    materials: Sequence[Material],
    read: ReadStep,
    clean_up: Callable[[Material, Page], Page],
    ocr: Callable[[SourceFile, Page], R],
    jobs: int,
) -> list[ReadFile[R]]:
    """Every input read in order on this thread; each page cleaned up, then OCRed, on one of JOBS workers as it comes.

    Reading stays first in what the runner sees: an input that cannot be read
    stops the run at once with its own error, even when a page of an earlier
    input failed its cleanup or OCR meanwhile (that failure only stops handing
    out pages; the reading goes on, as when every input was read before any
    OCR).  Then the first page's failure, in input order, is raised.  Either
    way no page's cleanup or OCR is begun after the failure, and the pages in
    work are finished before this returns: what they write is whole (written
    atomically) and no thread of the run is left behind.
    """
    workers = max(1, jobs)
    room = threading.BoundedSemaphore(AHEAD_PER_JOB * workers)
    stop = threading.Event()  # a page failed, or the run is abandoned: nothing new is begun

    def work(material: Material, source: SourceFile, page: Page) -> tuple[Page, R]:
        if stop.is_set():
            raise _Stopped()
        cleaned = clean_up(material, page)
        if stop.is_set():
            raise _Stopped()
        return cleaned, ocr(source, cleaned)

    def done(future: Future[tuple[Page, R]]) -> None:
        room.release()
        error = None if future.cancelled() else future.exception()
        if error is not None and not isinstance(error, _Stopped):
            stop.set()

    def hand_over(material: Material, futures: list[Future[tuple[Page, R]]], source: SourceFile, page: Page) -> None:
        if stop.is_set():
            return  # a page failed, so the run will: only the reading goes on
        room.acquire()  # waits while the workers are AHEAD_PER_JOB pages behind
        future = pool.submit(work, material, source, page)
        futures.append(future)
        future.add_done_callback(done)

    handed: list[tuple[Material, SourceFile, list[Future[tuple[Page, R]]]]] = []
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="page")
    try:
        for material in materials:
            futures: list[Future[tuple[Page, R]]] = []
            source, _ = read(material, partial(hand_over, material, futures))
            handed.append((material, source, futures))
        files = []
        for material, source, futures in handed:
            results = []
            for future in futures:
                try:
                    results.append(future.result())  # the first failure in input order is raised
                except _Stopped:
                    continue  # stopped for a failure that is raised here too (stop is set by failures alone)
            files.append(ReadFile(material, source, [page for page, _ in results], [result for _, result in results]))
        return files
    except BaseException:
        stop.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
