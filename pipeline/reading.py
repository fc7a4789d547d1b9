"""Reading one input into cleaned pages: the first two steps of every runner, and all that ``ocr``,
``cleanup`` and ``classify`` need before their own work.

Kept apart from ``steps`` (which re-exports them) so that commands that only
read pages do not import binding, signing, storage and the classifier: those
imports cost about a CPU second at every start of ``edossier ocr``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from edossier.config import Settings
from edossier.ingest.cleanup import clean_page
from edossier.ingest.pages import open_source, read_pages
from edossier.ocr.engine import cpu_count
from edossier.types import Page, SourceFile


@dataclass(frozen=True)
class Material:
    """One input file as handed over, with what the clerk said about it."""

    path: Path
    declared_type: str | None = None
    title: str | None = None
    page_flags: tuple[tuple[str, ...], ...] = ()
    """review flags per page, raised before reading (e.g. by the scanning window)."""


def read(
    material: Material,
    settings: Settings,
    work_dir: Path,
    password: str | None,
    each: Callable[[SourceFile, Page], None] | None = None,
) -> tuple[SourceFile, list[Page]]:
    """Open one input (bad input stops here with one line naming it) and rasterise or extract its pages.

    EACH, when given, is handed every page the moment it is read: the in-process
    runners clean it up and OCR it on the other cores while the next page is
    rasterised (``page_flow.read_overlapped``).
    """
    source = open_source(material.path, settings.limits, material.declared_type, seal_settings=settings.seals)
    pages = []
    for page in read_pages(source, work_dir, settings.limits, password):
        pages.append(page)
        if each is not None:
            each(source, page)
    return source, pages


def clean_up_page(
    page: Page, settings: Settings, work_dir: Path, flags: Sequence[tuple[str, ...]] = ()
) -> Page:
    """PAGE as an upright, straight kept image plus a cleaned image for OCR, both by hash.

    FLAGS: review flags per page of its file (``Material.page_flags``), raised before reading.
    """
    page = clean_page(page, settings.cleanup, work_dir)
    if page.index < len(flags) and flags[page.index]:
        page = page.model_copy(update={"flags": page.flags + flags[page.index]})
    return page


def clean_up(
    pages: Sequence[Page], settings: Settings, work_dir: Path, flags: Sequence[tuple[str, ...]] = ()
) -> list[Page]:
    """Every page of one file cleaned up (``clean_up_page``): for the runners that clean a whole file at once.

    Pages are cleaned as many at once as ``ocr.jobs`` pages are read (default: as
    many as there are CPUs): OpenCV releases the interpreter while it works, and a
    page's result depends only on the page.  A batch worker is one CPU (jobs 1).
    """
    at_once = min(len(pages), settings.ocr.jobs or cpu_count())
    if at_once < 2:
        return [clean_up_page(page, settings, work_dir, flags) for page in pages]
    with ThreadPoolExecutor(max_workers=at_once) as pool:
        return list(pool.map(lambda page: clean_up_page(page, settings, work_dir, flags), pages))


def read_material(
    material: Material, settings: Settings, work_dir: Path, password: str | None
) -> tuple[SourceFile, list[Page]]:
    """Read and clean up one input into WORK_DIR, the whole file, then every page: what ``cleanup`` starts from.

    What reads and then OCRs cleans up each page as it is read instead (``page_flow``).
    """
    source, pages = read(material, settings, work_dir, password)
    return source, clean_up(pages, settings, work_dir, material.page_flags)
