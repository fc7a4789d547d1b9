"""Route of 在线审批: a judge approves (e.g. an extension of the trial period) in the reader.

The answer comes once the 审批表 is bound and signed into the case's 副卷 (a
few seconds: one born-digital page), with the version that holds it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from edossier.bind.approval_record import DECISIONS
from edossier.web.app import Ready
from edossier.web.filings import Desk

router = APIRouter(tags=["approval"])


class Approval(BaseModel):
    subject: str = Field(min_length=1, max_length=80, description="审批事项, e.g. 延长审理期限")
    request: str = Field(min_length=1, max_length=1000, description="申请事由")
    decision: str = Field(description=f"one of: {', '.join(DECISIONS)}")
    opinion: str = Field(default="", max_length=1000, description="审批意见")


@router.post("/api/cases/{case}/approvals", status_code=201,
             summary="Record a judge's approval (在线审批) as a signed 审批表 in the case's 副卷")
def approve(case: str, body: Approval, user: Ready, casework: Desk) -> dict[str, Any]:
    summary = casework.approve(user, case, body.subject, body.request, body.decision, body.opinion)
    return {"case": summary.case, "version": summary.version, "volume": "secondary",
            "subject": body.subject, "decision": body.decision}
