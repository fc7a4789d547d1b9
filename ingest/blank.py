"""Blank pages (duplex backs, separator sheets): flagged, never dropped.

Decided on content ink only (ink.sort_ink): tinted paper and uneven light are
flattened away, show-through is too faint to pass the ink threshold, specks are
too small and punch holes too round and too near the edge to count.  A page with
a few characters, a signature or a seal on it is not blank.
"""

from __future__ import annotations

from edossier.ingest.ink import InkParts

MIN_MARKS = 3


def is_blank(parts: InkParts, max_ink_mm2: float) -> bool:
    return parts.content_mm2 < max_ink_mm2 or parts.marks < MIN_MARKS and parts.content_mm2 < 4 * max_ink_mm2
