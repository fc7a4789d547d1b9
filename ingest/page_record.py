"""A page record from a decoded page, and decoder failures reported as bad input.

Shared by image intake (``pages.py``) and PDF intake (``pdf_pages.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image

from edossier import recent_images
from edossier.errors import EdossierError, InputFileError, LimitExceededError
from edossier.files import write_atomically
from edossier.types import Correction, Page, SourceFile, sha256_bytes


@contextmanager
def undecodable(path: Path, problem: str) -> Iterator[None]:
    """Any failure of the decoder on untrusted bytes is bad input, reported as such (found by fuzzing:
    Pillow raises TypeError, ValueError, struct.error… on damaged TIFFs, not only OSError)."""
    try:
        yield
    except EdossierError:
        raise
    except Image.DecompressionBombError as exc:
        raise LimitExceededError(path, f"declares an image too large to decode ({exc})") from None
    except OSError as exc:
        if exc.errno is not None:  # the disk (full, quota, permissions), not the input's bytes
            raise
        raise InputFileError(path, f"{problem} ({type(exc).__name__}: {exc})") from None
    except Exception as exc:
        raise InputFileError(path, f"{problem} ({type(exc).__name__}: {exc})") from None


def raster_page(
    source: SourceFile,
    index: int,
    png: bytes,
    pages_dir: Path,
    dpi: float,
    width: int,
    height: int,
    corrections: tuple[Correction, ...],
    pixels: np.ndarray | None = None,
) -> Page:
    """Page INDEX of SOURCE from its PNG bytes, stored under PAGES_DIR by their SHA-256 (the same page is one file).

    PIXELS, where the caller has them, are the PNG's pixels as OpenCV decodes it: left for the cleanup of this
    process to take instead of decoding the file again (``edossier/recent_images.py``).
    """
    digest = sha256_bytes(png)
    target = pages_dir / f"{digest}.png"
    if not target.exists():
        write_atomically(target, png)
    if pixels is not None:
        recent_images.leave(target, pixels)
    flags = ("low_resolution",) if dpi < 200 else ()
    return Page(
        source_sha256=source.sha256,
        index=index,
        sha256=digest,
        kind="raster",
        image=target,
        recognition_image=target,
        recognition_sha256=digest,
        dpi=dpi,
        width_px=width,
        height_px=height,
        width_pt=width * 72.0 / dpi,
        height_pt=height * 72.0 / dpi,
        corrections=corrections,
        flags=flags,
    )
