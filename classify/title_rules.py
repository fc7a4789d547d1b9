"""First classifier: the document's title line names its type in most court papers.

Court papers put the type in the title (民事起诉状, 授权委托书, 民事判决书).  The
longest title word found on the first lines wins; nothing found means 其他 with a
low confidence, which sends the document to a clerk for review.
"""

from __future__ import annotations

import re

from edossier.classify.doctypes import load_doctypes
from edossier.types import Classification

TITLE_LINES = 6
FALLBACK = "其他"


def title_candidates(text: str, lines: int = TITLE_LINES) -> list[str]:
    """The first non-empty lines, with spaces removed (OCR spaces out wide titles)."""
    found = []
    for line in text.splitlines():
        squeezed = re.sub(r"\s+", "", line)
        if squeezed:
            found.append(squeezed)
        if len(found) >= lines:
            break
    return found


def classify_by_title(text: str, review_threshold: float) -> Classification:
    best: tuple[int, int, str] | None = None  # (line index, -len(title), label)
    candidates = title_candidates(text)
    for line_no, line in enumerate(candidates):
        for doctype in load_doctypes():
            for title in doctype.titles:
                if title in line and len(line) <= len(title) + 16:
                    candidate = (line_no, -len(title), doctype.label)
                    if best is None or candidate < best:
                        best = candidate
    if best is None:
        confidence = 0.3
        return Classification(
            type=FALLBACK, confidence=confidence, needs_review=confidence < review_threshold, method="title"
        )
    line_no, _, label = best
    confidence = 0.95 if line_no <= 2 else 0.75
    return Classification(
        type=label,
        confidence=confidence,
        needs_review=confidence < review_threshold,
        method="title",
        title=candidates[line_no],
    )
