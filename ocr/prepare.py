"""What an engine reads: the page image as an RGB array, with red seals dropped out.

Court papers carry red seals (公章) stamped over the text.  The kept colour image is
never changed (the seal must stay red and legible in the dossier); only the copy
given to OCR is: printed text is black in every channel, a red seal is bright in
the red channel, so reading the red channel (and whitening what is nearly paper)
makes the seal vanish while the text under it stays dark.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from edossier.errors import StageError

PAPER_LEVEL = 190
"""Red-channel level from which a pixel is taken as paper: seal ink scans at about 200-240."""
_LEVELS = np.clip(np.arange(256) * 255.0 / PAPER_LEVEL, 0, 255).astype(np.uint8)


def load_for_ocr(image: Path, drop_red: bool = True) -> np.ndarray:
    """Read IMAGE as an RGB uint8 array (height x width x 3) for recognition."""
    try:
        with Image.open(image) as img:
            rgb = np.asarray(img.convert("RGB"))
    except OSError as exc:
        raise StageError(f"{image}: cannot be read for OCR ({exc})") from None
    if drop_red:
        return np.repeat(_LEVELS[rgb[..., :1]], 3, axis=2)
    return rgb
