"""The OCR engine interface and the one place that picks an engine from settings."""

from __future__ import annotations

import abc
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from edossier.config import OcrSettings
from edossier.errors import StageError
from edossier.types import OcrLine, OcrPage, OcrWord

_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")

ENGINES = ("rapidocr", "tesseract", "paddleocr")


class OcrEngine(abc.ABC):
    """An OCR engine.  ``recognize`` is called from several threads at once (one page each)."""

    name: str

    @abc.abstractmethod
    def version(self) -> str:
        """Engine and model version, recorded in every result for provenance."""

    @abc.abstractmethod
    def recognize(self, image: Path) -> OcrPage:
        """Read IMAGE; boxes are in its pixel coordinates."""

    def fallbacks(self, image: Path) -> list[tuple[str, Callable[[], OcrPage]]]:
        """Other ways of reading IMAGE, each named, for when ``recognize`` found nothing (ocr/fallback.py)."""
        return []

    def second_engine(self) -> OcrEngine | None:
        """The engine that reads a page this one cannot read at all; None when there is none."""
        return None

    def cache_key(self) -> str:
        """Identifies results: same key, same image → same result, so reruns reuse it."""
        return f"{self.name}-{self.version()}"


def join_words(left: str, right: str) -> str:
    """Join two adjacent words: a space between Latin words, none next to CJK."""
    if not left:
        return right
    if not right:
        return left
    if _CJK.match(left[-1]) or _CJK.match(right[0]):
        return left + right
    return f"{left} {right}"


def group_lines(words: Sequence[OcrWord]) -> list[OcrLine]:
    """Words (or text boxes) on the same row become one line, left to right, rows top to bottom.

    Detectors return a table row or a gap-separated heading as several boxes; a reader
    (and the text layer) wants them as one line.  Two boxes share a row when their
    vertical extents overlap by more than half the smaller height and they stand
    side by side, not one over the other.
    """
    rows: list[list[OcrWord]] = []
    for word in sorted(words, key=lambda w: (w.box[1] + w.box[3]) / 2):
        for row in reversed(rows[-3:]):
            first = row[0].box
            height = min(first[3] - first[1], word.box[3] - word.box[1])
            if min(first[3], word.box[3]) - max(first[1], word.box[1]) > 0.5 * height and not _stacked(row, word):
                row.append(word)
                break
        else:
            rows.append([word])
    return [make_line(sorted(row, key=lambda w: w.box[0])) for row in rows]


def _stacked(row: Sequence[OcrWord], word: OcrWord) -> bool:
    """Whether WORD lies over or under a box of ROW rather than beside it (their x ranges overlap by over
    half the narrower): on a tilted photo two lines' boxes overlap in height, and were joined as one row."""
    for other in row:
        narrower = min(other.box[2] - other.box[0], word.box[2] - word.box[0])
        if min(other.box[2], word.box[2]) - max(other.box[0], word.box[0]) > 0.5 * narrower:
            return True
    return False


def make_line(words: Sequence[OcrWord]) -> OcrLine:
    """One line from its words in reading order; confidence weighted by characters."""
    text = ""
    for word in words:
        text = join_words(text, word.text)
    box = (
        min(w.box[0] for w in words),
        min(w.box[1] for w in words),
        max(w.box[2] for w in words),
        max(w.box[3] for w in words),
    )
    chars = sum(len(w.text) for w in words) or 1
    confidence = sum(w.confidence * len(w.text) for w in words) / chars
    return OcrLine(text=text, box=box, confidence=confidence, words=tuple(words))


def page_result(engine: OcrEngine, width: int, height: int, lines: Sequence[OcrLine]) -> OcrPage:
    return OcrPage(
        engine=engine.name, engine_version=engine.version(), width=width, height=height, lines=tuple(lines)
    )


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def threads_per_page(settings: OcrSettings) -> int:
    """An engine's own threads, so that jobs x threads stays within the CPUs (no oversubscription)."""
    if settings.threads:
        return settings.threads
    jobs = settings.jobs or cpu_count()
    return max(1, cpu_count() // jobs)


def create_engine(settings: OcrSettings) -> OcrEngine:
    name = "rapidocr" if settings.engine == "auto" else settings.engine
    threads = threads_per_page(settings)
    if name == "rapidocr":
        from edossier.ocr.rapid import RapidOcrEngine

        return RapidOcrEngine(settings, threads, jobs=settings.jobs or cpu_count())
    if name == "tesseract":
        from edossier.ocr.tesseract import TesseractEngine

        return TesseractEngine(settings, threads)
    if name == "paddleocr":
        from edossier.ocr.paddle import PaddleOcrEngine

        return PaddleOcrEngine(settings, threads)
    raise StageError(f"OCR engine {name!r} is not available here (engines: {', '.join(ENGINES)})")
