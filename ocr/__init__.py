"""OCR engines behind one small interface: a page image in, lines and words out."""

from edossier.ocr.engine import OcrEngine, create_engine, join_words

__all__ = ["OcrEngine", "create_engine", "join_words"]
