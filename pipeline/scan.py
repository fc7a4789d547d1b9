"""The filing window: scan a batch (or take a hot-folder file) into a case's dossier.

Pages land in a spool folder under the work folder as they come off the
device, each checked on arrival (cover sheet, blank, double feed).  The batch
is then split at cover sheets, each document is written as one multi-page TIFF
and handed to the normal pipeline (``process_case``) with the type and title
its cover sheet gives.  A jam or a lost device stops the batch with every page
kept in the spool; ``--resume`` continues the same batch from the page named.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edossier.casenumber import CaseNumber
from edossier.config import Settings
from edossier.errors import EdossierError, InputFileError, NotFoundError
from edossier.ingest.batch_split import BatchSplit, PageCheck, inspect_page, split_batch, write_document
from edossier.ingest.pages import open_source, read_pages
from edossier.pipeline.process import Say as Progress, process_case
from edossier.pipeline.steps import Material
from edossier.pipeline.qc_report import write_qc_report
from edossier.scanners.base import Scanner, ScannerError
from edossier.scanners.devices import open_device, scan_request
from edossier.scanners.hot_folder import ClaimedFile, HotFolder
from edossier.storage import Store
from edossier.types import DossierVersion

PageSeen = Callable[[PageCheck], None]


@dataclass(frozen=True)
class BatchResult:
    """One batch's outcome, per case it touched."""

    device: str
    split: BatchSplit
    versions: tuple[DossierVersion, ...]
    report: Path
    batch_dir: Path


def scan_to_case(
    device: str,
    case_text: str,
    settings: Settings,
    *,
    declared_pages: int | None = None,
    resume: bool = False,
    store: Store | None = None,
    progress: Progress | None = None,
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
        with open_device(device, settings.scan) as scanner:
            assert isinstance(scanner, Scanner)
            _scan_pages(scanner, batch_dir, checks, settings, declared_pages, on_page)
    _write_state(batch_dir, device, "scanned", len(checks) + 1, declared_pages)
    return [_file_batch(device, checks, batch_dir, settings, case.normalized, declared_pages, store, progress)]


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
    _write_state(batch_dir, scanner.uri, "interrupted", len(checks) + 1, declared)
    try:
        for page in scanner.scan(scan_request(settings.scan), batch_dir / "pages", first_page=len(checks) + 1):
            checks.append(inspect_page(page.number, page.image, checks[-1] if checks else None, settings.scan))
            _write_state(batch_dir, scanner.uri, "interrupted", page.number + 1, declared)
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


def _file_batch(
    device: str,
    checks: Sequence[PageCheck],
    batch_dir: Path,
    settings: Settings,
    case: str | None,
    declared_pages: int | None,
    store: Store | None,
    progress: Progress | None,
) -> BatchResult:
    """Split CHECKS, store each case's documents, write the QC report.

    CASE, when given, is the only case the batch may touch: a cover sheet for
    another case stops the batch before anything is stored.
    """
    split = split_batch(checks, declared_pages)
    report = batch_dir / "qc.html"
    if not split.documents:
        write_qc_report(report, case or "", device, split, "no pages to store")
        raise InputFileError(batch_dir, "the batch holds no pages to store (only cover sheets)")
    by_case: dict[str, list[Material]] = {}
    for index, doc in enumerate(split.documents, 1):
        doc_case = doc.cover.case if doc.cover else case
        if doc_case is None:
            write_qc_report(report, "", device, split, "refused: no case number")
            raise InputFileError(
                doc.pages[0].image, f"page {doc.pages[0].number} has no cover sheet naming its case; give --case"
            )
        if case is not None and doc_case != case:
            write_qc_report(report, case, device, split, "refused: cover sheet for another case")
            raise InputFileError(
                doc.pages[0].image, f"a cover sheet in this batch is for case {doc_case}, not {case}; nothing was stored"
            )
        tiff = write_document(doc.pages, batch_dir / "documents" / f"扫描件-{index:03d}.tif")
        flags = tuple(doc.page_flags(p) for p in doc.pages)
        by_case.setdefault(doc_case, []).append(
            Material(
                path=tiff,
                declared_type=doc.cover.type if doc.cover else None,
                title=(doc.cover.title or doc.cover.type) if doc.cover else None,
                page_flags=flags,
            )
        )
    versions = tuple(
        process_case(materials, doc_case, settings, store=store, progress=progress)
        for doc_case, materials in by_case.items()
    )
    label = ", ".join(v.case for v in versions)
    write_qc_report(report, label, device, split, "stored", versions[-1].version if len(versions) == 1 else None)
    _write_state(batch_dir, device, "done", split.pages_received + 1, declared_pages)
    return BatchResult(device, split, versions, report, batch_dir)


def drain_folder(
    folder: HotFolder,
    settings: Settings,
    *,
    case_text: str | None = None,
    store: Store | None = None,
    progress: Progress | None = None,
    keep_watching: Callable[[], bool] = lambda: False,
) -> list[BatchResult]:
    """Take files from FOLDER until none is ready (or, while KEEP_WATCHING(), wait for more)."""
    results = []
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
    progress: Progress | None = None,
) -> BatchResult | None:
    """Process one claimed hot-folder file; it ends in done/ or in failed/ with the reason."""
    if progress:
        progress(f"{claim.original_name}: taken{' again after a crash' if claim.recovered else ''}")
    try:
        source = open_source(claim.path, settings.limits)
        batch_dir = settings.work_dir / "folder" / source.sha256[:16]
        pages = list(read_pages(source, settings.work_dir, settings.limits))
        checks: list[PageCheck] = []
        for page in pages:
            if page.image is None:
                raise InputFileError(claim.path, "has born-digital pages; hand it over with `edossier process`")
            checks.append(inspect_page(page.index + 1, page.image, checks[-1] if checks else None, settings.scan))
        result = _file_batch(claim.folder.uri, checks, batch_dir, settings, case_text, None, store, progress)
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


def _write_state(batch_dir: Path, device: str, status: str, next_page: int, declared: int | None) -> None:
    state = {"device": device, "status": status, "next_page": next_page, "declared_pages": declared}
    tmp = batch_dir / ".state.json.part"
    tmp.write_text(json.dumps(state), encoding="utf-8")
    tmp.replace(batch_dir / "state.json")
