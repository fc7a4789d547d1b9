"""The filing window: scan a batch (or take a hot-folder file) into a case's dossier.

Pages land in a spool folder under the work folder as they come off the
device, each checked on arrival (cover sheet, blank, double feed).  The batch
is then split at cover sheets, each document is written as one multi-page TIFF
and handed to the normal pipeline (``process_case``) with the type and title
its cover sheet gives.  A jam or a lost device stops the batch with every page
kept in the spool; ``--resume`` continues the same batch from the page named.
Each case is held in the reader's submission queue while its version is
published (``filing.file_into_case``); refused because the reader is publishing
one, the scanned batch is kept for ``--resume`` too.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from edossier.casenumber import CaseNumber
from edossier.config import Settings
from edossier.errors import EdossierError, NotFoundError
from edossier.ingest.batch_split import PageCheck, inspect_page, split_batch
from edossier.pipeline.filing import BatchResult, file_batch, write_state
from edossier.pipeline.process import Say
from edossier.pipeline.qc_report import write_qc_report
from edossier.pipeline.watch import drain_folder
from edossier.scanners.base import Scanner, ScannerError
from edossier.scanners.devices import open_device, scan_request
from edossier.scanners.hot_folder import HotFolder
from edossier.storage import Store

PageSeen = Callable[[PageCheck], None]


def scan_to_case(
    device: str,
    case_text: str,
    settings: Settings,
    *,
    declared_pages: int | None = None,
    resume: bool = False,
    store: Store | None = None,
    progress: Say | None = None,
    on_page: PageSeen | None = None,
) -> list[BatchResult]:
    """Scan from DEVICE into CASE_TEXT (a hot folder: take every waiting file once).

    With RESUME, the case's last unfinished batch continues: after a jam, scanning
    goes on from the page named; a batch scanned in full but not stored (the
    pipeline failed) is filed again without scanning.
    """
    case = CaseNumber.parse(case_text)
    if device.startswith("folder:"):
        folder = open_device(device, settings.scan)
        assert isinstance(folder, HotFolder)
        return drain_folder(folder, settings, case_text=case.normalized, store=store, progress=progress)
    status = "new"
    if resume:
        batch_dir, state = _resumable(settings, case)
        status, declared_pages = state["status"], declared_pages or state["declared_pages"]
    else:
        batch_dir = _new_batch_dir(settings, case)
    checks = _spooled(batch_dir, settings)
    if status != "scanned":
        scanner = open_device(device, settings.scan)
        assert isinstance(scanner, Scanner)
        with scanner:
            _scan_pages(scanner, batch_dir, checks, settings, declared_pages, on_page)
    write_state(batch_dir, device, "scanned", len(checks) + 1, declared_pages)
    try:
        return [file_batch(device, checks, batch_dir, settings, case.normalized, declared_pages, store, progress)]
    except EdossierError as exc:
        from edossier.web.submission_queue import CaseBusy  # imported only when filing failed

        if isinstance(exc, CaseBusy):  # the reader is publishing the case: the pages need not go through again
            raise CaseBusy(f"{exc.why} (the scanned batch is kept: add --resume to file it without scanning again)",
                           exc.chinese) from None
        raise


def _spooled(batch_dir: Path, settings: Settings) -> list[PageCheck]:
    """The pages already in a batch's spool, checked again in order."""
    checks: list[PageCheck] = []
    for number, path in enumerate(sorted((batch_dir / "pages").glob("*.png")), 1):
        checks.append(inspect_page(number, path, checks[-1] if checks else None, settings.scan))
    return checks


def _scan_pages(
    scanner: Scanner,
    batch_dir: Path,
    checks: list[PageCheck],
    settings: Settings,
    declared: int | None,
    on_page: PageSeen | None,
) -> None:
    """Scan into BATCH_DIR, appending to CHECKS as pages land; on a device fault keep them all."""
    write_state(batch_dir, scanner.uri, "interrupted", len(checks) + 1, declared)
    try:
        for page in scanner.scan(scan_request(settings.scan), batch_dir / "pages", first_page=len(checks) + 1):
            checks.append(inspect_page(page.number, page.image, checks[-1] if checks else None, settings.scan))
            write_state(batch_dir, scanner.uri, "interrupted", page.number + 1, declared)
            if on_page:
                on_page(checks[-1])
    except ScannerError as exc:
        if not checks:  # nothing came off the feeder: no batch to resume
            shutil.rmtree(batch_dir)
            raise
        split = split_batch(checks, declared)
        write_qc_report(batch_dir / "qc.html", batch_dir.parent.name, scanner.uri, split, f"interrupted: {exc}")
        raise _with_resume_hint(exc) from None


def _with_resume_hint(exc: ScannerError) -> ScannerError:
    exc.message += " (add --resume to continue this batch)"
    exc.args = (exc.message,)
    return exc


def _new_batch_dir(settings: Settings, case: CaseNumber) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%S")
    root = settings.work_dir / "scan" / case.key
    batch = root / stamp
    counter = 1
    while batch.exists():
        batch = root / f"{stamp}-{counter}"
        counter += 1
    batch.mkdir(parents=True)
    return batch


def _resumable(settings: Settings, case: CaseNumber) -> tuple[Path, dict[str, Any]]:
    """The case's newest batch that was interrupted, or scanned but never stored."""
    root = settings.work_dir / "scan" / case.key
    for batch in sorted(root.iterdir(), reverse=True) if root.exists() else []:
        state_file = batch / "state.json"
        if state_file.exists():
            state = json.loads(state_file.read_text(encoding="utf-8"))
            if state["status"] in ("interrupted", "scanned"):
                return batch, state
    raise NotFoundError(f"case {case}: no unfinished batch to resume")
