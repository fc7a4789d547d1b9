"""Version manifests: what a dossier version consists of, proven by hashes, chained.

Publishing writes every object first and the manifest last, so a crash leaves
either the old state or the new one; a version directory without a manifest is
invisible.  Each manifest names the previous manifest's hash, forming a chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from edossier.casenumber import CaseNumber
from edossier.errors import NotFoundError
from edossier.storage.layout import CASES, MANIFEST, case_prefix, version_key
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
        """The bound PDF of this version."""
        return next(entry for entry in self.objects if entry.role == "dossier")


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
    key = version_key(case, number, MANIFEST)
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
) -> Manifest:
    """Seal OBJECTS (key, content, role), then the manifest that makes them a version."""
    entries = []
    for key, content, role in objects:
        info = store.put_file(key, content) if isinstance(content, Path) else store.put_bytes(key, content)
        entries.append(ManifestEntry(key=key, sha256=info.sha256, size=info.size, role=role))
    previous = None
    if version > 1:
        previous = hashlib.sha256(store.get_bytes(version_key(case, version - 1, MANIFEST))).hexdigest()
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
    store.put_bytes(version_key(case, version, MANIFEST), body)
    return manifest
