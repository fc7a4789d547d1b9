"""RapidOCR's own pipeline, out of the box, as the second peer in the benchmarks.

Its default settings, with the models the installed package ships given by path
(RapidOCR would otherwise look them up by name and could try to download).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def rapidocr_out_of_the_box() -> Any:
    """RapidOCR() with its defaults and the bundled models."""
    from rapidocr import RapidOCR

    from edossier.ocr.rapid import bundled_models

    models = bundled_models()
    return RapidOCR(
        params={
            "Det.model_path": str(models["det"]),
            "Cls.model_path": str(models["cls"]),
            "Rec.model_path": str(models["rec"]),
            "Global.log_level": "error",
        }
    )


def read_text(engine: Any, image: Path | np.ndarray) -> str:
    """RapidOCR's text for IMAGE, its boxes' texts one per line in its own order; "" when it finds nothing."""
    result = engine(str(image) if isinstance(image, Path) else image)
    return "\n".join(result.txts) if result.txts else ""
