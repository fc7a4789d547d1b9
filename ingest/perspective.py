"""A photographed page: find the paper's four corners against a darker background.

Only a clear case counts: one bright convex quadrilateral covering 30–97 % of the
photo, mostly paper-bright inside, darker all round, shaped like a sheet of paper (sides at most twice as
long as each other: a signboard or a light strip behind a line of text is not a
page, and warping it to one turned a photographed sign sideways), and not already an upright rectangle (a scan with black
edges is a crop, handled in borders.py).  Anything less certain is left alone,
since a wrong warp would damage the kept image.
"""

from __future__ import annotations

import cv2
import numpy as np

MIN_PAPER_SHARE = 0.7
"""share of bright (paper) pixels inside the outline: a page with dense text still has over 80 %."""
MAX_SIDE_RATIO = 2.0
"""Long side over short side of anything taken for a page (A4 1.41, a receipt photo stays as it is)."""


def page_quad(grey: np.ndarray) -> np.ndarray | None:
    """Corners (top-left, top-right, bottom-right, bottom-left) of the page in GREY, or None."""
    height, width = grey.shape
    blurred = cv2.GaussianBlur(grey, (5, 5), 0)
    level, paper = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    share = cv2.countNonZero(paper) / paper.size
    if not 0.3 <= share <= 0.97:
        return None
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (15, 15))
    bright = cv2.morphologyEx(paper, cv2.MORPH_CLOSE, kernel)
    contours, _ = cv2.findContours(bright, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    outline = cv2.convexHull(max(contours, key=cv2.contourArea))
    if cv2.contourArea(outline) < 0.3 * width * height:
        return None
    quad = cv2.approxPolyDP(outline, 0.02 * cv2.arcLength(outline, True), True).reshape(-1, 2)
    if len(quad) != 4:
        return None
    corners = _ordered(quad.astype(np.float64))
    sides = np.linalg.norm(corners - np.roll(corners, -1, axis=0), axis=1)
    across, down = max(sides[0], sides[2]), max(sides[1], sides[3])
    if max(across, down) > MAX_SIDE_RATIO * min(across, down):
        return None
    inside = np.zeros_like(grey)
    cv2.fillConvexPoly(inside, corners.astype(np.int32), 255)
    outside_mean = cv2.mean(grey, mask=cv2.bitwise_not(inside))[0]
    if outside_mean > level * 0.8:
        return None
    # Paper is mostly bright inside its outline; bright letters on a dark sign (a real street photo,
    # paddle_ch_street_rec_1.png) close into a similar outline but leave most of it dark.
    if cv2.mean(paper, mask=inside)[0] / 255 < MIN_PAPER_SHARE:
        return None
    x0, y0 = corners.min(axis=0)
    x1, y1 = corners.max(axis=0)
    box = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    if np.abs(corners - box).max() <= 0.01 * max(width, height):
        return None
    return corners


def _ordered(points: np.ndarray) -> np.ndarray:
    total = points.sum(axis=1)
    diff = points[:, 1] - points[:, 0]
    return np.array(
        [points[np.argmin(total)], points[np.argmin(diff)], points[np.argmax(total)], points[np.argmax(diff)]]
    )
