"""PP-OCR models on ONNX Runtime through RapidOCR, using only the models the package ships."""

from __future__ import annotations

from functools import lru_cache
from importlib import metadata
from pathlib import Path

from edossier.errors import StageError
from edossier.ocr.engine import OcrEngine
from edossier.types import OcrLine, OcrPage


def bundled_model_dir() -> Path:
    """Where the installed rapidocr keeps its ONNX models; refuse to run (and download) without them."""
    import rapidocr

    models = Path(rapidocr.__file__).parent / "models"
    if not models.is_dir() or not any(models.glob("*.onnx")):
        raise StageError(
            f"RapidOCR models are missing from {models}; reinstall the rapidocr package "
            "(edossier never downloads model weights at run time)"
        )
    return models


@lru_cache(maxsize=1)
def _engine():  # type: ignore[no-untyped-def]
    bundled_model_dir()
    from rapidocr import RapidOCR

    return RapidOCR(params={"Global.log_level": "error"})


class RapidOcrEngine(OcrEngine):
    name = "rapidocr"

    def version(self) -> str:
        return f"rapidocr-{metadata.version('rapidocr')}"

    def recognize(self, image: Path) -> OcrPage:
        from PIL import Image

        with Image.open(image) as img:
            width, height = img.size
        result = _engine()(str(image))
        lines = []
        if result.boxes is not None:
            for box, text, score in zip(result.boxes, result.txts, result.scores, strict=True):
                xs = [float(p[0]) for p in box]
                ys = [float(p[1]) for p in box]
                lines.append(
                    OcrLine(text=text, box=(min(xs), min(ys), max(xs), max(ys)), confidence=float(score))
                )
        return OcrPage(
            engine=self.name, engine_version=self.version(), width=width, height=height, lines=tuple(lines)
        )
