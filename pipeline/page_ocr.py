"""OCR of pages: one page (the OCR step of every runner) or many in parallel, cached by page hash and engine.

Kept apart from ``steps`` so that what only reads pages (``edossier ocr``,
bench/ocr.py) does not import binding, signing and storage: those imports alone
cost about a second at every start.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from edossier.errors import StageError
from edossier.files import write_atomically
from edossier.ocr import OcrEngine
from edossier.ocr.fallback import read_page
from edossier.types import OcrPage, Page


def recognize_page(page: Page, engine: OcrEngine, work_dir: Path) -> OcrPage | None:
    """What ENGINE reads on PAGE's recognition image (local); None for pages with nothing to read.

    Results are cached in the work folder by page hash and engine, so a rerun after
    a crash does not read a page twice.
    """
    if page.kind != "raster" or page.recognition_image is None:
        return None
    if "blank_page" in page.flags:  # no text to find, and Tesseract can take minutes on scanner noise
        return None
    cache = work_dir / "ocr" / engine.cache_key().replace("/", "_").replace(":", "_")
    cached = cache / f"{page.sha256}.json"
    if cached.exists():
        return OcrPage.model_validate_json(cached.read_bytes())
    try:
        result = read_page(engine, page.recognition_image, page.image)
    except Exception as exc:  # an engine crash is a stage failure, reported with its page
        raise StageError(f"page {page.index + 1}: OCR failed: {exc}") from exc
    cache.mkdir(parents=True, exist_ok=True)
    # a temporary name of its own: two identical pages (a double feed) may be read at the same time
    write_atomically(cached, result.model_dump_json().encode("utf-8"))
    return result


def ocr_pages(pages: Sequence[Page], engine: OcrEngine, work_dir: Path, jobs: int) -> list[OcrPage | None]:
    """OCR the pages (local) JOBS at a time: for commands that only read (``edossier ocr``, ``classify``)."""
    with ThreadPoolExecutor(max_workers=max(1, jobs or 1)) as pool:
        return list(pool.map(lambda page: recognize_page(page, engine, work_dir), pages))
