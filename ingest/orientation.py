"""Is a page upside down?  Ask PP-OCR's text-direction classifier about a few of its lines.

Whether lines run across or down the page comes from their projection profile
(deskew.py); what a profile cannot tell is 0° from 180°.  Layout cues (title on
top, indented paragraphs) fail on short pages and forms, and Tesseract's OSD is
weak for Chinese, so pieces of up to eight lines go through the small direction
classifier that the rapidocr package ships (ch_ppocr_mobile_v2.0_cls, 0°/180°),
on ONNX Runtime with one thread, and the pieces vote.  Each piece is cut straight
out of the full-resolution image, turned and scaled in the same step, so no
full-page image is ever turned to decide.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import cv2
import numpy as np
import onnxruntime

from edossier.errors import StageError
from edossier.ingest.deskew import TextLine

MODEL = "ch_ppocr_mobile_v2.0_cls_mobile.onnx"
PIECE_HEIGHT, PIECE_WIDTH = 48, 192
MAX_LINES = 8
PIECES_PER_LINE = 3


@lru_cache(maxsize=1)
def _session() -> onnxruntime.InferenceSession:
    path = resources.files("rapidocr") / "models" / MODEL
    if not path.is_file():
        raise StageError(f"the text-direction model {MODEL} is missing from the rapidocr package; reinstall it")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def line_pieces(grey: np.ndarray, to_source: np.ndarray, lines: list[TextLine]) -> list[np.ndarray]:
    """Cut 48×192 pieces out of GREY along LINES (full-resolution page-frame coordinates).

    TO_SOURCE is the 3×3 matrix from the upright page frame to GREY's pixels.
    """
    pieces = []
    for line in lines[:MAX_LINES]:
        height = (line.bottom - line.top) * 1.3
        step = height * PIECE_WIDTH / PIECE_HEIGHT
        count = int(max(1, min(PIECES_PER_LINE, (line.right - line.left) // step)))
        starts = np.linspace(line.left, max(line.left, line.right - step), count)
        scale = height / PIECE_HEIGHT
        for start in starts:
            frame = np.array([[scale, 0, start], [0, scale, line.top - 0.15 * (line.bottom - line.top)], [0, 0, 1]])
            piece = cv2.warpPerspective(
                grey,
                to_source @ frame,
                (PIECE_WIDTH, PIECE_HEIGHT),
                flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                borderValue=(255, 255, 255),
            )
            pieces.append(piece)
    return pieces


def upside_down_score(pieces: list[np.ndarray]) -> float:
    """Mean of P(180°) − P(0°) over the pieces: above 0 means the page is upside down."""
    if not pieces:
        return 0.0
    batch = np.stack([cv2.cvtColor(piece, cv2.COLOR_GRAY2BGR) for piece in pieces]).astype(np.float32)
    batch = (batch.transpose(0, 3, 1, 2) / 255.0 - 0.5) / 0.5
    session = _session()
    (probs,) = session.run(None, {session.get_inputs()[0].name: batch})
    return float(np.mean(probs[:, 1] - probs[:, 0]))
