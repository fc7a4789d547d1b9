"""Forms the court's system fills in itself (送达回证, 审批表) enter the dossier as a new signed version.

A form is rendered once and kept where its caller keeps its record, so a rerun
after a crash binds the same bytes (publishing is idempotent by content hash)
instead of a second, slightly different form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

from edossier.config import Settings
from edossier.pipeline.process import Material, process_case
from edossier.storage import Store
from edossier.types import DossierVersion

COURT_TIME = dt.timezone(dt.timedelta(hours=8), "CST")
"""Times on the court's forms are China Standard Time, as on paper."""


def court_time(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, COURT_TIME).replace(microsecond=0)


def publish_form(
    render: Callable[[Path], Path],
    kept: Path,
    doc_type: str,
    title: str,
    case: str,
    settings: Settings,
    *,
    before: Sequence[Material] = (),
    store: Store | None = None,
) -> DossierVersion:
    """Render the form to KEPT with RENDER (unless already there); publish BEFORE, then it, as CASE's next version."""
    if not kept.exists():
        part = kept.with_name(kept.name + ".part")
        render(part)
        part.replace(kept)
    materials = [*before, Material(path=kept, declared_type=doc_type, title=title)]
    return process_case(materials, case, settings, store=store)
