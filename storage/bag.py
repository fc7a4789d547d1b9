"""Export a case as a BagIt bag, the form archives accept for transfer.

The payload is every published version's manifest and every object they list,
under the same relative paths as in the store.  bagit computes its own SHA-256
manifest; the bag is then validated and each payload hash is compared with the
store's manifests, so a bag that leaves here is known to match what was sealed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from pathlib import Path

import bagit

from edossier import __version__
from edossier.casenumber import CaseNumber
from edossier.errors import EdossierError, IntegrityError, NotFoundError
from edossier.storage.layout import case_prefix, manifest_key
from edossier.storage.manifest import published_versions, read_manifest
from edossier.storage.store import Store

logging.getLogger("bagit").setLevel(logging.WARNING)


def export_bag(
    store: Store,
    case: CaseNumber,
    target: Path,
    *,
    extra_files: Mapping[str, bytes] | None = None,
    extra_info: Mapping[str, str] | None = None,
) -> bagit.Bag:
    """Write CASE's published versions into a validated bag at TARGET (absent or empty).

    EXTRA_FILES (relative path -> bytes) join the payload beside the store's
    objects, and EXTRA_INFO the bag-info.txt fields: the handover package's
    archival metadata and reports (storage/handover.py).
    """
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise EdossierError(f"{target}: exists and is not an empty folder")
    versions = published_versions(store, case)
    if not versions:
        raise NotFoundError(f"case {case}: no version in {store.uri}")
    prefix = f"{case_prefix(case)}/"
    expected: dict[str, str] = {}
    for number in versions:
        key = manifest_key(case, number)
        expected[key] = store.info(key).sha256  # type: ignore[union-attr]  # a published manifest is sealed: never None
        for entry in read_manifest(store, case, number).objects:
            expected[entry.key] = entry.sha256
    target.mkdir(parents=True, exist_ok=True)
    for key in expected:
        local = target / key[len(prefix) :]
        local.parent.mkdir(parents=True, exist_ok=True)
        store.get_file(key, local)
    for name, data in (extra_files or {}).items():
        local = target / name
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(data)
    bag = bagit.make_bag(
        str(target),
        bag_info={
            "Source-Organization": "edossier",
            "External-Identifier": case.normalized,
            "External-Description": f"电子卷宗 {case.normalized}, versions {', '.join(map(str, versions))}",
            "Bagging-Date": dt.date.today().isoformat(),
            "Bag-Software-Agent": f"edossier {__version__} (bagit {bagit.VERSION})",
            **(extra_info or {}),
        },
        checksums=["sha256"],
    )
    try:
        bag.validate()
    except bagit.BagError as exc:
        raise IntegrityError(f"{target}: the exported bag does not validate: {exc}") from exc
    listed = bag.payload_entries()
    for key, sha256 in expected.items():
        if listed.get(f"data/{key[len(prefix):]}", {}).get("sha256") != sha256:
            raise IntegrityError(f"{target}: the bag's hash of {key} differs from the sealed one")
    return bag
