"""The hot-folder runner (``edossier watch``): take each file as it lands and file it.

A file is claimed and read.  A scan (every page an image) is checked as a
scanner's pages are and filed as a scanned batch (``filing.file_batch``: cover
sheets, blank and double-fed pages).  A born-digital file (an OFD, a Word
document, a PDF with text) has no scanner pages to check: it is handed to the
same steps as ``edossier process`` whole, with its own text, into the folder's
case.  Either way it ends in done/ or in failed/ with the reason, so one bad
file never stops the folder.

The watcher runs for days: it holds a case in the reader's submission queue
only while it publishes that case's version (``filing.file_into_case``), and
a case the reader is publishing just then is waited for, not refused: a
refusal would send a good file to failed/ with nobody there to read why.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from edossier.config import Settings
from edossier.errors import EdossierError, InputFileError
from edossier.ingest.batch_split import PageCheck, inspect_page
from edossier.ingest.pages import open_source, read_pages
from edossier.pipeline.filing import BatchResult, file_batch, file_into_case
from edossier.pipeline.process import Material, Say
from edossier.scanners.hot_folder import ClaimedFile, HotFolder
from edossier.storage import Store


def drain_folder(
    folder: HotFolder,
    settings: Settings,
    *,
    case_text: str | None = None,
    store: Store | None = None,
    progress: Say | None = None,
    keep_watching: Callable[[], bool] = lambda: False,
) -> list[BatchResult]:
    """Take files from FOLDER until none is ready (or, while KEEP_WATCHING(), wait for more)."""
    results: list[BatchResult] = []
    while True:
        claim = folder.claim_next()
        if claim is None:
            if not keep_watching():
                return results
            time.sleep(folder.poll_s)
            continue
        result = take_file(claim, settings, case_text=case_text, store=store, progress=progress)
        if result is not None:
            results.append(result)


def take_file(
    claim: ClaimedFile,
    settings: Settings,
    *,
    case_text: str | None = None,
    store: Store | None = None,
    progress: Say | None = None,
) -> BatchResult | None:
    """Process one claimed hot-folder file; it ends in done/ or in failed/ with the reason."""
    if progress:
        progress(f"{claim.original_name}: taken{' again after a crash' if claim.recovered else ''}")
    try:
        source = open_source(claim.path, settings.limits, seal_settings=settings.seals)
        batch_dir = settings.work_dir / "folder" / source.sha256[:16]
        pages = list(read_pages(source, settings.work_dir, settings.limits))
        if any(page.image is None for page in pages):
            result = _file_whole(claim, source.sha256, settings, case_text, store, progress)
        else:
            checks: list[PageCheck] = []
            for page in pages:
                assert page.image is not None
                checks.append(inspect_page(page.index + 1, page.image, checks[-1] if checks else None, settings.scan))
            result = file_batch(claim.folder.uri, checks, batch_dir, settings, case_text, None, store, progress,
                                wait_turn=True)
    except Exception as exc:  # one bad file must not stop the folder: it goes to failed/ with the reason
        reason = str(exc) if isinstance(exc, EdossierError) else f"unexpected error: {exc!r}"
        target = claim.failed(reason)
        if progress:
            progress(f"{claim.original_name}: failed ({reason}); moved to {target}")
        return None
    target = claim.done()
    if progress:
        progress(f"{claim.original_name}: done, moved to {target}")
    return result


def _file_whole(
    claim: ClaimedFile,
    sha256: str,
    settings: Settings,
    case_text: str | None,
    store: Store | None,
    progress: Say | None,
) -> BatchResult:
    """A born-digital file into the folder's case, by the steps ``process`` runs (no cover sheets to read)."""
    if case_text is None:
        raise InputFileError(claim.path, "is born-digital (no cover sheet can name its case); watch it with --case")
    # the claimed copy is named by the folder; intake checks the content against the name it was handed over under
    named = settings.work_dir / "folder" / sha256[:16] / claim.original_name
    named.parent.mkdir(parents=True, exist_ok=True)
    if not named.exists():
        os.link(claim.path, named)
    version = file_into_case([Material(named)], case_text, settings, store, progress, wait_turn=True)
    return BatchResult(claim.folder.uri, None, (version,), None, named.parent)
