"""Page images this process has just written, handed decoded to the step that reads them next in this process.

A page image passes from step to step as a PNG file named by its SHA-256: the
rasterised page to cleanup, the cleaned recognition image to OCR, the kept image
to binding's encoding (done beside the page's OCR).  In one process the next step
then spent 0.03-0.1 CPU-s a page decoding what the step before had just encoded
from the very same pixels (notes/issue-18.md, sessions 13 and 14).  Here the
writer leaves the pixels under the file's path and the reader takes them instead
of decoding the file.  The file is written in any case: it is what a rerun, another
worker or a later step reads.  A file's name is the hash of its bytes and the PNG
encoder is deterministic, so pixels left under a path are that file's pixels.

Each image is taken once (a reader that needs it again decodes the file), and at
most ``KEPT`` wait, oldest dropped first: a page whose next step runs in another
process (a batch worker) only holds memory until newer pages push it out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

KEPT = 8
"""Images waiting to be taken: the pages in flight (two per job, rasterised and cleaned up) with room to spare.
At most ~210 MB of A4 colour pages at 300 dpi, held by a process whose pages are never taken (cleanup turned off;
``edossier ocr``, which binds nothing, leaves each kept image untaken)."""

_waiting: OrderedDict[Path, np.ndarray] = OrderedDict()
_lock = threading.Lock()


def leave(path: Path, pixels: np.ndarray) -> None:
    """Leave PIXELS, as OpenCV decodes PATH (BGR or grey, 8-bit), for the next reader of PATH.

    The reader gets a read-only view of the same memory (copying an A4 colour page
    would cost a third of decoding it): the writer must not change PIXELS after.
    """
    kept = pixels.view()
    kept.flags.writeable = False
    with _lock:
        _waiting[path] = kept
        _waiting.move_to_end(path)
        while len(_waiting) > KEPT:
            _waiting.popitem(last=False)


def take(path: Path) -> np.ndarray | None:
    """The pixels left for PATH (read-only), once; None if none are waiting."""
    with _lock:
        return _waiting.pop(path, None)
