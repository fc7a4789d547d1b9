"""``verify --case``: a stored dossier checked end to end.

Each volume the latest version lists (``case_volumes``: its own and those sealed
by earlier archive acts, kept beside them): every signature (bind.verify).
Every version: its manifest's objects still have the hashes it recorded, the
manifests chain, and each volume's PDF starts with its bytes in the previous
version (a dossier only grows; nothing earlier is rewritten), a sealed volume
too once kept under its new role.  The one exception is declared in the chained
manifest: a 正卷 bound anew because a paper left it for the 副卷 (its provenance
``rebound``); the earlier versions stay, unchanged, in the store.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from pathlib import Path
from typing import Any

from edossier.bind.verify import verify_pdf
from edossier.bind.volumes import volume_role
from edossier.casenumber import CaseNumber
from edossier.pipeline.case_volumes import SEALED, case_volumes, sealed_role
from edossier.storage import Store
from edossier.storage.layout import MANIFEST, version_key
from edossier.storage.manifest import published_versions, read_manifest


def verify_case(
    store: Store, case: CaseNumber, trust_roots: list[Path], at: dt.datetime | None = None
) -> dict[str, Any]:
    problems: list[str] = []
    latest = read_manifest(store, case)  # a case with no published version is "not found", not "invalid"
    versions = published_versions(store, case)
    previous_manifest: str | None = None
    previous_pdfs: dict[str, bytes] = {}
    volumes: dict[str, object] = {}
    for number in versions:
        manifest = read_manifest(store, case, number)
        body = store.get_bytes(version_key(case, number, MANIFEST))
        if manifest.previous_manifest_sha256 != previous_manifest:
            problems.append(f"v{number}: manifest does not chain to v{number - 1}")
        previous_manifest = hashlib.sha256(body).hexdigest()
        if manifest.provenance.get("continues_archived_version") == number - 1:
            # the archived version's volumes are kept under sealed roles; new volumes start from nothing
            previous_pdfs = {role if role.startswith(SEALED) else sealed_role(role, number - 1): data
                             for role, data in previous_pdfs.items()}
        pdfs = {v.entry.key: v.role for v in case_volumes(manifest)}
        # a 正卷 bound anew when a paper left it for the 副卷 (pipeline/recatalogue.py) starts from nothing
        rebound = {volume_role(v) for v in manifest.provenance.get("rebound", {})}
        current: dict[str, bytes] = {}
        for entry in manifest.objects:
            data = store.get_bytes(entry.key)
            if hashlib.sha256(data).hexdigest() != entry.sha256:
                problems.append(f"v{number}: {entry.key} differs from the hash in its manifest")
            if entry.key in pdfs:
                before = previous_pdfs.get(entry.role)
                if before is not None and entry.role not in rebound and not data.startswith(before):
                    problems.append(f"v{number}: {entry.key} does not extend the previous version's bytes")
                current[entry.role] = data
        previous_pdfs, latest = current, manifest
    with tempfile.TemporaryDirectory() as tmp:
        for volume in case_volumes(latest):
            local = Path(tmp) / f"{volume.role}.pdf"
            local.write_bytes(previous_pdfs[volume.role])
            report = verify_pdf(local, trust_roots, at=at)
            volumes[volume.role] = report.as_dict()
            if not report.valid:
                problems.append(f"{volume.role}: signatures do not verify")
    return {
        "case": case.normalized,
        "versions": versions,
        "valid": not problems,
        "volumes": volumes,
        "problems": problems,
    }
