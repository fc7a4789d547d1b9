"""OCR of pages: one page (the OCR step of every runner) or a whole input outside a case, cached by page hash and engine.

Kept apart from ``steps`` so that what only reads pages (``edossier ocr``,
bench/ocr.py) does not import binding, signing and storage: those imports alone
cost about a second at every start.
"""

from __future__ import annotations

from pathlib import Path

from edossier.config import Settings
from edossier.errors import StageError
from edossier.files import write_atomically
from edossier.ocr import OcrEngine
from edossier.ocr.engine import cpu_count
from edossier.ocr.fallback import read_page
from edossier.pipeline.page_flow import ReadFile, read_overlapped
from edossier.pipeline.reading import Material, clean_up_page, read as read_step
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


def ocr_material(
    material: Material, settings: Settings, engine: OcrEngine, password: str | None = None
) -> ReadFile[OcrPage | None]:
    """MATERIAL read into the work folder, cleaned up and OCRed, outside any case (``edossier ocr``, ``classify``).

    Each page is cleaned up and OCRed as soon as it is read, ``ocr.jobs`` pages at
    once (default: as many as there are CPUs), as ``process`` does it.
    """
    work_dir = settings.work_dir
    [read] = read_overlapped(
        [material],
        lambda one, each: read_step(one, settings, work_dir, password, each),
        lambda one, page: clean_up_page(page, settings, work_dir, one.page_flags),
        lambda _source, page: recognize_page(page, engine, work_dir),
        settings.ocr.jobs or cpu_count(),
    )
    return read
