"""Where a search phrase sits on a page, as rectangles the reader draws over the image.

The bound PDF carries the OCR text as an invisible layer (and born-digital pages
their own text), so the phrase is found in the page's characters with their boxes.
Characters are folded the same way as the search index folds text, so a hit the
index reports is also found here, across OCR spaces and line breaks.
"""

from __future__ import annotations

from pathlib import Path

import pymupdf

from edossier.web.search_index import fold

Rect = tuple[float, float, float, float]


def page_highlights(pdf: Path, page_number: int, query: str) -> dict[str, object]:
    """Rectangles (x0, y0, x1, y1 in PDF points, origin top-left) covering QUERY on PAGE_NUMBER."""
    needle = fold(query)
    with pymupdf.open(pdf) as doc:
        if not 1 <= page_number <= doc.page_count:
            raise IndexError(page_number)
        page = doc[page_number - 1]
        chars: list[tuple[str, Rect, int]] = []
        line_id = 0
        for block in page.get_text("rawdict")["blocks"]:
            for line in block.get("lines", ()):
                line_id += 1
                for span in line["spans"]:
                    for ch in span["chars"]:
                        for piece in fold(ch["c"]):
                            chars.append((piece, tuple(ch["bbox"]), line_id))
        width, height = page.rect.width, page.rect.height
    text = "".join(c for c, _, _ in chars)
    rects: list[Rect] = []
    if needle:
        at = text.find(needle)
        while at >= 0:
            rects.extend(_merge(chars[at : at + len(needle)]))
            at = text.find(needle, at + len(needle))
    return {"page": page_number, "width": width, "height": height, "rects": rects}


def _merge(chars: list[tuple[str, Rect, int]]) -> list[Rect]:
    """One rectangle per line the hit spans."""
    out: dict[int, list[float]] = {}
    for _, (x0, y0, x1, y1), line in chars:
        box = out.setdefault(line, [x0, y0, x1, y1])
        box[0], box[1], box[2], box[3] = min(box[0], x0), min(box[1], y0), max(box[2], x1), max(box[3], y1)
    return [(round(a, 1), round(b, 1), round(c, 1), round(d, 1)) for a, b, c, d in out.values()]
