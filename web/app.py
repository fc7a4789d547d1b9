"""The web reader: sign-in, the cases a user may see, the dossier, search, trust, submission.

Every route decides on the server who may see what: no session, no data (the
static shell and sign-in excepted); a lawyer reaches only the 正卷 of the cases
they are admitted to, in listings, files, page highlights and search hits alike;
a case the user may not read answers exactly like a case that does not exist.
Every view, download, search and upload is written to the store's audit trail.
"""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager
from dataclasses import asdict
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, File, Form, HTTPException, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from edossier.bind.verify import verify_pdf
from edossier.casenumber import CaseNumber
from edossier.classify.doctypes import load_doctypes
from edossier.config import Settings
from edossier.errors import (
    CaseNumberError,
    EdossierError,
    InputFileError,
    LimitExceededError,
    NotFoundError,
)
from edossier.pipeline.process import trust_roots
from edossier.storage import Store, open_store
from edossier.storage.audit import AuditLog
from edossier.storage.manifest import Manifest, list_cases, published_versions, read_manifest
from edossier.web.accounts import AccountError, User, open_accounts
from edossier.web.highlights import page_highlights
from edossier.web.search_index import SearchIndex
from edossier.web.submission import Submissions, Upload
from edossier.web.volumes import VOLUME_NAMES, VOLUMES, Volume, fixity, fetch_checked, volume_names, volume_of, volume_pdf

COOKIE = "edossier_session"
_VOLUME_CACHE = 64
_CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data: blob:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class Credentials(BaseModel):
    user: str = Field(max_length=64)
    password: str = Field(max_length=256)


class PasswordChange(BaseModel):
    old: str = Field(max_length=256)
    new: str = Field(max_length=256)


class Reader:
    """What the routes share: settings, the store, accounts, index, audit, submissions."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        web = settings.web
        self.settings = settings
        self.store = store or open_store(settings.store_uri, settings.storage)
        self.audit = AuditLog(self.store)
        folder = settings.data_dir / "web"
        self.cache = folder / "cache"
        self.accounts = open_accounts(settings)
        self.index = SearchIndex(web.search_db or folder / "search.sqlite3", self.store)
        self.submissions = Submissions(settings, self.store, self.audit, self.index.index_case)
        self.roots = trust_roots(settings)
        self._trust: dict[tuple[str, str], dict[str, Any]] = {}
        self._trust_lock = threading.Lock()
        self._volumes: dict[tuple[str, int, str], tuple[Manifest, Volume]] = {}

    def close(self) -> None:
        self.submissions.shutdown()
        self.index.close()
        self.accounts.close()

    def volume(self, case: CaseNumber, version: int, name: str) -> tuple[Manifest, Volume]:
        """A published version's volume; kept in memory, since a published manifest never changes."""
        key = (case.key, version, name)
        with self._trust_lock:
            cached = self._volumes.get(key)
        if cached is None:
            manifest = read_manifest(self.store, case, version)
            cached = (manifest, volume_of(manifest, name))
            with self._trust_lock:
                if len(self._volumes) >= _VOLUME_CACHE:
                    self._volumes.pop(next(iter(self._volumes)))
                self._volumes[key] = cached
        return cached

    def trust(self, manifest: Manifest, volume: Volume) -> dict[str, Any]:
        """Signature and fixity of the signed PDF behind VOLUME (what ``edossier verify`` checks)."""
        key = (volume.source_key, volume.source_sha256)
        with self._trust_lock:
            cached = self._trust.get(key)
        if cached is None:
            folder = self.cache / CaseNumber.parse(volume.case).key / f"{volume.version:06d}"
            local = fetch_checked(self.store, volume.source_key, volume.source_sha256, folder)
            report = verify_pdf(local, self.roots).as_dict()
            problems = fixity(self.store, manifest, volume.source_key, volume.source_sha256, local)
            cached = {
                "signature": report,
                "fixity": {"ok": not problems, "problems": problems, "sha256": volume.source_sha256},
            }
            with self._trust_lock:
                self._trust[key] = cached
        return {
            **cached,
            "valid": bool(cached["signature"]["valid"]) and bool(cached["fixity"]["ok"]),
            "extract": volume.extract,
        }


def reader(request: Request) -> Reader:
    return request.app.state.reader

def signed_in(request: Request, r: Annotated[Reader, Depends(reader)]) -> User:
    user = r.accounts.session_user(request.cookies.get(COOKIE))
    if user is None:
        raise HTTPException(401, "sign in first")
    return user

def ready(user: Annotated[User, Depends(signed_in)]) -> User:
    if user.must_change:
        raise HTTPException(403, "choose a new password first")
    return user

Ready = Annotated[User, Depends(ready)]
R = Annotated[Reader, Depends(reader)]


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        reader = Reader(settings, store)
        app.state.reader = reader
        threading.Thread(target=reader.index.sync, kwargs={"force": True}, daemon=True).start()
        yield
        reader.close()

    app = FastAPI(
        title="edossier web reader",
        version="1",
        description="Read, search and verify stored court e-dossiers (电子卷宗); submit materials online (网上提交).",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's interactive pages load their scripts from a CDN; the JSON stays
        redoc_url=None,
    )
    static = Path(str(resources.files("edossier.web").joinpath("static")))

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = _CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        if request.url.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(EdossierError)
    async def edossier_error(request: Request, exc: EdossierError) -> JSONResponse:
        status = 404 if isinstance(exc, NotFoundError) else 413 if isinstance(exc, LimitExceededError) else (
            415 if isinstance(exc, InputFileError) else 400 if isinstance(exc, (CaseNumberError, AccountError)) else 500
        )
        return JSONResponse({"detail": str(exc)}, status_code=status)

    def readable_case(case: str, user: User) -> CaseNumber:
        number = CaseNumber.parse(case)
        if not user.may_read(number.key):
            raise NotFoundError(f"case {case}: not found")
        return number

    def readable_volume(r: Reader, user: User, case: str, version: int, volume: str) -> tuple[Manifest, Volume]:
        number = readable_case(case, user)
        if volume not in VOLUMES:
            raise NotFoundError(f"no volume {volume!r}")
        if not user.may_read_volume(volume):
            r.audit.append(user.name, "refused", number.normalized, detail={"volume": volume, "version": version})
            raise HTTPException(403, f"{VOLUME_NAMES[volume]} is for the court only")
        return r.volume(number, version, volume)

    # --- sign-in ---------------------------------------------------------------------

    @app.post("/api/session", tags=["account"], summary="Sign in; sets the session cookie")
    def sign_in(body: Credentials, response: Response, r: R) -> dict[str, Any]:
        try:
            token, user = r.accounts.sign_in(body.user, body.password)
        except AccountError as exc:
            r.audit.append(body.user, "sign_in_refused")
            raise HTTPException(401, str(exc)) from None
        r.audit.append(user.name, "sign_in")
        response.set_cookie(
            COOKIE, token, httponly=True, samesite="strict", secure=r.settings.web.cookie_secure,
            max_age=r.settings.web.session_max_s, path="/",
        )
        return _me(user)

    @app.delete("/api/session", tags=["account"], summary="Sign out")
    def sign_out(request: Request, response: Response, r: R) -> dict[str, bool]:
        token = request.cookies.get(COOKIE)
        if token:
            r.accounts.sign_out(token)
        response.delete_cookie(COOKIE, path="/")
        return {"signed_out": True}

    @app.get("/api/me", tags=["account"], summary="The signed-in user")
    def me(user: Annotated[User, Depends(signed_in)]) -> dict[str, Any]:
        return _me(user)

    @app.post("/api/password", tags=["account"], summary="Change one's own password (required at first sign-in)")
    def change_password(body: PasswordChange, user: Annotated[User, Depends(signed_in)], r: R) -> dict[str, Any]:
        r.accounts.change_password(user.name, body.old, body.new)
        r.audit.append(user.name, "password_changed")
        return _me(r.accounts.user(user.name))

    # --- cases and dossiers -----------------------------------------------------------

    @app.get("/api/cases", tags=["dossier"], summary="Cases the user may read, with their latest version")
    def cases(user: Ready, r: R) -> list[dict[str, Any]]:
        rows = []
        for key in list_cases(r.store):
            if not user.may_read(key):
                continue
            manifest = read_manifest(r.store, CaseNumber.parse(key))
            names = [n for n in volume_names(manifest) if user.may_read_volume(n)]
            rows.append({
                "case": key, "version": manifest.version, "updated": manifest.created,
                "volumes": names,
                "pages": sum(volume_of(manifest, n).page_count for n in names),
            })
        return rows

    @app.get("/api/cases/{case}/versions", tags=["dossier"], summary="Version history of a case")
    def versions(case: str, user: Ready, r: R) -> list[dict[str, Any]]:
        number = readable_case(case, user)
        history = []
        for version in published_versions(r.store, number):
            manifest = read_manifest(r.store, number, version)
            names = [n for n in volume_names(manifest) if user.may_read_volume(n)]
            history.append({
                "version": version, "created": manifest.created,
                "bound_by": manifest.provenance.get("bound_by"), "volumes": names,
                "documents": sum(len(volume_of(manifest, n).documents) for n in names),
                "pages": sum(volume_of(manifest, n).page_count for n in names),
            })
        if not history:
            raise NotFoundError(f"case {case}: not found")
        return history

    @app.get("/api/cases/{case}/versions/{version}/volumes/{volume}", tags=["dossier"],
             summary="A volume's catalogue (卷内目录) and page count; audited as a view")
    def volume(case: str, version: int, volume: str, user: Ready, r: R) -> dict[str, Any]:
        manifest, vol = readable_volume(r, user, case, version, volume)
        r.audit.append(user.name, "view", vol.case, {vol.source_key: vol.source_sha256},
                       {"version": version, "volume": volume})
        base = f"/api/cases/{CaseNumber.parse(case).key}/versions/{version}/volumes/{volume}"
        return {
            "case": vol.case, "version": vol.version, "volume": volume, "volume_name": VOLUME_NAMES[volume],
            "pages": vol.page_count, "extract": vol.extract, "created": manifest.created,
            "documents": [asdict(d) for d in vol.documents],
            "pdf": f"{base}/pdf", "download": f"{base}/download", "trust": f"{base}/trust",
        }

    @app.get("/api/cases/{case}/versions/{version}/volumes/{volume}/pdf", tags=["dossier"],
             summary="The volume's PDF for the in-browser reader (supports Range requests)",
             response_class=FileResponse)
    def volume_file(case: str, version: int, volume: str, request: Request, user: Ready, r: R) -> FileResponse:
        _, vol = readable_volume(r, user, case, version, volume)
        path = volume_pdf(r.store, vol, r.cache)
        range_header = request.headers.get("range", "")
        if not range_header or range_header.replace(" ", "").startswith("bytes=0-"):
            r.audit.append(user.name, "view_pdf", vol.case, {vol.source_key: vol.source_sha256},
                           {"version": version, "volume": volume})
        return FileResponse(path, media_type="application/pdf", headers={"Cache-Control": "private, no-store"})

    @app.get("/api/cases/{case}/versions/{version}/volumes/{volume}/download", tags=["dossier"],
             summary="Download the volume's PDF; audited", response_class=FileResponse)
    def download(case: str, version: int, volume: str, user: Ready, r: R) -> FileResponse:
        _, vol = readable_volume(r, user, case, version, volume)
        path = volume_pdf(r.store, vol, r.cache)
        r.audit.append(user.name, "download", vol.case, {vol.source_key: vol.source_sha256},
                       {"version": version, "volume": volume})
        name = f"{CaseNumber.parse(case).key}-v{version}-{VOLUME_NAMES[volume]}.pdf"
        return FileResponse(path, media_type="application/pdf", filename=name)

    @app.get("/api/cases/{case}/versions/{version}/volumes/{volume}/trust", tags=["dossier"],
             summary="Signature and fixity status (the checks of `edossier verify`)")
    def trust(case: str, version: int, volume: str, user: Ready, r: R) -> dict[str, Any]:
        manifest, vol = readable_volume(r, user, case, version, volume)
        return r.trust(manifest, vol)

    @app.get("/api/cases/{case}/versions/{version}/volumes/{volume}/pages/{page}/highlights", tags=["search"],
             summary="Rectangles covering a phrase on one page, in PDF points from the top-left")
    def highlights(case: str, version: int, volume: str, page: int, user: Ready, r: R,
                   q: Annotated[str, Query(min_length=1, max_length=200)]) -> dict[str, Any]:
        _, vol = readable_volume(r, user, case, version, volume)
        if not 1 <= page <= vol.page_count:
            raise NotFoundError(f"no page {page}")
        return page_highlights(volume_pdf(r.store, vol, r.cache), page, q)

    # --- search -------------------------------------------------------------------

    @app.get("/api/search", tags=["search"], summary="Search the OCR text of the dossiers the user may read")
    def search(user: Ready, r: R,
               q: Annotated[str, Query(min_length=1, max_length=200)],
               case: Annotated[str | None, Query(description="limit to one case")] = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict[str, Any]:
        r.index.sync()
        if case is not None:
            cases: list[str] | None = [readable_case(case, user).key]
        else:
            cases = None if user.court else sorted(user.cases)
        volumes = [v for v in VOLUMES if user.may_read_volume(v)]
        hits = r.index.search(q, cases, volumes, limit)
        r.audit.append(user.name, "search", cases[0] if cases and len(cases) == 1 else None,
                       detail={"query": q, "hits": len(hits)})
        return {"query": q, "hits": [asdict(h) for h in hits]}

    # --- online submission ----------------------------------------------------------

    @app.get("/api/doctypes", tags=["submission"], summary="Document types a submitter may declare")
    def doctypes(user: Ready) -> list[str]:
        return [t.label for t in load_doctypes() if t.volume == "main"]

    @app.post("/api/cases/{case}/submissions", tags=["submission"], status_code=202,
              summary="Upload PDF or image files into a case; processed like a scan")
    def submit(case: str, request: Request, user: Ready, r: R,
               files: Annotated[list[UploadFile], File(description="PDF, OFD, Word/WPS, RTF, ODT, PNG, JPEG, TIFF or HEIC")],
               doc_type: Annotated[str | None, Form()] = None,
               title: Annotated[str | None, Form(max_length=80)] = None) -> dict[str, Any]:
        number = CaseNumber.parse(case)
        if not user.may_submit(number.key):
            raise NotFoundError(f"case {case}: not found") if not user.may_read(number.key) else HTTPException(
                403, "this account may not submit to this case")
        if doc_type and doc_type not in {t.label for t in load_doctypes() if t.volume == "main"}:
            raise HTTPException(400, f"unknown document type {doc_type!r}")
        uploads = [Upload(f.filename or "upload", f.file) for f in files]
        try:
            job = r.submissions.submit(user.name, number, uploads, doc_type, title)
        except EdossierError as exc:
            r.audit.append(user.name, "submission_refused", number.normalized,
                           detail={"files": [u.filename for u in uploads], "reason": str(exc)})
            raise
        r.audit.append(user.name, "submission_received", number.normalized,
                       detail={"job": job.id, "files": job.files})
        return job.as_dict()

    @app.get("/api/submissions/{job_id}", tags=["submission"], summary="Progress and result of one's own submission")
    def submission(job_id: str, user: Ready, r: R) -> dict[str, Any]:
        job = r.submissions.job(job_id)
        if job is None or job.user != user.name:
            raise NotFoundError("no such submission")
        return job.as_dict()

    @app.middleware("http")
    async def upload_size(request: Request, call_next):  # type: ignore[no-untyped-def]
        """Refuse an oversized upload from its declared length, before the body is read."""
        if request.method == "POST" and request.url.path.endswith("/submissions"):
            web = settings.web
            ceiling = web.upload_max_files * web.upload_max_bytes + 1024 * 1024
            length = request.headers.get("content-length")
            if length is None or not length.isdigit() or int(length) > ceiling:
                return JSONResponse({"detail": f"upload larger than {ceiling} bytes or of unknown length"},
                                    status_code=413)
        return await call_next(request)

    # --- the browser shell --------------------------------------------------------

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(static / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=static), name="static")
    return app


def _me(user: User) -> dict[str, Any]:
    return {"user": user.name, "role": user.role, "must_change": user.must_change, "court": user.court,
            "cases": sorted(user.cases)}
