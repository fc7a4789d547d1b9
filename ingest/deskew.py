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

import cv2
import numpy as np

MAX_POINTS = 60_000
COARSE_POINTS = 8_000
COARSE_STEP = 0.5
FINE_STEP = 0.05
FINE_PHASES = 2
"""Bin grids averaged in the fine search (see sharpness)."""
HINT_SPAN = 1.5
"""How far (degrees) the projection search strays from the line blobs' direction."""
HINT_AGREEMENT = 0.3
"""A skew that line blobs and the projection both find (within this) is real, even if the gain is small."""
FEW_LINES = 8
"""Below this many lines the angle is the mean of the profile's and the line blobs' (each alone is off by up to
0.4° on a few short lines, rarely both the same way), and a small turn needs a clear gain (no agreement rule)."""
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
    centred: np.ndarray = points - np.array([(width - 1) / 2, (height - 1) / 2])
    return centred


def normal_offsets(points: np.ndarray, angles_deg: np.ndarray) -> np.ndarray:
    """Distance of each point along the line normal, for lines at each angle (rows: angles)."""
    theta = np.radians(angles_deg)[:, None]
    offsets: np.ndarray = points[:, 0] * np.sin(theta) + points[:, 1] * np.cos(theta)
    return offsets


def sharpness(points: np.ndarray, angles_deg: np.ndarray, bin_px: float, phases: int = 1) -> np.ndarray:
    """Sum of squared projection-bin counts per angle, normalised by the squared point count.

    With PHASES > 1 the bins are also laid at fractions of a bin further on and the
    sums averaged: a few short lines fall into few bins, and where the bin edges
    happen to cut them moves the peak of one grid by a tenth of a degree or more.
    """
    offsets = normal_offsets(points, angles_deg) / bin_px
    low = np.floor(offsets.min())
    bins = int(np.ceil(offsets.max() - low)) + 2
    rows = np.arange(len(angles_deg))[:, None] * bins
    total = np.zeros(len(angles_deg))
    for phase in range(phases):
        index = (offsets - low + phase / phases).astype(np.int64) + rows
        counts = np.bincount(index.ravel(), minlength=bins * len(angles_deg)).reshape(len(angles_deg), bins)
        counts = counts.astype(np.float64)
        total += (counts * counts).sum(axis=1)
    return total / (phases * float(len(points)) ** 2)


def find_line_angle(
    points: np.ndarray, max_skew: float, hint: LineBlobs | None = None, min_points: int = 200
) -> LineAngle:
    """The sharpest angle within ±MAX_SKEW of 0° or of 90°; HINT (line_direction) narrows the search.

    Without a hint the axis is chosen by gaps: justified CJK text sits on a grid, so
    its columns project almost as sharply as its lines, but the gaps between lines
    are most of a character high and those between characters a sliver.
    """
    if len(points) < min_points:
        return LineAngle(angle=0.0, sharpness=0.0, confident=False)
    sample = points[:: max(1, len(points) // COARSE_POINTS)]
    if hint is not None:
        axis = 90.0 if 45 <= hint.angle < 135 else 0.0
        skew = (hint.angle - axis + 90) % 180 - 90
        if abs(skew) <= max_skew + HINT_SPAN:
            return _refine(points, sample, axis, max_skew, around=axis + skew, few=hint.lines < FEW_LINES)
    best: LineAngle | None = None
    best_gap = -1.0
    for axis in (0.0, 90.0):
        found = _refine(points, sample, axis, max_skew)
        gap = typical_gap(points, found.angle)
        if gap > best_gap or (gap == best_gap and best is not None and found.sharpness > best.sharpness):
            best, best_gap = found, gap
    assert best is not None
    return best


@dataclass(frozen=True)
class LineBlobs:
    """Direction of the text lines (degrees counter-clockwise, mod 180) and how many lines showed it."""

    angle: float
    lines: int


def line_direction(text_mask: np.ndarray) -> LineBlobs | None:
    """Direction of the text lines (degrees counter-clockwise, mod 180) from the shape of line blobs.

    Marks are joined with a square of half their typical height: enough to bridge
    the gaps between characters, too little for the gaps between lines, so each line
    becomes one elongated blob whatever its angle.  Their principal axes, weighted
    by length, give the direction; None when no blob is clearly elongated.  Unlike
    a projection profile this cannot line up two separate short lines.
    """
    count, _, stats, _ = cv2.connectedComponentsWithStats(text_mask, connectivity=8)
    heights = stats[1:, cv2.CC_STAT_HEIGHT][stats[1:, cv2.CC_STAT_AREA] >= 4]
    if len(heights) < 3:
        return None
    em = float(np.median(heights))
    size = max(3, int(round(0.5 * em)))
    joined = cv2.dilate(text_mask, np.ones((size, size), np.uint8))
    count, labels = cv2.connectedComponents(joined, connectivity=8)
    ys, xs = np.nonzero(joined)
    label = labels[ys, xs]
    xs, ys = xs.astype(np.float64), ys.astype(np.float64)
    m00 = np.bincount(label, minlength=count).astype(np.float64)
    m00[0] = 1.0
    sums = [np.bincount(label, weights, minlength=count) for weights in (xs, ys, xs * xs, ys * ys, xs * ys)]
    sx, sy, sxx, syy, sxy = sums
    mu20, mu02, mu11 = sxx - sx * sx / m00, syy - sy * sy / m00, sxy - sx * sy / m00
    spread = np.sqrt(((mu20 - mu02) / 2) ** 2 + mu11**2)
    major, minor = (mu20 + mu02) / 2 + spread, (mu20 + mu02) / 2 - spread
    line = (m00 >= 3 * em * em) & (minor > 0) & (major >= 6.25 * minor)
    line[0] = False
    if not line.any():
        return None
    doubled = np.arctan2(2 * mu11[line], mu20[line] - mu02[line])
    weight = np.sqrt(major[line] / m00[line])
    total = np.array([(weight * np.cos(doubled)).sum(), (weight * np.sin(doubled)).sum()])
    return LineBlobs(float(-np.degrees(0.5 * np.arctan2(total[1], total[0]))) % 180, int(line.sum()))


def _refine(
    points: np.ndarray,
    sample: np.ndarray,
    axis: float,
    max_skew: float,
    around: float | None = None,
    few: bool = False,
) -> LineAngle:
    if around is None:
        coarse = np.arange(axis - max_skew, axis + max_skew + 1e-9, COARSE_STEP)
    else:
        coarse = around + np.arange(-HINT_SPAN, HINT_SPAN + 1e-9, COARSE_STEP)
        coarse = coarse[np.abs(coarse - axis) <= max_skew + 1e-9]
    best = float(coarse[int(np.argmax(sharpness(sample, coarse, bin_px=1.0)))])
    fine = best + np.arange(-COARSE_STEP, COARSE_STEP + 1e-9, FINE_STEP)
    scores = sharpness(points, fine, bin_px=0.5, phases=FINE_PHASES)
    i = int(np.argmax(scores))
    angle = float(fine[i])
    if 0 < i < len(fine) - 1:
        left, mid, right = scores[i - 1 : i + 2]
        curvature = left - 2 * mid + right
        if curvature < 0:
            angle += FINE_STEP * 0.5 * (left - right) / curvature
    straight = sharpness(points, np.array([axis]), bin_px=0.5, phases=FINE_PHASES)[0]
    peak = float(scores[i])
    if few and around is not None:
        # A profile of a few short lines is flat near its peak: a turn found must be clearly one.
        angle = (angle + around) / 2
        return LineAngle(angle=angle, sharpness=peak, confident=peak > straight * MIN_GAIN or abs(angle - axis) >= 0.5)
    agrees = around is not None and abs(angle - around) < HINT_AGREEMENT
    confident = peak > straight * MIN_GAIN or abs(angle - axis) < 0.5 or agrees
    return LineAngle(angle=angle, sharpness=peak, confident=confident)


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
