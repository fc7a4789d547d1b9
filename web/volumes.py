"""A stored dossier version seen as its two volumes: 正卷 (main) and 副卷 (secondary).

Each volume is its own signed PDF in the store (``bind/volumes.py``), so what a
lawyer receives contains no byte of the 副卷, and what the reader shows, the
trust badge checks and 下载 hands out are the same stored, signed bytes.  Pages
are numbered as the binding printed them (the catalogue entries of the manifest
hold each document's pages in its volume PDF), so the catalogue, search hits,
highlights and the viewer all name the page a judge sees stamped on the sheet.

A version also shows the volumes earlier archive acts sealed and it keeps
beside its own (``pipeline/case_volumes.py``), marked 已归档 with their archive
date: catalogued as their archived version recorded them, served as the
newest bytes the later version holds (renewed timestamps included).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from edossier.bind.volumes import VOLUME_NAMES, VOLUMES, volume_role
from edossier.casenumber import CaseNumber
from edossier.errors import IntegrityError, NotFoundError
from edossier.pipeline.case_volumes import archived_record, case_volumes
from edossier.storage.layout import MANIFEST, version_key
from edossier.storage.manifest import Manifest, published_versions, read_manifest
from edossier.storage.store import Store
from edossier.types import Document, DocumentEntry, needs_review

__all__ = ["VOLUMES", "VOLUME_NAMES", "Volume", "case_volume", "fetch_checked", "fixity", "volume_names", "volume_of",
           "volume_pdf", "withheld_from_parties"]


@dataclass(frozen=True)
class VolumeDocument:
    title: str
    type: str
    first_page: int
    """The document's first page in its volume PDF: also the number printed on it."""
    last_page: int
    needs_review: bool
    """待复核: the type is unsure, or where the document starts (``edossier.types.needs_review``)."""
    number: int = 0
    """1-based position in the version's whole catalogue (正卷 first): how a correction names the document."""
    boundary_confidence: float | None = None
    moved_to: str | None = None
    """a clerk moved the paper to that volume; this row records where its pages stay bound (副卷)."""


@dataclass(frozen=True)
class PageText:
    page: int
    """The page in the volume PDF (the printed number)."""
    document: int
    text: str


@dataclass(frozen=True)
class Volume:
    case: str
    version: int
    name: str
    documents: tuple[VolumeDocument, ...]
    pages: tuple[PageText, ...] = field(repr=False)
    """The documents' pages with their text (cover, catalogues and closing sheets have no entry)."""
    page_count: int
    """Every page of the volume PDF, front matter and closing sheets included."""
    source_key: str
    source_sha256: str
    id: str
    """How the reader names it in this version: ``main``, ``secondary``, or ``main-v2`` for one kept sealed."""
    label: str
    """What the judge reads: 正卷, 副卷, or 正卷（第2版归档） for one kept sealed."""
    archived_at: str | None
    """When archiving sealed it (UTC, ISO 8601); None while the volume is open."""


def case_volume(store: Store, manifest: Manifest, volume: str, review_below: float = 0.0) -> Volume:
    """Volume VOLUME (one of ``volume_names``) of MANIFEST; a kept sealed one catalogued by its archived version."""
    kept = next((v for v in case_volumes(manifest) if v.kept and v.id == volume), None)
    if kept is None:
        return volume_of(manifest, volume, review_below)
    archived = read_manifest(store, CaseNumber.parse(manifest.case), kept.catalogued_in)
    return volume_of(archived, kept.volume, review_below, kept_in=manifest)


def volume_of(manifest: Manifest, name: str, review_below: float = 0.0, kept_in: Manifest | None = None) -> Volume:
    """The documents and page texts of volume NAME in MANIFEST, numbered as its signed PDF is.

    A document cataloguing was less sure than REVIEW_BELOW that it starts where it does needs review.
    KEPT_IN: a later version that keeps MANIFEST's sealed volume beside its own;
    the volume is then shown in that version, as the bytes it holds.
    """
    if name not in VOLUMES:
        raise NotFoundError(f"no volume {name!r}")
    numbers = [n for n, r in enumerate(manifest.documents, start=1) if r.get("volume", "main") == name]
    records = [r for r in manifest.documents if r.get("volume", "main") == name]
    entries = [DocumentEntry.model_validate(e) for e in manifest.catalogue if e.get("volume", "main") == name]
    if not records:
        raise NotFoundError(f"case {manifest.case} version {manifest.version}: no {VOLUME_NAMES[name]} documents")
    shown = kept_in or manifest
    source = next((v for v in case_volumes(shown) if v.volume == name and v.catalogued_in == manifest.version), None)
    if source is None or len(entries) != len(records) or _bound_together(manifest):
        # a volume is served only as the signed PDF bound for it, never cut out of another
        raise IntegrityError(
            f"case {manifest.case} version {manifest.version}: no signed {VOLUME_NAMES[name]} PDF in the manifest"
        )
    docs: list[VolumeDocument] = []
    pages: list[PageText] = []
    for number, record, entry in zip(numbers, records, entries, strict=True):
        doc = Document.model_validate(record)
        listed = entry.last_page - entry.first_page + 1
        if listed != len(doc.pages):
            raise IntegrityError(f"case {manifest.case} version {manifest.version}: catalogue of {entry.title!r} "
                                 f"names {listed} pages, the document has {len(doc.pages)}")
        ocr = doc.ocr or (None,) * len(doc.pages)
        for offset, (page, result) in enumerate(zip(doc.pages, ocr, strict=True)):
            pages.append(PageText(entry.first_page + offset, len(docs), result.text if result else page.text))
        docs.append(VolumeDocument(entry.title, entry.type, entry.first_page, entry.last_page,
                                   needs_review(doc, entry, review_below), number, doc.boundary_confidence,
                                   entry.moved_to))
    recorded = manifest.provenance.get("volume_pages", {}).get(name)
    # every addition ends with its closing sheet, so without a record the last one follows the last document
    page_count = int(recorded) if recorded else max(d.last_page for d in docs) + 1
    archived = archived_record(manifest)
    return Volume(
        case=manifest.case,
        version=shown.version,
        name=name,
        documents=tuple(docs),
        pages=tuple(pages),
        page_count=page_count,
        source_key=source.entry.key,
        source_sha256=source.entry.sha256,
        id=source.id,
        label=f"{VOLUME_NAMES[name]}（第{manifest.version}版归档）" if kept_in else VOLUME_NAMES[name],
        archived_at=str(archived["archived_at"]) if archived else None,
    )


def withheld_from_parties(store: Store, case: CaseNumber) -> frozenset[int]:
    """The versions whose own 正卷 holds pages a clerk later moved to the 副卷 (pipeline/recatalogue.py).

    Their PDFs stay in the write-once store and the court reads them; parties and
    their lawyers no longer do, since those pages are the court's own now.
    """
    withheld: set[int] = set()
    for version in published_versions(store, case):
        rebound = read_manifest(store, case, version).provenance.get("rebound", {}).get("main", {})
        withheld.update(int(v) for v in rebound.get("withheld_from_parties", ()))
    return frozenset(withheld)


def volume_names(manifest: Manifest) -> list[str]:
    """The volumes a version shows, as the reader names them: its own, then those it keeps sealed."""
    return [v.id for v in case_volumes(manifest)]


def volume_pdf(store: Store, volume: Volume, cache: Path) -> Path:
    """A local copy of the volume's stored, signed PDF, checked against the manifest's hash.

    The reader, the trust badge and 下载 all use this one file, so the badge
    speaks of the exact bytes a user reads and downloads.
    """
    folder = cache / CaseNumber.parse(volume.case).key / f"{volume.version:06d}"
    return fetch_checked(store, volume.source_key, volume.source_sha256, folder)


def fetch_checked(store: Store, key: str, sha256: str, folder: Path) -> Path:
    """Copy KEY out of the store once; refuse bytes that differ from the manifest's hash."""
    target = folder / Path(key).name
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        local = store.get_file(key, Path(tmp) / "object")
        if _sha256(local) != sha256:
            raise IntegrityError(f"{key}: stored bytes differ from the manifest (fixity failure)")
        os.replace(local, target)
    return target


def fixity(store: Store, manifest: Manifest, key: str, sha256: str, local: Path) -> list[str]:
    """Problems with the stored object and the manifest chain; empty when both hold."""
    problems = []
    info = store.info(key)
    if info is None:
        problems.append(f"{key}: missing from the store")
    elif info.sha256 != sha256:
        problems.append(f"{key}: store records a different hash than the manifest")
    if _sha256(local) != sha256:
        problems.append(f"{key}: bytes differ from the manifest")
    if manifest.version > 1:
        case = CaseNumber.parse(manifest.case)
        previous = hashlib.sha256(store.get_bytes(version_key(case, manifest.version - 1, MANIFEST))).hexdigest()
        if previous != manifest.previous_manifest_sha256:
            problems.append(f"version {manifest.version - 1}: manifest does not match the chain")
    return problems


def _bound_together(manifest: Manifest) -> bool:
    """An early version that bound 副卷 documents into the one ``dossier`` PDF: neither volume can be served alone."""
    secondary = any(r.get("volume", "main") == "secondary" for r in manifest.documents)
    return secondary and all(o.role != volume_role("secondary") for o in manifest.objects)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
