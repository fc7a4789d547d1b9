"""Routes of 网上立案: a lawyer or party files a new case; a clerk reads it and accepts or rejects it.

The filer and court staff see a filing (anyone else gets "not found"); only a
clerk decides.  Acceptance binds the case's first dossier version in the
background, so the answer is 202 and the filing's state goes on from
"accepting" to "accepted" (with its version) or "failed" (with the reason).
"""

from __future__ import annotations

from typing import Annotated, Any

import pymupdf
from fastapi import APIRouter, Depends, FastAPI, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from edossier.web.app import R, Ready
from edossier.web.casework import STATE_NAMES, Casework, CaseworkError, FilingForm
from edossier.web.records import FILING_STATES, Filing
from edossier.web.submission import Upload

router = APIRouter(prefix="/api/filings", tags=["filing"])


def desk(r: R) -> Casework:
    return r.casework


Desk = Annotated[Casework, Depends(desk)]


class Acceptance(BaseModel):
    case: str = Field(max_length=64, description="the new case number (案号) given at registration")


class Rejection(BaseModel):
    reason: str = Field(min_length=1, max_length=1000, description="what the filer must correct (补正)")


def filing_json(filing: Filing) -> dict[str, Any]:
    body = filing.as_dict()
    body["state_name"] = STATE_NAMES[filing.state]
    body["url"] = f"/api/filings/{filing.id}"
    for number, material in enumerate(body["materials"], start=1):
        material["pdf"] = f"/api/filings/{filing.id}/materials/{number}/pdf"
    return body


@router.post("", status_code=201, summary="File a new case online (网上立案); it waits, pending, for a clerk")
def file_case(
    user: Ready, casework: Desk,
    court: Annotated[str, Form(max_length=80, description="受理法院")],
    case_type: Annotated[str, Form(max_length=8, description="案件类型代字, e.g. 民初")],
    cause: Annotated[str, Form(max_length=80, description="案由")],
    claims: Annotated[str, Form(max_length=4000, description="诉讼请求")],
    parties: Annotated[list[str], Form(description="one per party: 诉讼地位：姓名, e.g. 原告：张三")],
    files: Annotated[list[UploadFile], File(description="materials: PDF, PNG, JPEG or TIFF")],
    doc_types: Annotated[list[str] | None, Form(description="declared type per file, in order; empty = classify")] = None,
) -> dict[str, Any]:
    form = FilingForm(court, case_type, cause, tuple(parties), claims)
    uploads = [Upload(f.filename or "upload", f.file) for f in files]
    return filing_json(casework.file(user, form, uploads, doc_types or []))


@router.get("", summary="Filings: a filer's own, or every filing for court staff; ?status= keeps one state")
def list_filings(
    user: Ready, casework: Desk,
    status: Annotated[str | None, Query(description=f"one of: {', '.join(FILING_STATES)}")] = None,
) -> list[dict[str, Any]]:
    if status is not None and status not in FILING_STATES:
        raise CaseworkError(f"未知的状态 {status!r}")
    return [filing_json(f) for f in casework.filings(user, status)]


@router.get("/{filing_id}", summary="One filing with its statements, materials, state and history")
def get_filing(filing_id: str, user: Ready, casework: Desk) -> dict[str, Any]:
    return filing_json(casework.filing_for(user, filing_id))


@router.get("/{filing_id}/materials/{number}/pdf", response_class=FileResponse,
            summary="A pending filing's material as PDF for the reader (an image is wrapped in a page); audited")
def material_pdf(filing_id: str, number: int, user: Ready, casework: Desk) -> Response:
    _, kept, path = casework.material(user, filing_id, number)
    if path.suffix == ".pdf":
        return FileResponse(path, media_type="application/pdf", headers={"Cache-Control": "private, no-store"})
    with pymupdf.open(path) as image:
        wrapped = image.convert_to_pdf()
    return Response(wrapped, media_type="application/pdf", headers={"Cache-Control": "private, no-store"})


@router.post("/{filing_id}/accept", status_code=202,
             summary="Register the case under a new case number; its dossier version 1 is bound from the materials")
def accept(filing_id: str, body: Acceptance, user: Ready, casework: Desk) -> dict[str, Any]:
    return filing_json(casework.accept(user, filing_id, body.case))


@router.post("/{filing_id}/reject", summary="Send the filing back with a reason the filer sees (补正)")
def reject(filing_id: str, body: Rejection, user: Ready, casework: Desk) -> dict[str, Any]:
    return filing_json(casework.reject(user, filing_id, body.reason))


@router.post("/{filing_id}/resubmit", summary="补正: correct a rejected filing and add materials; pending again")
def resubmit(
    filing_id: str, user: Ready, casework: Desk,
    court: Annotated[str, Form(max_length=80)],
    case_type: Annotated[str, Form(max_length=8)],
    cause: Annotated[str, Form(max_length=80)],
    claims: Annotated[str, Form(max_length=4000)],
    parties: Annotated[list[str], Form()],
    files: Annotated[list[UploadFile] | None, File()] = None,
    doc_types: Annotated[list[str] | None, Form()] = None,
) -> dict[str, Any]:
    form = FilingForm(court, case_type, cause, tuple(parties), claims)
    uploads = [Upload(f.filename or "upload", f.file) for f in files or []]
    return filing_json(casework.resubmit(user, filing_id, form, uploads, doc_types or []))


def install_casework(app: FastAPI) -> None:
    """Add the routes of 网上立案, e键送达 and 在线审批 to APP, and answer a refused request with its status."""
    from edossier.web.approvals import router as approvals_router
    from edossier.web.service import router as service_router

    async def refused(request: Request, exc: Exception) -> JSONResponse:
        status = exc.status if isinstance(exc, CaseworkError) else 400
        return JSONResponse({"detail": str(exc)}, status_code=status)

    app.include_router(router)
    app.include_router(service_router)
    app.include_router(approvals_router)
    app.add_exception_handler(CaseworkError, refused)
