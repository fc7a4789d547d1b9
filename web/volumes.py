"""A stored dossier version seen as its two volumes: 正卷 (main) and 副卷 (secondary).

Each volume has its own PDF, catalogue and page numbers, so that what a lawyer
receives contains no byte of the 副卷.  A version whose manifest carries a PDF per
volume (role ``dossier_main`` / ``dossier_secondary``) is served as stored; one
bound as a single PDF is served whole when every document is in the asked volume,
and otherwise as an extract of that volume's pages, marked as such in the badge.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pymupdf

from edossier.casenumber import CaseNumber
from edossier.errors import IntegrityError, NotFoundError
from edossier.storage.layout import MANIFEST, version_key
from edossier.storage.manifest import Manifest
from edossier.storage.store import Store
from edossier.types import Document

VOLUMES = ("main", "secondary")
VOLUME_NAMES = {"main": "正卷", "secondary": "副卷"}


@dataclass(frozen=True)
class VolumeDocument:
    title: str
    type: str
    first_page: int
    last_page: int
    needs_review: bool
    bound_first_page: int
    """Where the document starts in the version's bound PDF (differs from first_page in an extract)."""


@dataclass(frozen=True)
class PageText:
    page: int
    document: int
    text: str


@dataclass(frozen=True)
class Volume:
    case: str
    version: int
    name: str
    documents: tuple[VolumeDocument, ...]
    pages: tuple[PageText, ...] = field(repr=False)
    source_key: str
    source_sha256: str
    extract: bool
    """True when this volume's PDF is cut from a single bound PDF holding both volumes."""

    @property
    def page_count(self) -> int:
        return len(self.pages)


def volume_of(manifest: Manifest, name: str) -> Volume:
    """The documents and page texts of volume NAME in MANIFEST, numbered within the volume."""
    if name not in VOLUMES:
        raise NotFoundError(f"no volume {name!r}")
    own = _object(manifest, f"dossier_{name}")
    whole = _object(manifest, "dossier")
    docs: list[VolumeDocument] = []
    pages: list[PageText] = []
    in_volume = 0
    for record, entry in zip(manifest.documents, manifest.catalogue, strict=True):
        if record.get("volume", "main") != name:
            continue
        doc = Document.model_validate(record)
        ocr = doc.ocr or (None,) * len(doc.pages)
        first = len(pages) + 1
        for page, result in zip(doc.pages, ocr, strict=True):
            pages.append(PageText(page=len(pages) + 1, document=len(docs), text=result.text if result else page.text))
        docs.append(
            VolumeDocument(
                title=entry["title"],
                type=entry["type"],
                first_page=first,
                last_page=len(pages),
                needs_review=bool(entry.get("needs_review")),
                bound_first_page=int(entry["first_page"]),
            )
        )
        in_volume += 1
    if not docs:
        raise NotFoundError(f"case {manifest.case} version {manifest.version}: no {VOLUME_NAMES[name]} documents")
    source = own or whole
    if source is None:
        raise IntegrityError(f"case {manifest.case} version {manifest.version}: manifest names no dossier PDF")
    extract = own is None and in_volume != len(manifest.documents)
    return Volume(
        case=manifest.case,
        version=manifest.version,
        name=name,
        documents=tuple(docs),
        pages=tuple(pages),
        source_key=source.key,
        source_sha256=source.sha256,
        extract=extract,
    )


def volume_names(manifest: Manifest) -> list[str]:
    present = {record.get("volume", "main") for record in manifest.documents}
    return [name for name in VOLUMES if name in present]


def volume_pdf(store: Store, volume: Volume, cache: Path) -> Path:
    """A local file holding exactly this volume's PDF; stored bytes are checked against the manifest."""
    case = CaseNumber.parse(volume.case)
    folder = cache / case.key / f"{volume.version:06d}"
    target = folder / (f"{volume.name}.pdf" if volume.extract else Path(volume.source_key).name)
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    source = fetch_checked(store, volume.source_key, volume.source_sha256, folder)
    if not volume.extract:
        return source
    ranges = [(d.bound_first_page, d.bound_first_page + d.last_page - d.first_page) for d in volume.documents]
    with pymupdf.open(source) as whole, pymupdf.open() as part:
        for first, last in ranges:
            part.insert_pdf(whole, from_page=first - 1, to_page=last - 1)
        part.set_metadata({**whole.metadata, "title": f"{whole.metadata.get('title', '')} {VOLUME_NAMES[volume.name]}"})
        _atomic_save(lambda tmp: part.save(tmp, garbage=3, deflate=True), target)
    return target


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


def _object(manifest: Manifest, role: str):  # type: ignore[no-untyped-def]
    return next((o for o in manifest.objects if o.role == role), None)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _atomic_save(save, target: Path) -> None:  # type: ignore[no-untyped-def]
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    save(tmp)
    os.replace(tmp, target)
