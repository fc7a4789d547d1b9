"""OCR of a batch of pages: in parallel within the CPU budget, cached by page hash and engine.

Kept apart from ``process`` so that what only reads pages (``edossier ocr``, the
batch OCR actor, bench/ocr.py) does not import binding, signing and storage:
those imports alone cost about a second at every start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from edossier.errors import StageError
from edossier.ocr import OcrEngine
from edossier.ocr.fallback import read_page
from edossier.types import OcrPage, Page

Progress = Callable[[str], None]


def ocr_pages(
    pages: Sequence[Page],
    engine: OcrEngine,
    work_dir: Path,
    jobs: int,
    progress: Progress | None = None,
    then: Callable[[Page], None] | None = None,
) -> list[OcrPage | None]:
    """OCR the raster pages in parallel; results are cached by page hash and engine.

    THEN, when given, is a further per-page step run by the same worker right
    after the page's OCR (``process_case`` encodes the page image for binding).
    """
    cache = work_dir / "ocr" / engine.cache_key().replace("/", "_").replace(":", "_")
    cache.mkdir(parents=True, exist_ok=True)

    def recognize(page: Page) -> OcrPage | None:
        if page.kind != "raster" or page.recognition_image is None:
            return None
        if "blank_page" in page.flags:  # no text to find, and Tesseract can take minutes on scanner noise
            return None
        cached = cache / f"{page.sha256}.json"
        if cached.exists():
            return OcrPage.model_validate_json(cached.read_bytes())
        try:
            result = read_page(engine, page.recognition_image, page.image)
        except Exception as exc:  # an engine crash is a stage failure, reported with its page
            raise StageError(f"page {page.index + 1}: OCR failed: {exc}") from exc
        tmp = cached.with_suffix(".part")
        tmp.write_text(result.model_dump_json(), encoding="utf-8")  # not the locale's (ASCII under LANG=C)
        tmp.replace(cached)
        if progress:
            how = "" if result.read_by == "engine" else f" (read by {result.read_by})"
            progress(f"OCR page {page.index + 1}: {len(result.text)} characters{how}")
        return result

    def one(page: Page) -> OcrPage | None:
        result = recognize(page)
        if then is not None:
            then(page)
        return result

    workers = max(1, jobs or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, pages))
