"""在线审批: an approval given in the reader is bound into the case's 副卷 as a signed 审批表."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from edossier.bind.approval_record import ApprovalRecord, render_approval
from edossier.config import Settings
from edossier.pipeline.court_forms import publish_form
from edossier.storage import Store
from edossier.types import DossierVersion

APPROVAL_TYPE = "审批表"
"""A 副卷 type (classify/doctypes.toml): parties never read it."""


def bind_approval(record: ApprovalRecord, kept: Path, settings: Settings, *, store: Store | None = None) -> DossierVersion:
    """Publish RECORD (rendered to KEPT once) as the case's next version, in its 副卷."""
    title = f"审批表（{record.subject}，{record.decision}）"
    return publish_form(partial(render_approval, record), kept, APPROVAL_TYPE, title, record.case, settings,
                        store=store)
