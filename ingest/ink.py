"""What on a page is ink: the paper flattened away, red seals lifted, specks and holes told apart.

Every later decision (skew, orientation, blank or not, the recognition image)
looks only at ink, so yellowish paper, uneven light, a red seal over the text,
speckles and punch holes must already be out of the way here.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MM_PER_INCH = 25.4
PAPER_FLOOR = 64
RED_MARGIN = 60
"""A pixel whose red exceeds its green and blue by this much is seal ink, not text."""


def seal_mask(image: np.ndarray, margin: int = RED_MARGIN) -> np.ndarray | None:
    """255 where a colour image is red ink (seals, red headers); None for a grey image."""
    if image.ndim == 2:
        return None
    blue, green, red = cv2.split(image)
    return cv2.compare(cv2.subtract(red, cv2.max(green, blue)), margin, cv2.CMP_GT)  # type: ignore[call-overload, no-any-return]  # a scalar: the stubs list arrays


def text_grey(image: np.ndarray, seal: np.ndarray | None) -> np.ndarray:
    """Grey image in which red ink (SEAL, from seal_mask) is as light as its red channel.

    Black text under a semi-transparent seal stays dark (its red is low too), so the
    text a seal covers survives while the seal itself fades to paper.
    """
    if image.ndim == 2:
        return image
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if seal is not None:
        cv2.copyTo(cv2.extractChannel(image, 2), seal, grey)
    return grey


def flatten(grey: np.ndarray, dpi: float) -> np.ndarray:
    """Divide by the paper's own brightness so tinted paper and uneven light become white.

    The paper is estimated on a ~50 dpi copy with a 5 mm maximum filter (wider than
    any stroke), so the cost is small even on a full 300-dpi page.  Nothing darker
    than ``PAPER_FLOOR`` is taken for paper: dividing a black photo's JPEG noise by
    its own darkness turned the noise into thousands of marks.
    """
    factor = max(1, int(round(dpi / 50)))
    height, width = grey.shape
    small = reduce(grey, factor)
    size = max(3, int(5 / MM_PER_INCH * dpi / factor) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    paper = cv2.max(cv2.blur(cv2.dilate(small, kernel), (size, size)), PAPER_FLOOR)
    paper = cv2.resize(paper, (width, height), interpolation=cv2.INTER_LINEAR)
    return cv2.divide(grey, paper, scale=255)


def reduce(image: np.ndarray, factor: int) -> np.ndarray:
    """IMAGE shrunk by a whole FACTOR (pixel means), the last FACTOR - 1 rows and columns at most left out.

    Whole blocks take OpenCV's fast path for area averaging, several times quicker
    than an arbitrary scale on a full page.
    """
    if factor == 1:
        return image
    height, width = image.shape[:2]
    rows, cols = max(1, height // factor), max(1, width // factor)
    return cv2.resize(image[: rows * factor, : cols * factor], (cols, rows), interpolation=cv2.INTER_AREA)


def ink_mask(flat: np.ndarray, threshold: float) -> np.ndarray:
    """1 where the flattened page is darker than THRESHOLD of the paper."""
    return (flat < int(threshold * 255)).astype(np.uint8)


@dataclass(frozen=True)
class InkParts:
    """The ink of an image, sorted: text-like marks, other content, holes, specks."""

    text: np.ndarray | None
    """uint8 mask of text-sized marks (what skew and orientation look at); None where not asked for."""
    content_mm2: float
    """ink area of everything that is content (text, tables, figures), in mm²."""
    marks: int
    """number of text-sized marks."""


def sort_ink(mask: np.ndarray, dpi: float, speckle_max_mm2: float) -> InkParts:
    """Label connected ink and keep what can be content, with a mask of the text-sized marks."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    content, textlike = sort_marks(stats, mask.shape, dpi, speckle_max_mm2)
    px_mm = dpi / MM_PER_INCH
    return InkParts(
        text=textlike.astype(np.uint8)[labels],
        content_mm2=float(stats[content, cv2.CC_STAT_AREA].sum()) / (px_mm * px_mm),
        marks=int(textlike.sum()),
    )


def count_ink(stats: np.ndarray, shape: tuple[int, ...], dpi: float, speckle_max_mm2: float) -> InkParts:
    """Content ink and text-sized marks from connected-component STATS (no mask): the blank test's input."""
    content, textlike = sort_marks(stats, shape, dpi, speckle_max_mm2)
    px_mm = dpi / MM_PER_INCH
    return InkParts(
        text=None,
        content_mm2=float(stats[content, cv2.CC_STAT_AREA].sum()) / (px_mm * px_mm),
        marks=int(textlike.sum()),
    )


EDGE_SPAN = 0.5
"""A mark touching the image edge and spanning this share of both sides is a frame or background."""
EDGE_STRIP = 5.0
"""... as is one touching the edge and this many times longer than it is wide (a scanner's edge shadow)."""


def sort_marks(
    stats: np.ndarray, shape: tuple[int, ...], dpi: float, speckle_max_mm2: float
) -> tuple[np.ndarray, np.ndarray]:
    """(content, text-like) per connected component (row 0 is the background) of STATS.

    Specks are tiny; punch holes are solid round blobs of 4–10 mm near an edge;
    a mark touching the image edge is a border or background remnant when it is a
    strip along it or spans most of the image (a frame, a dark background); other
    marks that touch an edge stay content: a tightly cropped word has its strokes
    on the edge, and a rule that dropped them called such crops blank.
    Text-sized marks (under 15 mm tall and 30 mm wide) carry the line structure;
    larger ones (tables, seals scanned in grey, figures) count as content but not as text.
    """
    px_mm = dpi / MM_PER_INCH
    x, y, w, h, area = (stats[:, i] for i in range(5))
    height, width = shape[:2]
    speck = area < speckle_max_mm2 * px_mm * px_mm
    touches = (x == 0) | (y == 0) | (x + w >= width) | (y + h >= height)
    text_sized = (h < 15 * px_mm) & (w < 30 * px_mm)
    strip = np.maximum(w, h) > EDGE_STRIP * np.minimum(w, h)
    spanning = (w > EDGE_SPAN * width) & (h > EDGE_SPAN * height)
    edge = touches & (strip | spanning)
    near_edge = (
        (x < 25 * px_mm) | (y < 25 * px_mm) | (x + w > width - 25 * px_mm) | (y + h > height - 25 * px_mm)
    )
    round_size = (w > 4 * px_mm) & (w < 10 * px_mm) & (h > 4 * px_mm) & (h < 10 * px_mm)
    hole = near_edge & round_size & (area > 0.6 * w * h) & (np.abs(w - h) < 0.2 * np.maximum(w, h))
    content = ~speck & ~edge & ~hole
    content[0] = False
    return content, content & text_sized
