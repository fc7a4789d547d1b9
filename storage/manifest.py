"""Version manifests: what a dossier version consists of, proven by hashes, chained.

Publishing writes every object first and the manifest last, so a crash leaves
either the old state or the new one; objects without a manifest are invisible.
Each manifest names the previous manifest's hash, forming a chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from edossier.casenumber import CaseNumber
from edossier.errors import ImmutableObjectError, NotFoundError
from edossier.storage.layout import CASES, MANIFEST, case_prefix, manifest_key
from edossier.storage.store import Store


class ManifestEntry(BaseModel):
    key: str
    sha256: str
    size: int
    role: str


class Manifest(BaseModel):
    case: str
    version: int
    created: str
    objects: list[ManifestEntry]
    provenance: dict[str, Any]
    documents: list[dict[str, Any]]
    catalogue: list[dict[str, Any]]
    previous_manifest_sha256: str | None = None

    @property
    def dossier(self) -> ManifestEntry:
        """The bound, signed PDF of this version."""
        return next(entry for entry in self.objects if entry.role == "dossier")

    def original(self, source_sha256: str) -> ManifestEntry | None:
        """The sealed original file whose SHA-256 is SOURCE_SHA256 (stored under its hash), if this version lists it."""
        return next((o for o in self.objects if o.role == "original" and Path(o.key).stem == source_sha256), None)


def published_versions(store: Store, case: CaseNumber) -> list[int]:
    versions = []
    prefix = f"{case_prefix(case)}/versions/"
    for key in store.list(prefix):
        rest = key[len(prefix) :]
        number, _, name = rest.partition("/")
        if name == MANIFEST and number.isdigit():
            versions.append(int(number))
    return sorted(versions)


def latest_version(store: Store, case: CaseNumber) -> int:
    versions = published_versions(store, case)
    return versions[-1] if versions else 0


def read_manifest(store: Store, case: CaseNumber, version: int | None = None) -> Manifest:
    number = version if version is not None else latest_version(store, case)
    key = manifest_key(case, number)
    if number <= 0 or not store.exists(key):
        which = f"no version {number}" if version is not None else "no dossier"
        raise NotFoundError(f"case {case}: {which} in {store.uri}")
    return Manifest.model_validate_json(store.get_bytes(key))


def list_cases(store: Store) -> list[str]:
    cases = set()
    for key in store.list(f"{CASES}/"):
        parts = key.split("/")
        if len(parts) >= 5 and parts[2] == "versions" and parts[4] == MANIFEST:
            cases.add(parts[1])
    return sorted(cases)


def publish(
    store: Store,
    case: CaseNumber,
    version: int,
    objects: Iterable[tuple[str, Path | bytes, str]],
    provenance: dict[str, Any],
    documents: list[dict[str, Any]],
    catalogue: list[dict[str, Any]],
    *,
    inherited: Iterable[ManifestEntry] = (),
    jobs: int = 4,
) -> Manifest:
    """Seal OBJECTS (key, content, role), JOBS at a time, then the manifest that makes them a version.

    INHERITED are entries of the previous manifest that this version still
    consists of (originals, pages, OCR): listed again so that every manifest
    names all its objects on its own, not re-sealed (fixity checks them).
    Sealing in parallel lets the file system commit several fsyncs at once and
    an S3 server take several uploads; the manifest still comes strictly after all.
    """
    latest = latest_version(store, case)
    if version != latest + 1:
        raise ImmutableObjectError(f"case {case}: cannot publish version {version}; the latest is {latest}")

    def seal(item: tuple[str, Path | bytes, str]) -> ManifestEntry:
        key, content, role = item
        info = store.put_file(key, content) if isinstance(content, Path) else store.put_bytes(key, content)
        return ManifestEntry(key=key, sha256=info.sha256, size=info.size, role=role)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        sealed = list(pool.map(seal, objects))
    fresh_keys = {entry.key for entry in sealed}
    entries = [entry for entry in inherited if entry.key not in fresh_keys] + sealed
    previous = None
    if version > 1:
        previous = hashlib.sha256(store.get_bytes(manifest_key(case, version - 1))).hexdigest()
    manifest = Manifest(
        case=case.normalized,
        version=version,
        created=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        objects=entries,
        provenance=provenance,
        documents=documents,
        catalogue=catalogue,
        previous_manifest_sha256=previous,
    )
    body = json.dumps(manifest.model_dump(mode="json"), ensure_ascii=False, indent=1).encode()
    store.put_bytes(manifest_key(case, version), body)
    return manifest
