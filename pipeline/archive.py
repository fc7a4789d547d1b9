"""``edossier archive``: close a case into the archive, and keep archived dossiers provable.

Archiving takes the case's final version, seals every volume at PAdES B-LTA
(an archive timestamp appended as an incremental update: the bytes before it
and every earlier signature stay as they were), runs the 四性检测 on the sealed
files, publishes them as the next version marked archived, records the act in
the audit trail and writes the handover package (storage/handover.py).  Any
failing check stops it before anything is published, with the report.

``renew`` walks the archived cases and stamps again every volume whose newest
timestamp certificate expires within the margin, so the chain of timestamps
never lapses; where nothing is due it does nothing, so cron may run it daily.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader

from edossier.bind.archival_checks import CheckItem, check_dossier_pdf
from edossier.bind.ltv import add_archive_timestamp, newest_timestamp_expiry
from edossier.bind.volumes import volume_file_name, volume_of_file
from edossier.casenumber import CaseNumber
from edossier.config import Settings
from edossier.errors import (
    ArchiveCheckError,
    ConfigurationError,
    EdossierError,
    ImmutableObjectError,
    NotFoundError,
    NotPermittedError,
)
from edossier.ingest.active_content import sanitize_pdf
from edossier.pipeline.audit_trail import audit_head, record
from edossier.pipeline.case_hold import holding_case
from edossier.pipeline.case_volumes import CaseVolume, archived_record, case_volumes
from edossier.pipeline.process import publish_version, trust_roots, volume_key
from edossier.storage import Store, open_store
from edossier.storage.fixity import check_case
from edossier.storage.handover import ArchivalMetadata, archival_code, report_passed, write_handover, write_report
from edossier.storage.manifest import Manifest, list_cases, publish, read_manifest
from edossier.types import Document, DocumentEntry, sha256_file
from edossier.web.accounts import open_accounts
from edossier.web.submission_queue import CaseBusy

ARCHIVIST = "archivist"


def require_archivist(settings: Settings) -> None:
    """Archiving is an archivist's act: the configured user must hold that role in the accounts."""
    try:
        user = open_accounts(settings).user(settings.user)
    except NotFoundError:
        raise NotPermittedError(f"user {settings.user}: no account; archiving needs the {ARCHIVIST} role") from None
    if user.role != ARCHIVIST:
        raise NotPermittedError(f"user {settings.user} is a {user.role}; archiving needs the {ARCHIVIST} role")


def archive_case(
    case_text: str,
    settings: Settings,
    target: Path,
    *,
    store: Store | None = None,
    fonds: str | None = None,
    retention: str | None = None,
    classification: str | None = None,
) -> dict[str, Any]:
    """Seal CASE's latest version at B-LTA, check it, publish it archived and write the handover bag to TARGET.

    The case is held in the reader's submission queue from reading its latest
    version to publishing the archived one (``case_hold``): refused while the
    reader publishes one, so no submission is bound beside the sealed version.
    """
    require_archivist(settings)
    case = CaseNumber.parse(case_text)
    store = store or open_store(settings.store_uri, settings.storage)
    with holding_case(settings, case.normalized, "archiving"):
        version, metadata, report = _seal(case, settings, target, store, fonds, retention, classification)
    write_handover(store, case, target, metadata, report)
    return {"case": case.normalized, "version": version, "package": str(target), "archival_code":
            metadata.archival_code, "items": metadata.items, "pages": metadata.pages, "report": report}


def _seal(
    case: CaseNumber,
    settings: Settings,
    target: Path,
    store: Store,
    fonds: str | None,
    retention: str | None,
    classification: str | None,
) -> tuple[int, ArchivalMetadata, list[dict[str, Any]]]:
    """Seal, check and publish the archived version, audited: its number, archival metadata and 四性检测 report."""
    manifest = read_manifest(store, case)
    if archived_record(manifest):
        raise ImmutableObjectError(f"case {case}: already archived (version {manifest.version})")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ConfigurationError(f"{target}: exists and is not an empty folder")
    tsa = _archive_tsa(settings)
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.work_dir) as tmp:
        sealed = {}
        own = [v for v in case_volumes(manifest) if not v.kept]  # kept ones were sealed by an earlier act
        for volume, local in _fetch_volumes(store, own, Path(tmp)):
            out = Path(tmp) / "sealed" / local.name
            out.parent.mkdir(exist_ok=True)
            add_archive_timestamp(local, out, tsa, trust_roots(settings))
            sealed[volume.role] = out
        metadata = _metadata(case, manifest, settings, sealed, fonds, retention, classification)
        items = four_property_checks(store, case, manifest, sealed, settings, Path(tmp))
        missing = [name for name, value in metadata.bag_info().items() if not str(value).strip()]
        items.append(CheckItem("integrity", "著录项 archival metadata (全宗号, 档号, 年度, 保管期限, 密级, 件数, 页数)",
                               not missing, f"missing: {', '.join(missing)}" if missing else metadata.archival_code))
        report = [item.as_dict() for item in items]
        if not report_passed(report):
            written = write_report(target, case.normalized, report)
            failed = "; ".join(f"{i.volume} {i.item}: {i.detail}".strip() for i in items if not i.passed)
            raise ArchiveCheckError(f"case {case}: 四性检测 failed, not archived: {failed} (report: {written[1]})")
        version = manifest.version + 1
        origin = {**manifest.provenance, "audit_head": audit_head(store),
                  "archived": {**metadata.__dict__, "sealed_version": manifest.version}}
        documents = [Document.model_validate(d) for d in manifest.documents]
        entries = [DocumentEntry.model_validate(e) for e in manifest.catalogue]
        publish_version(store, case, version, documents, [], list(sealed.values()), entries, origin,
                        jobs=settings.storage.jobs)
    published = read_manifest(store, case, version)
    objects = {o.role: o.sha256 for o in published.objects if o.role.startswith("dossier")}
    record(store, settings.user, "archive", case.normalized, objects,
           {"version": version, "archival_code": metadata.archival_code, "four_properties": "passed"})
    return version, metadata, report


def four_property_checks(
    store: Store, case: CaseNumber, manifest: Manifest, pdfs: dict[str, Path], settings: Settings, work: Path
) -> list[CheckItem]:
    """Every 四性检测 item: the PDF-level ones per volume, active content, fixity, access rules."""
    items: list[CheckItem] = []
    documents = [Document.model_validate(d) for d in manifest.documents]
    entries = [DocumentEntry.model_validate(e) for e in manifest.catalogue]
    recorded = manifest.provenance.get("volume_pages", {})
    for role, pdf in pdfs.items():
        volume = volume_of_file(pdf.name)
        own = [e for e in entries if e.volume == volume]
        pages = [len(d.pages) for d in documents if d.volume == volume]
        items += check_dossier_pdf(pdf, volume, trust_roots(settings), own, recorded.get(volume), pages)
        try:
            active = sanitize_pdf(pdf, work / f"sanitized-{role}.pdf")
        except EdossierError as exc:  # encrypted or unreadable: a failed item, not a crash
            active = [str(exc)]
        items.append(CheckItem("security", "可执行内容 active content (JavaScript, launch actions, attachments)",
                               not active, ", ".join(active) or "none", volume))
    fixity = check_case(store, case)
    items.append(CheckItem("integrity", "固定性 fixity of every stored object", fixity.ok,
                           "; ".join(f"{p.key}: {p.problem}" for p in fixity.problems)
                           or f"{fixity.objects_checked} objects re-hashed, versions {fixity.versions}"))
    rules = settings.archive
    recorded_rules = bool(rules.access.strip() and rules.classification.strip())
    items.append(CheckItem("security", "访问规则 access rules recorded", recorded_rules,
                           f"密级 {rules.classification}; {rules.access}" if recorded_rules else "none configured"))
    return items


def renew_archives(
    settings: Settings,
    *,
    store: Store | None = None,
    margin_days: int | None = None,
    now: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Stamp again every sealed volume whose newest timestamp certificate expires within the margin.

    Sealed volumes are those of an archived version and, once later material
    started new volumes, those every later version keeps, one set per archive
    act (``pipeline/case_volumes.py``).  NOW is the moment judged (the real clock by default;
    tests move it with the test PKI's time travel).  Returns what was renewed;
    empty when nothing was due.  Each archived case is held in the reader's
    submission queue while it is looked at and renewed (``case_hold``); one the
    reader is publishing just then is left for the next run, as a row with ``busy`` (why).
    """
    store = store or open_store(settings.store_uri, settings.storage)
    margin = dt.timedelta(days=margin_days if margin_days is not None else settings.archive.renew_margin_days)
    moment = now or dt.datetime.now(dt.timezone.utc)
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    renewed = []
    for key in list_cases(store):
        case = CaseNumber.parse(key)
        if not any(v.archived for v in case_volumes(read_manifest(store, case))):
            continue  # never archived: nothing to renew, and no reason to hold up its submissions
        try:
            with holding_case(settings, case.normalized, "archiving"):
                row = _renew(store, case, settings, margin, moment, now)
        except CaseBusy as busy:
            renewed.append({"case": case.normalized, "busy": str(busy)})
            continue
        if row is not None:
            renewed.append(row)
    return renewed


def _renew(
    store: Store, case: CaseNumber, settings: Settings, margin: dt.timedelta, moment: dt.datetime,
    now: dt.datetime | None,
) -> dict[str, Any] | None:
    """Renew CASE's sealed volumes due by MOMENT + MARGIN as its next version, audited; None when none is due."""
    manifest = read_manifest(store, case)
    with tempfile.TemporaryDirectory(dir=settings.work_dir) as tmp:
        sealed = [v for v in case_volumes(manifest) if v.archived]
        due = {v.role: pdf for v, pdf in _fetch_volumes(store, sealed, Path(tmp)) if _expiry(pdf) <= moment + margin}
        if not due:
            return None
        version = manifest.version + 1
        objects, until = [], {}
        for role, pdf in due.items():
            out = Path(tmp) / "renewed" / role / pdf.name
            out.parent.mkdir(parents=True)
            add_archive_timestamp(pdf, out, _archive_tsa(settings), trust_roots(settings), renewal=True,
                                  moment=now)
            objects.append((volume_key(case, version, role, sha256_file(out)), out, role))
            until[role] = _expiry(out).isoformat()
        renewal = {"at": moment.isoformat(), "volumes": sorted(due), "provable_until": until}
        origin = {**manifest.provenance, "audit_head": audit_head(store),
                  "archive_renewals": [*manifest.provenance.get("archive_renewals", []), renewal]}
        publish(store, case, version, objects, origin, manifest.documents, manifest.catalogue,
                inherited=[e for e in manifest.objects if e.role not in due], jobs=settings.storage.jobs)
    record(store, settings.user, "archive-renew", case.normalized, {}, {"version": version, **renewal})
    return {"case": case.normalized, "version": version, **renewal}


def _archive_tsa(settings: Settings) -> str:
    url = settings.archive.timestamp_url or settings.signing.timestamp_url
    if not url:
        raise ConfigurationError("archiving needs a timestamp authority: set archive.timestamp_url "
                                 "(or signing.timestamp_url)")
    return url


def _fetch_volumes(store: Store, volumes: list[CaseVolume], folder: Path) -> list[tuple[CaseVolume, Path]]:
    """Local copies of VOLUMES, each in a folder of its role, named as publish_version expects a volume's file."""
    fetched = []
    for volume in volumes:
        local = folder / volume.role / volume_file_name(volume.volume)
        local.parent.mkdir(parents=True)
        fetched.append((volume, store.get_file(volume.entry.key, local)))
    return fetched


def _expiry(pdf: Path) -> dt.datetime:
    """When the volume's newest document timestamp stops proving it (the distant past when it has none)."""
    with open(pdf, "rb") as handle:
        expiry = newest_timestamp_expiry(PdfFileReader(handle, strict=False))
    return expiry or dt.datetime.min.replace(tzinfo=dt.timezone.utc)


def _metadata(
    case: CaseNumber,
    manifest: Manifest,
    settings: Settings,
    sealed: dict[str, Path],
    fonds: str | None,
    retention: str | None,
    classification: str | None,
) -> ArchivalMetadata:
    rules = settings.archive
    fonds = fonds if fonds is not None else rules.fonds
    retention = retention or rules.retention
    pages = sum(_pages(pdf) for pdf in sealed.values())
    return ArchivalMetadata(
        fonds=fonds,
        archival_code=archival_code(fonds, case, retention),
        year=str(case.year),
        retention=retention,
        classification=classification or rules.classification,
        items=len(manifest.catalogue),
        pages=pages,
        access=rules.access,
        case=case.normalized,
        archived_by=settings.user,
        archived_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    )


def _pages(pdf: Path) -> int:
    with open(pdf, "rb") as handle:
        return int(PdfFileReader(handle, strict=False).root["/Pages"]["/Count"])
