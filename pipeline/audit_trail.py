"""Recording acts in the audit trail, in one place for every command and worker.

Each act under an account is that person's act: the pipeline records who (the
configured user), what, which case and the hashes of what was produced, after
the act succeeded.  Manifests carry the audit head at publish time, so removing
entries from the end of the chain is caught too (see ``verify_trail``).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from edossier.storage import Store
from edossier.storage.audit import AuditLog
from edossier.storage.manifest import list_cases, published_versions, read_manifest
from edossier.casenumber import CaseNumber


@lru_cache(maxsize=16)
def _log(store: Store) -> AuditLog:
    """One log per store in a process, so it remembers the tail between appends."""
    return AuditLog(store)


def record(
    store: Store,
    user: str,
    action: str,
    case: str | None = None,
    objects: Mapping[str, str] | None = None,
    detail: Mapping[str, object] | None = None,
) -> None:
    _log(store).append(user, action, case, objects, detail)


def audit_head(store: Store) -> dict[str, object]:
    """The last entry's sequence and hash, recorded in each manifest as an anchor."""
    sequence, digest = _log(store).head()
    return {"sequence": sequence, "digest": digest if sequence else ""}


def verify_trail(store: Store) -> list[str]:
    """Chain problems, plus anchors in manifests that the chain no longer holds."""
    log = AuditLog(store)
    problems = log.verify()
    digests = {entry.sequence: entry.digest for entry in log.entries()}
    for key in list_cases(store):
        case = CaseNumber.parse(key)
        for version in published_versions(store, case):
            anchor = read_manifest(store, case, version).provenance.get("audit_head")
            if not isinstance(anchor, dict) or not anchor.get("sequence"):
                continue
            if digests.get(int(anchor["sequence"])) != anchor.get("digest"):
                problems.append(
                    f"{key} version {version}: audit entry {anchor['sequence']} recorded at publishing "
                    "is missing or altered"
                )
    return problems
