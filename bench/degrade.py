"""Make a clean rendered page look scanned or photographed, reproducibly (fixed seeds).

The degradations courts' scanners and phones add: yellowish paper, uneven light,
sensor noise, speckles, slight blur, JPEG artefacts, a turn by a known angle, black
scanner borders, and a perspective tilt for phone photos.  Written with OpenCV and
NumPy so no run ever needs a download (augraphy's default pipeline may fetch a font).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image


@dataclass(frozen=True)
class ScanDegradation:
    """How hard to degrade; the defaults resemble an office ADF scan of printed paper."""

    paper_tint: float = 0.06
    light_falloff: float = 0.12
    noise_sigma: float = 6.0
    speckles: int = 400
    blur_sigma: float = 0.6
    jpeg_quality: int = 60


def degrade(image: Image.Image, seed: int, spec: ScanDegradation = ScanDegradation()) -> Image.Image:
    rng = np.random.default_rng(seed)
    page = np.asarray(image.convert("RGB")).astype(np.float32)
    h, w = page.shape[:2]
    tint = np.array([1.0, 1.0 - spec.paper_tint * 0.4, 1.0 - spec.paper_tint], dtype=np.float32)
    page = 255 - (255 - page) * 0.92  # ink is never pure black on a scan
    page *= tint
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
    falloff = 1.0 - spec.light_falloff * (((xx - cx) / w) ** 2 + ((yy - cy) / h) ** 2) * 2
    page *= falloff[..., None]
    page += rng.normal(0, spec.noise_sigma, page.shape).astype(np.float32)
    for _ in range(spec.speckles):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        cv2.circle(page, (x, y), int(rng.integers(1, 4)), (40, 40, 40), -1)
    page = np.clip(page, 0, 255).astype(np.uint8)
    if spec.blur_sigma > 0:
        page = cv2.GaussianBlur(page, (0, 0), spec.blur_sigma)
    ok, encoded = cv2.imencode(".jpg", page[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, spec.jpeg_quality])
    assert ok
    decoded = cv2.imdecode(encoded, cv2.IMREAD_COLOR)[..., ::-1]
    return Image.fromarray(decoded)


def rotate(image: Image.Image, degrees_ccw: float, border: tuple[int, int, int] = (255, 255, 255)) -> Image.Image:
    """Turn counter-clockwise by DEGREES_CCW, keeping the whole page (the canvas grows)."""
    return image.rotate(degrees_ccw, resample=Image.BICUBIC, expand=True, fillcolor=border)


def add_scanner_border(image: Image.Image, width: int, seed: int) -> Image.Image:
    """Black edges where the scanner lid did not cover the glass."""
    rng = np.random.default_rng(seed)
    page = np.asarray(image.convert("RGB")).copy()
    h, w = page.shape[:2]
    for side in rng.choice(4, size=int(rng.integers(1, 4)), replace=False):
        depth = int(width * rng.uniform(0.5, 1.0))
        if side == 0:
            page[:depth] = 15
        elif side == 1:
            page[-depth:] = 15
        elif side == 2:
            page[:, :depth] = 15
        else:
            page[:, -depth:] = 15
    return Image.fromarray(page)


def photograph(image: Image.Image, seed: int, tilt: float = 0.06) -> tuple[Image.Image, np.ndarray]:
    """A phone photo of the page on a dark desk: a perspective warp; returns the 4 page corners."""
    rng = np.random.default_rng(seed)
    page = np.asarray(image.convert("RGB"))
    h, w = page.shape[:2]
    pad = int(0.08 * max(w, h))
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jitter = rng.uniform(-tilt, tilt, size=(4, 2)) * np.float32([w, h])
    dst = src + pad + jitter.astype(np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    out = cv2.warpPerspective(page, matrix, (w + 2 * pad, h + 2 * pad), borderValue=(45, 40, 35))
    return Image.fromarray(out), dst


def punch_holes(image: Image.Image, seed: int, diameter: int = 70) -> Image.Image:
    """Two or four filing holes (6 mm at 300 dpi) along one edge, dark where the lid was black."""
    rng = np.random.default_rng(seed)
    page = np.asarray(image.convert("RGB")).copy()
    h, w = page.shape[:2]
    count = int(rng.choice([2, 4]))
    side = int(rng.integers(0, 2))
    inset = int(rng.uniform(0.02, 0.05) * w) + diameter // 2
    shade = int(rng.integers(15, 70))
    for k in range(count):
        along = int((0.5 + (k - (count - 1) / 2) * 0.22) * (h if side == 0 else w))
        centre = (inset, along) if side == 0 else (along, inset)
        cv2.circle(page, centre, diameter // 2, (shade, shade, shade), -1, lineType=cv2.LINE_AA)
    return Image.fromarray(page)


def show_through(image: Image.Image, back: Image.Image, strength: float = 0.12) -> Image.Image:
    """The back page's print seen faintly through thin paper: mirrored, blurred, low contrast."""
    front = np.asarray(image.convert("RGB")).astype(np.float32)
    ghost = np.asarray(back.convert("L").resize(image.size)).astype(np.float32)[:, ::-1]
    ghost = cv2.GaussianBlur(ghost, (0, 0), 2.5)
    darkening = 1.0 - strength * (1.0 - ghost / 255.0)
    return Image.fromarray(np.clip(front * darkening[..., None], 0, 255).astype(np.uint8))
