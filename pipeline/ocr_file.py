"""OCR one input file on its own (``edossier ocr``): pages read as the pipeline reads them."""

from __future__ import annotations

from pathlib import Path

from edossier.config import Settings
from edossier.ocr import create_engine
from edossier.pipeline.page_ocr import ocr_material
from edossier.pipeline.reading import Material


def ocr_file(path: Path, settings: Settings, password: str | None = None) -> dict[str, object]:
    """Pages of PATH with their text: OCRed raster pages, born-digital pages from their own text layer."""
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    # The engine first: its models load on another core while the first page is rasterised and cleaned up.
    engine = create_engine(settings.ocr)
    read = ocr_material(Material(path=path), settings, engine, password)
    out = []
    for page, ocr in zip(read.pages, read.ocr, strict=True):
        if ocr is None:
            blank = "blank_page" in page.flags
            out.append({"page": page.index + 1, "text": page.text, "confidence": None, "blank": blank, "lines": []})
            continue
        lines = [
            {"text": line.text, "confidence": round(line.confidence, 4), "box": [round(v, 1) for v in line.box]}
            for line in ocr.lines
        ]
        out.append(
            {
                "page": page.index + 1,
                "text": ocr.text,
                "confidence": round(ocr.confidence, 4),
                "read_by": ocr.read_by,
                "needs_review": ocr.unread,
                "lines": lines,
            }
        )
    return {"engine": engine.cache_key(), "pages": out}
