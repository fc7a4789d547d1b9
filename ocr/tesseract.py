"""Tesseract through pytesseract, with word boxes grouped into lines."""

from __future__ import annotations

import shutil
from functools import lru_cache
from pathlib import Path

import pytesseract
from PIL import Image

from edossier.errors import StageError
from edossier.ocr.engine import OcrEngine, join_words
from edossier.types import OcrLine, OcrPage, OcrWord


@lru_cache(maxsize=1)
def _tesseract_version() -> str:
    if shutil.which("tesseract") is None:
        raise StageError("tesseract is not installed (Debian: apt-get install tesseract-ocr)")
    return str(pytesseract.get_tesseract_version())


class TesseractEngine(OcrEngine):
    name = "tesseract"

    def __init__(self, languages: str = "chi_sim+eng", psm: int = 6, timeout_s: float = 0) -> None:
        self.languages = languages
        self.psm = psm
        self.timeout_s = timeout_s

    def version(self) -> str:
        return f"{_tesseract_version()}:{self.languages}:psm{self.psm}"

    def recognize(self, image: Path) -> OcrPage:
        _tesseract_version()
        with Image.open(image) as img:
            width, height = img.size
            config = f"--psm {self.psm} -c preserve_interword_spaces=1"
            try:
                data = pytesseract.image_to_data(
                    img,
                    lang=self.languages,
                    config=config,
                    output_type=pytesseract.Output.DICT,
                    timeout=self.timeout_s,
                )
            except pytesseract.TesseractError as exc:
                raise StageError(f"tesseract failed ({exc.message.strip()})") from None
            except RuntimeError as exc:  # pytesseract kills tesseract when the timeout passes
                raise StageError(f"tesseract timed out after {self.timeout_s:g} s ({exc})") from None
        return OcrPage(
            engine=self.name,
            engine_version=self.version(),
            width=width,
            height=height,
            lines=tuple(_lines(data)),
        )


def _lines(data: dict[str, list]) -> list[OcrLine]:
    groups: dict[tuple[int, int, int], list[OcrWord]] = {}
    for i, text in enumerate(data["text"]):
        text = text.strip()
        conf = float(data["conf"][i])
        if not text or conf < 0:
            continue
        left, top = data["left"][i], data["top"][i]
        box = (float(left), float(top), float(left + data["width"][i]), float(top + data["height"][i]))
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        groups.setdefault(key, []).append(OcrWord(text=text, box=box, confidence=conf / 100.0))
    lines = []
    for words in groups.values():
        text = ""
        for word in words:
            text = join_words(text, word.text)
        box = (
            min(w.box[0] for w in words),
            min(w.box[1] for w in words),
            max(w.box[2] for w in words),
            max(w.box[3] for w in words),
        )
        confidence = sum(w.confidence for w in words) / len(words)
        lines.append(OcrLine(text=text, box=box, confidence=confidence, words=tuple(words)))
    return lines
