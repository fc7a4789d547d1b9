"""``verify --case``: a stored dossier checked end to end.

Each volume's latest PDF: every signature (bind.verify); volumes sealed by
archiving and kept beside later ones (``sealed_*``) too.  Every version: its
manifest's objects still have the hashes it recorded, the manifests chain, and
each version's PDF starts with the previous version's bytes (a dossier only
grows; nothing earlier is rewritten).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from pathlib import Path
from typing import Any

from edossier.bind.verify import verify_pdf
from edossier.casenumber import CaseNumber
from edossier.storage import Store
from edossier.storage.layout import MANIFEST, version_key
from edossier.storage.manifest import published_versions, read_manifest


def verify_case(
    store: Store, case: CaseNumber, trust_roots: list[Path], at: dt.datetime | None = None
) -> dict[str, Any]:
    problems: list[str] = []
    read_manifest(store, case)  # a case with no published version is "not found", not "invalid"
    versions = published_versions(store, case)
    previous_manifest: str | None = None
    previous_pdfs: dict[str, bytes] = {}
    volumes: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for number in versions:
            manifest = read_manifest(store, case, number)
            body = store.get_bytes(version_key(case, number, MANIFEST))
            if manifest.previous_manifest_sha256 != previous_manifest:
                problems.append(f"v{number}: manifest does not chain to v{number - 1}")
            previous_manifest = hashlib.sha256(body).hexdigest()
            if manifest.provenance.get("continues_archived_version"):
                # the archived volumes are now kept as sealed_*; new volumes start from nothing
                previous_pdfs = {f"sealed_{role}": data for role, data in previous_pdfs.items()
                                 if not role.startswith("sealed_")}
            for entry in manifest.objects:
                digest = hashlib.sha256(store.get_bytes(entry.key)).hexdigest()
                if digest != entry.sha256:
                    problems.append(f"v{number}: {entry.key} differs from the hash in its manifest")
                if entry.role.startswith(("dossier", "sealed_dossier")):
                    data = store.get_bytes(entry.key)
                    before = previous_pdfs.get(entry.role)
                    if before is not None and not data.startswith(before):
                        problems.append(f"v{number}: {entry.key} does not extend the previous version's bytes")
                    previous_pdfs[entry.role] = data
        for role, data in previous_pdfs.items():
            local = Path(tmp) / f"{role}.pdf"
            local.write_bytes(data)
            report = verify_pdf(local, trust_roots, at=at)
            volumes[role] = report.as_dict()
            if not report.valid:
                problems.append(f"{role}: signatures do not verify")
    return {
        "case": case.normalized,
        "versions": versions,
        "valid": not problems,
        "volumes": volumes,
        "problems": problems,
    }
