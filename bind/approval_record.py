"""The record of an approval given in the reader (在线审批), e.g. of an extension of the trial period.

The approval itself is the court's internal act, so the record is a 副卷
paper: what was asked, the decision, the approver's opinion, who approved and
when.  It is signed into the dossier like every version, which is what makes it
a record and not a database row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from edossier.bind.court_form import CourtForm, form_time, render_form

DECISIONS = ("同意", "不同意")


@dataclass(frozen=True)
class ApprovalRecord:
    court: str
    case: str
    subject: str
    """审批事项, e.g. 延长审理期限."""
    request: str
    """申请事由: what was asked and why."""
    decision: str
    """同意 or 不同意."""
    opinion: str
    approver: str
    approved: dt.datetime


def approval_lines(record: ApprovalRecord) -> list[tuple[str, str]]:
    return [
        ("案　　号", record.case),
        ("审批事项", record.subject),
        ("申请事由", record.request),
        ("审批结果", record.decision),
        ("审批意见", record.opinion or "（无）"),
        ("审 批 人", record.approver),
        ("审批时间", form_time(record.approved)),
    ]


def render_approval(record: ApprovalRecord, output: Path) -> Path:
    """Write the 审批表 to OUTPUT (a one-page PDF)."""
    notes = (("本表由审批人在电子卷宗阅卷系统中在线审批生成，装订入副卷并签名。", 11.0),)
    return render_form(CourtForm(record.court, "审　批　表", tuple(approval_lines(record)), notes), output)
