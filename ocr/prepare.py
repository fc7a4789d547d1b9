"""What an engine reads: the page image as an RGB array, with red seals dropped out.

Court papers carry red seals (公章) stamped over the text.  The kept colour image is
never changed (the seal must stay red and legible in the dossier); only the copy
given to OCR is: printed text is black in every channel, a red seal is bright in
the red channel, so reading the red channel (and whitening what is nearly paper)
makes the seal vanish while the text under it stays dark.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from edossier import recent_images
from edossier.errors import StageError

PAPER_LEVEL = 190
"""Red-channel level from which a pixel is taken as paper: seal ink scans at about 200-240."""
_LEVELS = np.clip(np.arange(256) * 255.0 / PAPER_LEVEL, 0, 255).astype(np.uint8)


def load_for_ocr(image: Path, drop_red: bool = True) -> np.ndarray:
    """Read IMAGE for recognition: its red channel, levelled (height x width), or with DROP_RED off RGB (x 3).

    Only the red channel is decoded into an array: the three channels of a
    red-dropped page would be equal, and copying them cost more than reading.
    Where cleanup in this process has just written IMAGE, its pixels are taken
    instead of decoding the file (``edossier/recent_images.py``).
    """
    pixels = recent_images.take(image) if drop_red else None
    if pixels is not None:  # OpenCV's grey or BGR
        return cv2.LUT(pixels if pixels.ndim == 2 else np.ascontiguousarray(pixels[..., 2]), _LEVELS)
    try:
        with Image.open(image) as img:
            if not drop_red:
                return np.asarray(img.convert("RGB"))
            red: Image.Image
            if img.mode == "L":
                red = img
            elif img.mode in ("RGB", "RGBA"):
                red = img.getchannel("R")
            else:  # palette, CMYK, bilevel...
                red = img.convert("RGB").getchannel("R")
            return cv2.LUT(np.asarray(red), _LEVELS)
    except OSError as exc:
        raise StageError(f"{image}: cannot be read for OCR ({exc})") from None


def as_bgr(image: np.ndarray) -> np.ndarray:
    """IMAGE from ``load_for_ocr`` as the 3-channel BGR array that OpenCV-trained models take."""
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return np.ascontiguousarray(image[..., ::-1])
