"""Find the angle of a page's text lines by projection profiles of its text-sized ink.

The page is turned by a candidate angle and its ink projected onto the line
normal; when the angle is right, lines fall into few bins with empty gaps between,
and the sum of squared bin counts peaks (Postl's criterion).  Only text-sized marks
are projected, so a table drawn with slanted lines, a grey seal or a photo cannot
pull the angle; italic text shears along the line and does not move the profile.
Candidates near 0° and near 90° are both tried: whichever gives the sharper profile
says whether the lines run across or down the image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_POINTS = 60_000
COARSE_POINTS = 8_000
COARSE_STEP = 0.5
FINE_STEP = 0.05
MIN_GAIN = 1.03
"""A turned profile must be this much sharper than the unturned one, or the page stays as it is."""


@dataclass(frozen=True)
class LineAngle:
    """The page's lines run at ANGLE degrees counter-clockwise (mod 180); 0 or 90 ± skew."""

    angle: float
    sharpness: float
    confident: bool


def ink_points(text_mask: np.ndarray, seed: int = 0) -> np.ndarray:
    """(x, y) of ink pixels about the image centre, in a fixed random order, at most MAX_POINTS.

    Each point is spread uniformly over its pixel: on the bare pixel grid, profiles
    at exactly 0° or 90° would fill only every other half-pixel bin and look twice
    as sharp as they are.
    """
    ys, xs = np.nonzero(text_mask)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(xs))[:MAX_POINTS]
    points = np.column_stack((xs[order], ys[order])).astype(np.float64)
    points += rng.uniform(-0.5, 0.5, points.shape)
    height, width = text_mask.shape
    return points - np.array([(width - 1) / 2, (height - 1) / 2])


def normal_offsets(points: np.ndarray, angles_deg: np.ndarray) -> np.ndarray:
    """Distance of each point along the line normal, for lines at each angle (rows: angles)."""
    theta = np.radians(angles_deg)[:, None]
    return points[:, 0] * np.sin(theta) + points[:, 1] * np.cos(theta)


def sharpness(points: np.ndarray, angles_deg: np.ndarray, bin_px: float) -> np.ndarray:
    """Sum of squared projection-bin counts per angle, normalised by the squared point count."""
    offsets = normal_offsets(points, angles_deg) / bin_px
    low = np.floor(offsets.min())
    bins = int(np.ceil(offsets.max() - low)) + 1
    index = (offsets - low).astype(np.int64) + np.arange(len(angles_deg))[:, None] * bins
    counts = np.bincount(index.ravel(), minlength=bins * len(angles_deg)).reshape(len(angles_deg), bins)
    counts = counts.astype(np.float64)
    return (counts * counts).sum(axis=1) / float(len(points)) ** 2


def find_line_angle(points: np.ndarray, max_skew: float, min_points: int = 200) -> LineAngle:
    """The sharpest angle within ±MAX_SKEW of 0° and of 90°, and which of the two the lines follow.

    The sharpness criterion alone cannot choose the axis for Chinese: justified CJK
    text sits on a grid, so its columns project almost as sharply as its lines.  What
    differs is the gaps: between lines they are most of a character high, between
    characters a sliver.  So the axis whose profile has the longer typical gap wins.
    """
    if len(points) < min_points:
        return LineAngle(angle=0.0, sharpness=0.0, confident=False)
    sample = points[:: max(1, len(points) // COARSE_POINTS)]
    best: LineAngle | None = None
    best_gap = -1.0
    for axis in (0.0, 90.0):
        found = _refine(points, sample, axis, max_skew)
        gap = typical_gap(points, found.angle)
        if gap > best_gap or (gap == best_gap and best is not None and found.sharpness > best.sharpness):
            best, best_gap = found, gap
    assert best is not None
    return best


def _refine(points: np.ndarray, sample: np.ndarray, axis: float, max_skew: float) -> LineAngle:
    coarse = np.arange(axis - max_skew, axis + max_skew + 1e-9, COARSE_STEP)
    best = float(coarse[int(np.argmax(sharpness(sample, coarse, bin_px=1.0)))])
    fine = best + np.arange(-COARSE_STEP, COARSE_STEP + 1e-9, FINE_STEP)
    scores = sharpness(points, fine, bin_px=0.5)
    i = int(np.argmax(scores))
    angle = float(fine[i])
    if 0 < i < len(fine) - 1:
        left, mid, right = scores[i - 1 : i + 2]
        curvature = left - 2 * mid + right
        if curvature < 0:
            angle += FINE_STEP * 0.5 * (left - right) / curvature
    straight = sharpness(points, np.array([axis]), bin_px=0.5)[0]
    peak = float(scores[i])
    return LineAngle(angle=angle, sharpness=peak, confident=peak > straight * MIN_GAIN or abs(angle - axis) < 0.5)


def typical_gap(points: np.ndarray, angle: float) -> float:
    """Median length (pixels) of the empty stretches in the profile across lines at ANGLE."""
    offsets = normal_offsets(points, np.array([angle]))[0]
    counts = np.convolve(np.bincount((offsets - offsets.min()).astype(np.int64)), np.ones(3) / 3, mode="same")
    empty = counts <= 0.1 * np.percentile(counts[counts > 0], 90)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], empty.astype(np.int8), [0]))))
    gaps = edges[1::2] - edges[::2]
    return float(np.median(gaps)) if len(gaps) else 0.0


@dataclass(frozen=True)
class TextLine:
    """A line in the page's own frame (turned back by the line angle), in analysis pixels about the centre."""

    top: float
    bottom: float
    left: float
    right: float
    points: int


def text_lines(points: np.ndarray, angle: float, min_height: float) -> list[TextLine]:
    """Lines as runs of well-filled bins in the profile at ANGLE, longest (most ink) first."""
    if len(points) == 0:
        return []
    offsets = normal_offsets(points, np.array([angle]))[0]
    theta = np.radians(angle)
    along = points[:, 0] * np.cos(theta) - points[:, 1] * np.sin(theta)
    low = np.floor(offsets.min())
    index = (offsets - low).astype(np.int64)
    counts = np.convolve(np.bincount(index), np.ones(3) / 3, mode="same")
    threshold = 0.15 * np.percentile(counts[counts > 0], 95)
    filled = np.concatenate(([False], counts > threshold, [False]))
    edges = np.flatnonzero(filled[1:] != filled[:-1])
    lines = []
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        if stop - start < min_height:
            continue
        inside = np.sort(along[(index >= start) & (index < stop)])
        if len(inside) < 20:
            continue
        left, right = inside[len(inside) // 100], inside[-1 - len(inside) // 100]
        lines.append(TextLine(float(low + start), float(low + stop), float(left), float(right), len(inside)))
    return sorted(lines, key=lambda line: -line.points)
