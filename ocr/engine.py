"""The OCR engine interface and the one place that picks an engine from settings."""

from __future__ import annotations

import abc
import re
from pathlib import Path

from edossier.config import OcrSettings
from edossier.errors import StageError
from edossier.types import OcrPage

_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


class OcrEngine(abc.ABC):
    """An OCR engine.  Implementations must be safe to call from one thread at a time."""

    name: str

    @abc.abstractmethod
    def version(self) -> str:
        """Engine and model version, recorded in every result for provenance."""

    @abc.abstractmethod
    def recognize(self, image: Path) -> OcrPage:
        """Read IMAGE; boxes are in its pixel coordinates."""

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


def create_engine(settings: OcrSettings) -> OcrEngine:
    name = settings.engine
    if name in ("tesseract",):
        from edossier.ocr.tesseract import TesseractEngine

        return TesseractEngine(languages=settings.languages, psm=settings.psm, timeout_s=settings.page_timeout_s)
    if name in ("rapidocr", "auto"):
        from edossier.ocr.rapid import RapidOcrEngine

        return RapidOcrEngine()
    raise StageError(f"OCR engine {name!r} is not available here")
