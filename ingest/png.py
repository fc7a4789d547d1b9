"""Lossless PNG encoding of page images, made for speed: every page is written as a PNG several times.

A rasterised scan page is ~26 MB of pixels; MuPDF's own PNG writer compresses it at
zlib's default level with the Sub filter, which cost 0.22 CPU-s on a rendered A4
page and 0.9 CPU-s on a noisy scan (notes/issue-18.md, session 8): more than the
page's detection.  OpenCV with one filter and run-length matching writes the same
pixels in a quarter of that, for a few per cent more bytes.
"""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np

PNG_PARAMS = [
    cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP,
    cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE,
]
"""Fast lossless encoding: one filter and run-length matching take about half the time of the
default adaptive filters for a few per cent more bytes (scanner noise barely compresses anyway)."""

_IHDR_END = 8 + 4 + 4 + 13 + 4
"""PNG signature, then the IHDR chunk (length, type, 13 bytes, CRC): always first, always this long."""


def png_bytes(image: np.ndarray, dpi: float | None = None) -> bytes:
    """IMAGE (BGR or grey, 8 bit) as PNG; with DPI, a pHYs chunk saying so, as MuPDF writes it.

    The resolution travels with a rasterised page's file: a hot-folder batch's
    document TIFF takes it from its first page (ingest/batch_split.py).
    """
    ok, encoded = cv2.imencode(".png", image, PNG_PARAMS)
    if not ok:
        raise ValueError("a page image could not be encoded as PNG")
    data = encoded.tobytes()
    if dpi is None:
        return data
    per_metre = int(dpi * 100 / 2.54 + 0.5)
    body = b"pHYs" + struct.pack(">IIB", per_metre, per_metre, 1)
    chunk = struct.pack(">I", 9) + body + struct.pack(">I", zlib.crc32(body))
    return data[:_IHDR_END] + chunk + data[_IHDR_END:]
