"""A page with ink that the engine reads as empty is read again, other ways, before anyone calls it empty.

Real material fails the usual path in ways the benchmark's pages never do: a
tight word crop gives the detector no margin to find a box in, a photo's cleanup
image loses low-contrast print, a small-format page is under the detector's
scale.  Each way below is tried in turn until one yields text, and the result
records which (``OcrPage.read_by``): the engine's own other ways (another
detection scale, the whole image as one line), the page without cleanup (the
kept image), then the second engine.  A page that still yields nothing is
marked ``nothing`` (``OcrPage.unread``): it goes to review, never passes as blank.
"""

from __future__ import annotations

from pathlib import Path

from edossier.ocr.engine import OcrEngine
from edossier.types import UNREAD, OcrPage

UNCLEANED = "uncleaned"


def read_page(engine: OcrEngine, recognition: Path, kept: Path | None = None) -> OcrPage:
    """ENGINE's reading of RECOGNITION (the cleaned image), or of the first fallback that yields text.

    KEPT is the page image before the recognition cleanup (same geometry), read
    when the cleaned image yields nothing by any of the engine's ways.
    """
    first = engine.recognize(recognition)
    if first.text.strip():
        return first
    for name, attempt in engine.fallbacks(recognition):
        result = attempt()
        if result.text.strip():
            return result.model_copy(update={"read_by": name})
    if kept is not None and kept != recognition:
        result = engine.recognize(kept)
        if result.text.strip():
            return result.model_copy(update={"read_by": UNCLEANED})
    second = engine.second_engine()
    if second is not None:
        result = second.recognize(recognition)
        if result.text.strip():
            return result.model_copy(update={"read_by": second.name})
    return first.model_copy(update={"read_by": UNREAD})
