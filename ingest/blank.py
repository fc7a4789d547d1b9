"""Blank pages (duplex backs, separator sheets): flagged, never dropped.

Decided on content ink only, counted on the full-resolution recognition image
(ink.count_ink, from ingest/cleanup.py): tinted paper and uneven light are
flattened away, show-through is too faint to pass the ink threshold, specks are
too small and punch holes too round and too near the edge to count.  A page with
a few characters, a signature or a seal on it is not blank.
"""

from __future__ import annotations

from edossier.ingest.ink import InkParts

MIN_MARKS = 3
SPECK_SHARE = 0.001
"""On a small image a speck is at most this share of its area (a word crop's strokes are smaller than a page's speck)."""
INK_SHARE = 0.005
"""On a small image, content ink over this share of its area is not blank."""


def limits_for(area_mm2: float, speckle_max_mm2: float, max_ink_mm2: float) -> tuple[float, float]:
    """(speck size, blank ink) for an image of AREA_MM2: the page settings, scaled down for small images.

    The settings are sized for sheets of paper: on A4 a 0.6 mm² speck and 8 mm² of
    ink are a dust grain and a few characters.  A 23 x 4 mm screenshot of one line
    has less ink than that in all, and strokes thinner than a speck.
    """
    return min(speckle_max_mm2, SPECK_SHARE * area_mm2), min(max_ink_mm2, INK_SHARE * area_mm2)


def is_blank(parts: InkParts, max_ink_mm2: float) -> bool:
    return parts.content_mm2 < max_ink_mm2 or parts.marks < MIN_MARKS and parts.content_mm2 < 4 * max_ink_mm2
