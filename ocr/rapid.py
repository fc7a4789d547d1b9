"""PP-OCR models on ONNX Runtime through RapidOCR, using only the models the package ships.

RapidOCR looks its models up by name and downloads any that are missing.  Courts
often have no internet and court data must not leave the machine, so every model
is given by path (the files inside the installed package) and a missing model, or
a recognition model without its character table inside, stops with a clear message
before RapidOCR could reach for the network.

Settings that matter for speed and accuracy on 300-dpi pages (see bench/ocr.py):
the page is not shrunk before recognition (RapidOCR's default limit of 2000 px
would crop lines from a downscaled page), detection runs on the page scaled to
``det_limit_side_len``, and ONNX Runtime gets ``threads`` threads per page so that
pages running in parallel do not oversubscribe the CPUs.

By default detection runs at 960 px with a box threshold of 0.3 (RapidOCR: 0.5,
the mean text score a candidate box needs).  With RapidOCR's defaults the two 11-pt lines of
a nearly empty page ("绝密★长期 / 民事裁定书", 300 dpi) were found at 960 px but not
at 1280-2000 px, where the PP-OCRv6 small detector's map for them is weaker and
their boxes scored under 0.5: the page read as empty and the classified-material
check never saw its marking.  (Feeding the detector ImageNet normalisation instead
found that page but lost the top line of a coloured photo.)

ONNX Runtime's memory arena is on: the recogniser's output for one batch (lines x
time steps x 18,710 characters) is about 100 MB, and allocating it afresh for
every batch cost more system time than the arena's extra ~150 MB of memory.
"""

from __future__ import annotations

import re
import threading
from importlib import metadata
from pathlib import Path

import numpy as np

from edossier.config import OcrSettings
from edossier.errors import StageError
from edossier.ocr.engine import OcrEngine, group_lines, page_result
from edossier.ocr.prepare import load_for_ocr
from edossier.types import OcrPage, OcrWord

MODEL_ROLES = ("det", "cls", "rec")

_CJK_NEIGHBOUR = r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef×]"
_SPECKLE = re.compile(
    rf"(?<={_CJK_NEIGHBOUR})\.(?={_CJK_NEIGHBOUR})"  # a lone full stop between Chinese characters
    rf"|^[.·](?={_CJK_NEIGHBOUR})|(?<={_CJK_NEIGHBOUR})[.·]$"  # a lone dot at either end of a text box
)


def drop_speckle_dots(text: str) -> str:
    """Remove dots that scanner speckle adds to a line of Chinese text.

    On degraded scans the recogniser reads a speck at the end of a line's box (where
    the detector's margin takes it in) as "." or "·".  Chinese text has no half-width
    full stop between two Han characters and no lone dot at the start or end of a
    line; runs of dots (……, ....) and dots next to digits or Latin letters are kept.
    A "·" inside a line (transliterated names: 买买提·艾力) is kept.
    """
    return _SPECKLE.sub("", text)


def bundled_model_dir() -> Path:
    """Where the installed rapidocr keeps its ONNX models."""
    import rapidocr

    return Path(rapidocr.__file__).parent / "models"


def bundled_models(folder: Path | None = None) -> dict[str, Path]:
    """The detection, direction and recognition models in FOLDER; refuse (never download) if one is missing."""
    folder = folder or bundled_model_dir()
    found: dict[str, Path] = {}
    for role in MODEL_ROLES:
        candidates = sorted(folder.glob(f"*_{role}_*.onnx"))
        if not candidates:
            raise StageError(
                f"RapidOCR {role} model is missing from {folder}; reinstall the rapidocr package "
                "(edossier never downloads model weights at run time)"
            )
        found[role] = candidates[-1]
    return found


def _check_character_table(rec_model: Path) -> None:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(rec_model), providers=["CPUExecutionProvider"])
    if "character" not in session.get_modelmeta().custom_metadata_map:
        raise StageError(
            f"{rec_model} carries no character table; RapidOCR would download one, which edossier never does"
        )


class RapidOcrEngine(OcrEngine):
    name = "rapidocr"

    def __init__(self, settings: OcrSettings = OcrSettings(), threads: int = 1) -> None:
        self.settings = settings
        self.threads = threads
        self.models = bundled_models()
        self._ocr = None
        self._lock = threading.Lock()

    def version(self) -> str:
        models = "+".join(path.stem for path in self.models.values())
        s = self.settings
        return f"{metadata.version('rapidocr')}:{models}:det{s.det_limit_side_len}-{s.det_box_thresh}:cls{int(s.line_orientation)}:red{int(s.drop_red)}:dots"

    def _engine(self):  # type: ignore[no-untyped-def]
        with self._lock:
            if self._ocr is None:
                _check_character_table(self.models["rec"])
                from rapidocr import RapidOCR

                s = self.settings
                self._ocr = RapidOCR(
                    params={
                        "Global.log_level": "error",
                        "Global.max_side_len": 100_000,
                        "Global.use_cls": s.line_orientation,
                        "Det.model_path": str(self.models["det"]),
                        "Cls.model_path": str(self.models["cls"]),
                        "Rec.model_path": str(self.models["rec"]),
                        "Det.limit_type": "max",
                        "Det.limit_side_len": s.det_limit_side_len,
                        "Det.box_thresh": s.det_box_thresh,
                        "Rec.rec_batch_num": s.rec_batch_num,
                        "EngineConfig.onnxruntime.intra_op_num_threads": self.threads,
                        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                        "EngineConfig.onnxruntime.enable_cpu_mem_arena": True,
                    }
                )
            return self._ocr

    def recognize(self, image: Path) -> OcrPage:
        rgb = load_for_ocr(image, self.settings.drop_red)
        height, width = rgb.shape[:2]
        result = self._engine()(np.ascontiguousarray(rgb[..., ::-1]))  # RapidOCR takes arrays as BGR
        words = []
        if getattr(result, "boxes", None) is not None and getattr(result, "txts", None):
            for box, text, score in zip(result.boxes, result.txts, result.scores, strict=True):
                text = drop_speckle_dots(text.strip())
                if not text:
                    continue
                xs = [float(p[0]) for p in box]
                ys = [float(p[1]) for p in box]
                words.append(OcrWord(text=text, box=(min(xs), min(ys), max(xs), max(ys)), confidence=float(score)))
        return page_result(self, width, height, group_lines(words))
