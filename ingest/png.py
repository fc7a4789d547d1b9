"""Lossless PNG encoding of page images, made for speed: every page is written as a PNG several times.

A rasterised scan page is ~26 MB of pixels; MuPDF's own PNG writer compresses it at
zlib's default level with the Sub filter, which cost 0.22 CPU-s on a rendered A4
page and 0.9 CPU-s on a noisy scan (notes/issue-18.md, session 8).  OpenCV with one
filter and zlib's run-length matching wrote the same pixels in a quarter of that
(0.06 and 0.15 CPU-s), still the page's single largest cost outside OCR.  Here the
rows get PNG's Up filter in one NumPy pass and Intel's ISA-L (python-isal) deflates
them: 0.015 and 0.045 CPU-s, files no larger (notes/issue-18.md, session 15).  Any
PNG decoder reads them: the format is PNG's own (one IDAT chunk, a zlib stream).
"""

from __future__ import annotations

import struct

import cv2
import numpy as np
from isal import isal_zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"
UP = 2
"""PNG's Up filter: each byte minus the one above it (above the first row: zero)."""
COLOUR_TYPES = {1: 0, 3: 2}
"""PNG colour type by channels: grey, RGB."""
LEVEL = 1
"""ISA-L's level 1: at level 0 a rendered page's file is a fifth larger for no less time (7.0 against 7.3 ms)."""


def png_bytes(image: np.ndarray, dpi: float | None = None) -> bytes:
    """IMAGE (BGR or grey, 8 bit) as PNG; with DPI, a pHYs chunk saying so, as MuPDF writes it.

    The resolution travels with a rasterised page's file: a hot-folder batch's
    document TIFF takes it from its first page (ingest/batch_split.py).  The same
    pixels always give the same bytes: a page's file name is the hash of them.
    """
    channels = 1 if image.ndim == 2 else image.shape[2]
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or channels not in COLOUR_TYPES:
        raise ValueError(f"a page image must be 8-bit grey or BGR to be written as PNG, not {image.dtype} {image.shape}")
    height, width = image.shape[:2]
    # PNG holds RGB; a contiguous copy, as NumPy subtracts whole rows ten times faster than reversed channels
    pixels = (cv2.cvtColor(image, cv2.COLOR_BGR2RGB) if channels == 3 else image).reshape(height, width * channels)
    rows = np.empty((height, 1 + width * channels), dtype=np.uint8)
    rows[:, 0] = UP
    rows[0, 1:] = pixels[0]
    np.subtract(pixels[1:], pixels[:-1], out=rows[1:, 1:])  # uint8 wraps around, as the filter is defined
    header = struct.pack(">IIBBBBB", width, height, 8, COLOUR_TYPES[channels], 0, 0, 0)
    parts = [SIGNATURE, *_chunk(b"IHDR", header)]
    if dpi is not None:
        per_metre = int(dpi * 100 / 2.54 + 0.5)
        parts += _chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1))
    parts += [*_chunk(b"IDAT", isal_zlib.compress(rows, LEVEL)), *_chunk(b"IEND", b"")]
    return b"".join(parts)  # the compressed pixels copied once


def _chunk(kind: bytes, body: bytes) -> list[bytes]:
    """A PNG chunk as its parts: length, type, body, CRC of type and body."""
    return [struct.pack(">I", len(body)), kind, body, struct.pack(">I", isal_zlib.crc32(body, isal_zlib.crc32(kind)))]
