"""Filing a scanned batch: split at cover sheets, each case's documents through the in-process runner, QC report.

Shared by the two runners of the filing window, ``scan.py`` (a scanner) and
``watch.py`` (a hot folder): each document is written as one multi-page TIFF and
handed to ``process_case`` with the type and title its cover sheet gives.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from edossier.casenumber import CaseNumber
from edossier.config import Settings
from edossier.errors import InputFileError
from edossier.ingest.batch_split import BatchSplit, PageCheck, split_batch, write_document
from edossier.pipeline.case_hold import holding_case
from edossier.pipeline.process import Say, process_case
from edossier.pipeline.qc_report import unread_pages, write_qc_report
from edossier.pipeline.steps import Material
from edossier.storage import Store, open_store
from edossier.types import DossierVersion, sha256_file


@dataclass(frozen=True)
class BatchResult:
    """One batch's outcome, per case it touched."""

    device: str
    split: BatchSplit | None
    """how the scanned pages were split; None for a born-digital file, filed whole"""
    versions: tuple[DossierVersion, ...]
    report: Path | None
    """the QC report of a scanned batch (a born-digital file has no scanned pages to check)"""
    batch_dir: Path


def file_batch(
    device: str,
    checks: Sequence[PageCheck],
    batch_dir: Path,
    settings: Settings,
    case: str | None,
    declared_pages: int | None,
    store: Store | None,
    progress: Say | None,
    *,
    wait_turn: bool = False,
) -> BatchResult:
    """Split CHECKS, store each case's documents, write the QC report.

    CASE, when given, is the only case the batch may touch: a cover sheet for
    another case stops the batch before anything is stored.  Each case is held
    while its version is published (``case_hold``): refused while the reader
    publishes one, or with WAIT_TURN (a hot folder) waited for.
    """
    split = split_batch(checks, declared_pages)
    report = batch_dir / "qc.html"
    if not split.documents:
        write_qc_report(report, case or "", device, split, "no pages to store")
        raise InputFileError(batch_dir, "the batch holds no pages to store (only cover sheets)")
    by_case: dict[str, list[Material]] = {}
    sources: dict[str, tuple[PageCheck, ...]] = {}  # each document file, by hash, and its batch pages
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
        sources[sha256_file(tiff)] = doc.pages
        flags = tuple(doc.page_flags(p) for p in doc.pages)
        by_case.setdefault(doc_case, []).append(
            Material(
                path=tiff,
                declared_type=doc.cover.type if doc.cover else None,
                title=(doc.cover.title or doc.cover.type) if doc.cover else None,
                page_flags=flags,
            )
        )
    store = store or open_store(settings.store_uri, settings.storage)
    versions = tuple(
        file_into_case(materials, doc_case, settings, store, progress, wait_turn=wait_turn)
        for doc_case, materials in by_case.items()
    )
    label = ", ".join(v.case for v in versions)
    version = versions[-1].version if len(versions) == 1 else None
    write_qc_report(report, label, device, split, "stored", version, unread_pages(store, versions, sources))
    write_state(batch_dir, device, "done", split.pages_received + 1, declared_pages)
    return BatchResult(device, split, versions, report, batch_dir)


def file_into_case(
    materials: Sequence[Material],
    case: str,
    settings: Settings,
    store: Store | None,
    progress: Say | None,
    *,
    wait_turn: bool = False,
) -> DossierVersion:
    """``process_case`` holding CASE in the reader's queue while it runs (refused when busy, or WAIT_TURN)."""
    number = CaseNumber.parse(case).normalized
    with holding_case(settings, number, "filing", wait=(progress or _quiet) if wait_turn else None):
        return process_case(materials, case, settings, store=store, progress=progress)


def _quiet(_line: str) -> None:
    """Nobody to tell (``--json``): a hot folder waits its turn all the same."""


def write_state(batch_dir: Path, device: str, status: str, next_page: int, declared: int | None) -> None:
    """Where a scanned batch stands (interrupted, scanned, done), so ``scan --resume`` can continue it."""
    state = {"device": device, "status": status, "next_page": next_page, "declared_pages": declared}
    tmp = batch_dir / ".state.json.part"
    tmp.write_text(json.dumps(state), encoding="utf-8")
    tmp.replace(batch_dir / "state.json")
