"""The signed volume PDFs a version of a case consists of: its own, and those earlier archive acts sealed.

Archiving (pipeline/archive.py) seals a version's volumes.  Material that comes
later is bound into new volumes, and every later manifest keeps the sealed ones
beside them under a role naming the archived version they were kept from:
``sealed_dossier_v2`` and ``sealed_dossier_secondary_v2`` for the 正卷 and 副卷
archived as version 2.  A case archived, continued and archived again thus
keeps each act's volumes under roles of their own, so renewal (which replaces
volumes by role), ``verify --case`` and the reader tell them apart.

A kept volume's documents and catalogue stay in the archived version's
manifest; the later manifest holds its newest bytes (renewal appends
timestamps).  The reader, ``verify --case`` and ``archive renew`` all list a
case's volumes with ``case_volumes``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from edossier.bind.volumes import VOLUMES, Volume, volume_role
from edossier.storage.manifest import Manifest, ManifestEntry

SEALED = "sealed_"
_KEPT = re.compile(r"sealed_(dossier(?:_[a-z]+)?)(?:_v([0-9]+))?")
"""A kept volume's role; manifests written before archive acts were numbered lack the ``_v<version>``."""
_ROLE_VOLUMES: dict[str, Volume] = {volume_role(v): v for v in VOLUMES}


def archived_record(manifest: Manifest) -> dict[str, Any] | None:
    """The archiving record of a version (its own volumes are the sealed ones), None when it holds none."""
    value = manifest.provenance.get("archived")
    return value if isinstance(value, dict) else None


def sealed_role(role: str, archived_version: int) -> str:
    """The role under which later versions keep volume ROLE of the archived version ARCHIVED_VERSION."""
    return f"{SEALED}{role}_v{archived_version}"


@dataclass(frozen=True)
class CaseVolume:
    """One signed volume PDF listed in a manifest."""

    role: str
    volume: Volume
    entry: ManifestEntry
    catalogued_in: int
    """The version whose manifest holds the volume's documents and catalogue (for a kept volume, the archived one)."""
    archived: bool
    """Sealed by archiving: never grown again, only renewed."""

    @property
    def kept(self) -> bool:
        """Sealed by an earlier archive act and kept beside this version's own volumes."""
        return self.role.startswith(SEALED)

    @property
    def id(self) -> str:
        """How the reader names it: ``main``/``secondary`` for a version's own volumes, ``main-v2`` for a kept one."""
        return f"{self.volume}-v{self.catalogued_in}" if self.kept else self.volume


def case_volumes(manifest: Manifest) -> list[CaseVolume]:
    """MANIFEST's volume PDFs: its own (正卷 before 副卷), then the kept sealed ones, oldest archive act first."""
    archived = archived_record(manifest) is not None
    own: list[CaseVolume] = []
    kept: list[CaseVolume] = []
    for entry in manifest.objects:
        if entry.role in _ROLE_VOLUMES:
            own.append(CaseVolume(entry.role, _ROLE_VOLUMES[entry.role], entry, manifest.version, archived))
        elif found := _KEPT.fullmatch(entry.role):
            version = int(found[2] or manifest.provenance["continues_archived_version"])
            kept.append(CaseVolume(entry.role, _ROLE_VOLUMES[found[1]], entry, version, True))
    kept.sort(key=lambda v: (v.catalogued_in, VOLUMES.index(v.volume)))
    return sorted(own, key=lambda v: VOLUMES.index(v.volume)) + kept


def volume_of_id(volume_id: str) -> str:
    """The volume (``main``, ``secondary``) a reader's volume name stands for: who may read it follows from this."""
    return volume_id.partition("-")[0]
