"""Reading one input into cleaned pages: the first two steps of every runner, and all that ``ocr``,
``cleanup`` and ``classify`` need before their own work.

Kept apart from ``steps`` (which re-exports them) so that commands that only
read pages do not import binding, signing, storage and the classifier: those
imports cost about a CPU second at every start of ``edossier ocr``.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from edossier.config import Settings
from edossier.ingest.cleanup import clean_page
from edossier.ingest.pages import open_source, read_pages
from edossier.ocr.engine import cpu_count
from edossier.types import Page, SourceFile, sha256_file


@dataclass(frozen=True)
class Material:
    """One input file as handed over, with what the clerk said about it."""

    path: Path
    declared_type: str | None = None
    title: str | None = None
    page_flags: tuple[tuple[str, ...], ...] = ()
    """review flags per page, raised before reading (e.g. by the scanning window)."""


def read(material: Material, settings: Settings, work_dir: Path, password: str | None) -> tuple[SourceFile, list[Page]]:
    """Open one input (bad input stops here with one line naming it) and rasterise or extract its pages."""
    source = open_source(material.path, settings.limits, material.declared_type, seal_settings=settings.seals)
    return source, list(read_pages(source, work_dir, settings.limits, password))


def clean_up(
    pages: Sequence[Page], settings: Settings, work_dir: Path, flags: Sequence[tuple[str, ...]] = ()
) -> list[Page]:
    """Each raster page becomes an upright, straight kept image plus a cleaned image for OCR, both by hash.

    Pages are cleaned as many at once as ``ocr.jobs`` pages are read (default: as
    many as there are CPUs): OpenCV releases the interpreter while it works, and a
    page's result depends only on the page.  A batch worker is one CPU (jobs 1).
    """

    def one(index: int, page: Page) -> Page:
        page = clean_page(page, settings.cleanup, work_dir)
        if page.kind == "raster" and page.recognition_image is not None:
            recognition = page.sha256 if page.recognition_image == page.image else sha256_file(page.recognition_image)
            page = page.model_copy(update={"recognition_sha256": recognition})
        if index < len(flags) and flags[index]:
            page = page.model_copy(update={"flags": page.flags + flags[index]})
        return page

    at_once = min(len(pages), settings.ocr.jobs or cpu_count())
    if at_once < 2:
        return [one(index, page) for index, page in enumerate(pages)]
    with ThreadPoolExecutor(max_workers=at_once) as pool:
        return list(pool.map(one, range(len(pages)), pages))


def read_material(
    material: Material, settings: Settings, work_dir: Path, password: str | None
) -> tuple[SourceFile, list[Page]]:
    """Read and clean up one input into WORK_DIR: what ``ocr``, ``cleanup`` and ``classify`` start from."""
    source, pages = read(material, settings, work_dir, password)
    return source, clean_up(pages, settings, work_dir, material.page_flags)
