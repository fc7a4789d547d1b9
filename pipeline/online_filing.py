"""A case filed online (网上立案) becomes a case: its first dossier version, bound from the filing's materials.

The materials go through ``process_case`` like any scan or upload; what the
court stated when registering the case (案由, 当事人, 收案日期, court) fills the
cover.  A filing opens a new case: a case number that already holds a dossier
is refused, unless that dossier is this filing's own (a rerun after a crash
between publishing and recording the acceptance finds its work done).
"""

from __future__ import annotations

from collections.abc import Sequence

from edossier.bind.assemble import CoverFacts
from edossier.casenumber import CaseNumber
from edossier.config import Settings
from edossier.errors import ImmutableObjectError
from edossier.pipeline.process import Material, process_case
from edossier.storage import Store, open_store
from edossier.storage.manifest import latest_version, read_manifest
from edossier.types import DossierVersion, sha256_file


def check_new_case(store: Store, case: CaseNumber, materials: Sequence[Material]) -> None:
    """Refuse a case number that already has a dossier other than one bound from MATERIALS."""
    if not latest_version(store, case):
        return
    held = {d.get("source_sha256") for d in read_manifest(store, case, 1).documents}
    if not {sha256_file(m.path) for m in materials} <= held:
        raise ImmutableObjectError(f"case {case}: already has a dossier; an online filing opens a new case")


def bind_filing(
    materials: Sequence[Material],
    case_text: str,
    cover: CoverFacts,
    settings: Settings,
    *,
    store: Store | None = None,
) -> DossierVersion:
    """Bind, sign and publish version 1 of CASE_TEXT from MATERIALS, with COVER on its cover."""
    case = CaseNumber.parse(case_text)
    store = store or open_store(settings.store_uri, settings.storage)
    check_new_case(store, case, materials)
    return process_case(materials, case.normalized, settings, store=store, cover=cover)
