"""Routes of e键送达: a clerk serves a document to a party's account; the party's inbox; delivery on opening.

Opening a served document (``GET /api/inbox/{id}``) is delivery: the first
opening records the time and has the 送达回证 bound into the dossier as a new
signed version, in the background; the recipient's inbox then shows the
version that holds it.  Court staff see what is still undelivered, and for how
long.  A served file is only ever the 正卷's or a new upload: no 副卷 document
can be chosen, and a recipient is never a court account.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import FileResponse

from edossier.casenumber import CaseNumber
from edossier.errors import NotFoundError
from edossier.web.app import Ready
from edossier.web.casework import STATE_NAMES
from edossier.web.filings import Desk
from edossier.web.records import Service
from edossier.web.submission import Upload

router = APIRouter(tags=["service"])

_MEDIA = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
          ".tif": "image/tiff", ".tiff": "image/tiff"}


def service_json(service: Service) -> dict[str, Any]:
    body = service.as_dict()
    body["state_name"] = STATE_NAMES[service.state]
    body["age_s"] = max(0, int((service.delivered or time.time()) - service.created))
    body["url"] = f"/api/inbox/{service.id}"
    body["media_type"] = _MEDIA.get(Path(service.file).suffix.lower())
    if service.origin == "dossier":
        body["file"] = None  # the store key is the server's business
    return body


@router.post("/api/cases/{case}/service", status_code=201,
             summary="Serve a document (正卷 catalogue number, or a new upload such as a 传票) to a party's account")
def serve(
    case: str, user: Ready, casework: Desk,
    recipient: Annotated[str, Form(max_length=64, description="the party's or lawyer's account")],
    document: Annotated[int | None, Form(description="number of the document in the latest 正卷 catalogue")] = None,
    file: Annotated[UploadFile | None, File(description="a new document: PDF, PNG, JPEG or TIFF")] = None,
    doc_type: Annotated[str | None, Form(description="type of the new document, e.g. 传票")] = None,
    title: Annotated[str | None, Form(max_length=80)] = None,
) -> dict[str, Any]:
    upload = Upload(file.filename or "upload", file.file) if file is not None else None
    return service_json(casework.serve(user, case, recipient, document=document, upload=upload,
                                       doc_type=doc_type, title=title))


@router.get("/api/cases/{case}/service", summary="Court staff: what was served in a case, with state and age")
def case_service(case: str, user: Ready, casework: Desk) -> list[dict[str, Any]]:
    return [service_json(s) for s in casework.services(user, case=CaseNumber.parse(case).normalized)]


@router.get("/api/service", summary="Court staff: served documents of every case; ?undelivered=true keeps those not opened")
def all_service(user: Ready, casework: Desk,
                undelivered: Annotated[bool, Query(description="only those not yet opened")] = False
                ) -> list[dict[str, Any]]:
    return [service_json(s) for s in casework.services(user, undelivered=undelivered)]


@router.get("/api/inbox", summary="Documents served to the signed-in party")
def inbox(user: Ready, casework: Desk) -> list[dict[str, Any]]:
    return [service_json(s) for s in casework.inbox(user)]


@router.get("/api/inbox/{service_id}",
            summary="Open a served document: the first opening is delivery, and its 送达回证 is bound")
def open_served(service_id: str, user: Ready, casework: Desk) -> dict[str, Any]:
    body = service_json(casework.open_served(user, service_id))
    body["file"] = f"/api/inbox/{service_id}/file"
    return body


@router.get("/api/inbox/{service_id}/file", response_class=FileResponse,
            summary="The served file, byte for byte (its SHA-256 is on the 送达回证); after opening")
def served_file(service_id: str, user: Ready, casework: Desk) -> FileResponse:
    service, path = casework.served_file(user, service_id)
    media = _MEDIA.get(path.suffix.lower())
    if media is None:
        raise NotFoundError("没有此文件")
    return FileResponse(path, media_type=media, filename=f"{service.title}{path.suffix.lower()}",
                        content_disposition_type="inline", headers={"Cache-Control": "private, no-store"})
