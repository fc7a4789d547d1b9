"""Black scanner edges: bands of dark along the image's sides where the lid did not cover the glass."""

from __future__ import annotations

import numpy as np

DARK = 80
"""Grey level below which a pixel is lid or glass, not paper."""
PAPER = 2 * DARK
"""What lies inside dark edge bands must be paper (its median this light) for the bands to be a scanner's edges."""
BAND_FILL = 0.5
"""A row or column at the edge belongs to the band while at least this share of it is dark."""


def content_box(grey: np.ndarray) -> tuple[int, int, int, int]:
    """x0, y0, x1, y1 (exclusive) of GREY without its dark edge bands; the whole image if there are none."""
    dark = grey < DARK
    rows = dark.mean(axis=1) >= BAND_FILL
    cols = dark.mean(axis=0) >= BAND_FILL
    height, width = grey.shape
    y0, y1 = _band(rows), height - _band(rows[::-1])
    x0, x1 = _band(cols), width - _band(cols[::-1])
    if x1 - x0 < width // 4 or y1 - y0 < height // 4:
        return 0, 0, width, height  # a dark page, not a border
    if np.median(grey[y0:y1, x0:x1]) < PAPER:
        return 0, 0, width, height  # light print on a dark ground (a sign, an inverted crop): nothing to cut
    margin = 1
    return (
        x0 + margin if x0 else 0,
        y0 + margin if y0 else 0,
        x1 - margin if x1 < width else width,
        y1 - margin if y1 < height else height,
    )


def _band(edge_first: np.ndarray) -> int:
    """Length of the run of True at the start."""
    if not edge_first.size or not edge_first[0]:
        return 0
    stop = np.flatnonzero(~edge_first)
    return int(stop[0]) if stop.size else len(edge_first)
