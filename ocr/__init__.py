"""OCR engines behind one small interface: a page image in, lines and words out."""

from edossier.ocr.engine import OcrEngine, cpu_count, create_engine, join_words

__all__ = ["OcrEngine", "cpu_count", "create_engine", "join_words"]
