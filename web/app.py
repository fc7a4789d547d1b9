"""The web reader: sign-in, the cases a user may see, the dossier, search, trust, submission.

Every route decides on the server who may see what: no session, no data (the
static shell and sign-in excepted); a lawyer reaches only the 正卷 of the cases
they are admitted to, in listings, files, page highlights and search hits alike;
a case the user may not read answers exactly like a case that does not exist.
Every view, download, search and upload is written to the store's audit trail,
with the client's address (the ``Audit`` dependency).

A state-changing request (any method but GET/HEAD/OPTIONS) must come from the
reader's own page: its Origin (or Referer) must be this server's origin, and
with a session it must carry the session's anti-forgery token in the
``X-CSRF-Token`` header, which only the reader's page can read (from the JSON of
sign-in and ``/api/me``).  Cookies do not separate ports, so a page on the same
host at another port is a different origin, refused like any other site.

Users see Chinese only: errors are mapped at this edge (web/messages.py); the
English line with server detail goes to the log.
"""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import asdict
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, File, Form, HTTPException, Query, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from edossier.bind.verify import verify_pdf
from edossier.casenumber import CaseNumber
from edossier.config import Settings, load_settings
from edossier.errors import EdossierError
from edossier.pipeline.process import trust_roots
from edossier.pipeline.recatalogue import Correction, CorrectionRefused, correct_catalogue, volume_types
from edossier.storage import Store, open_store
from edossier.storage.audit import AuditLog
from edossier.storage.manifest import Manifest, latest_version, list_cases, published_versions, read_manifest
from edossier.web.accounts import AccountError, SignInLockedError, User, csrf_token, open_accounts
from edossier.web.casework import Casework
from edossier.web.highlights import page_highlights
from edossier.web.messages import Refusal, error_message, status_message
from edossier.web.search_index import SearchIndex
from edossier.web.submission import Submissions, Upload, check_filing, declarable_types
from edossier.pipeline.case_volumes import volume_of_id
from edossier.web.volumes import (
    VOLUME_NAMES,
    VOLUMES,
    Volume,
    case_volume,
    fixity,
    volume_names,
    volume_pdf,
    withheld_from_parties,
)

log = logging.getLogger(__name__)
CallNext = Callable[[Request], Awaitable[Response]]

COOKIE = "edossier_session"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_NOT_FOUND = "案件不存在或无权查阅"
_REVIEWERS_ONLY = "仅书记员可审核网上提交"
_CATALOGUERS_ONLY = "仅书记员可更正编目"
_VOLUME_CACHE = 64
_CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data: blob:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class Credentials(BaseModel):
    user: str = Field(max_length=64)
    password: str = Field(max_length=256)


class Rejection(BaseModel):
    reason: str | None = Field(default=None, max_length=200, description="why, as the submitter will read it")


class CatalogueCorrection(BaseModel):
    """A clerk's correction of the catalogue of the version on screen (see pipeline/recatalogue.py)."""

    version: int = Field(ge=1, description="the version the clerk is looking at; a newer one refuses the correction")
    action: Literal["split", "merge", "retitle", "move"]
    document: int = Field(ge=1, description="the document's position in the version's catalogue (正卷 first)")
    page: int | None = Field(default=None, ge=1, description="split: the volume page that starts the new document")
    title: str | None = Field(default=None, max_length=80)
    type: str | None = Field(default=None, max_length=40)


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
        self.casework = Casework(settings, self.store, self.audit, self.accounts, self.index.index_case)
        self.roots = trust_roots(settings)
        self._trust: dict[tuple[str, str], dict[str, Any]] = {}
        self._trust_lock = threading.Lock()
        self._volumes: dict[tuple[str, int, str], tuple[Manifest, Volume]] = {}
        self._withheld: dict[str, tuple[int, frozenset[int]]] = {}

    def close(self) -> None:
        self.submissions.shutdown()
        self.casework.close()
        self.index.close()
        self.accounts.close()

    def volume(self, case: CaseNumber, version: int, name: str) -> tuple[Manifest, Volume]:
        """A published version's volume (``volume_names``); kept in memory, since a published manifest never changes."""
        key = (case.key, version, name)
        with self._trust_lock:
            cached = self._volumes.get(key)
        if cached is None:
            manifest = read_manifest(self.store, case, version)
            cached = (manifest, case_volume(self.store, manifest, name, self.settings.web.catalogue_review_below))
            with self._trust_lock:
                if len(self._volumes) >= _VOLUME_CACHE:
                    self._volumes.pop(next(iter(self._volumes)))
                self._volumes[key] = cached
        return cached

    def readable_volumes(self, user: User, case: CaseNumber, manifest: Manifest) -> list[Volume]:
        """The volumes of MANIFEST's version that USER may read: its own, then those it keeps sealed."""
        names = [n for n in volume_names(manifest) if self.may_read(user, case, manifest.version, n)]
        return [self.volume(case, manifest.version, n)[1] for n in names]

    def may_read(self, user: User, case: CaseNumber, version: int, volume: str) -> bool:
        """USER may read VOLUME (a reader's name) of VERSION: the 副卷 is the court's; so is a 正卷 that holds
        pages a clerk later moved to the 副卷 (``withheld_from_parties``)."""
        name = volume_of_id(volume)
        if not user.may_read_volume(name):
            return False
        return user.court or volume != "main" or version not in self.withheld(case)

    def withheld(self, case: CaseNumber) -> frozenset[int]:
        """``withheld_from_parties`` of CASE, read again only when the case has a new version."""
        latest = latest_version(self.store, case)
        with self._trust_lock:
            cached = self._withheld.get(case.key)
        if cached is None or cached[0] != latest:
            cached = (latest, withheld_from_parties(self.store, case))
            with self._trust_lock:
                self._withheld[case.key] = cached
        return cached[1]

    def trust(self, manifest: Manifest, volume: Volume) -> dict[str, Any]:
        """Signature and fixity of the signed PDF behind VOLUME (what ``edossier verify`` checks)."""
        key = (volume.source_key, volume.source_sha256)
        with self._trust_lock:
            cached = self._trust.get(key)
        if cached is None:
            local = volume_pdf(self.store, volume, self.cache)  # the very file the reader serves
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
        }


class Audit:
    """Appends to the audit trail as one user, from the request's client address."""

    def __init__(self, log: AuditLog, user: str, client: str | None) -> None:
        self.log = log
        self.user = user
        self.client = client

    def __call__(
        self,
        action: str,
        case: str | None = None,
        objects: Mapping[str, str] | None = None,
        detail: Mapping[str, object] | None = None,
    ) -> None:
        self.log.append(self.user, action, case, objects, detail, client=self.client)


def client_address(request: Request) -> str | None:
    """The client's address; behind a trusted proxy, uvicorn has already taken it from X-Forwarded-For."""
    return request.client.host if request.client else None


def reader(request: Request) -> Reader:
    found: Reader = request.app.state.reader
    return found

def signed_in(request: Request, r: Annotated[Reader, Depends(reader)]) -> User:
    user = r.accounts.session_user(request.cookies.get(COOKIE))
    if user is None:
        raise HTTPException(401, "请先登录")
    return user

def ready(user: Annotated[User, Depends(signed_in)]) -> User:
    if user.must_change:
        raise HTTPException(403, "首次登录须先设置新密码")
    return user

def audit(request: Request, user: Annotated[User, Depends(signed_in)], r: Annotated[Reader, Depends(reader)]) -> Audit:
    return Audit(r.audit, user.name, client_address(request))

Ready = Annotated[User, Depends(ready)]
R = Annotated[Reader, Depends(reader)]
Audited = Annotated[Audit, Depends(audit)]


def forged(request: Request, trusted_origins: tuple[str, ...]) -> str | None:
    """Why a state-changing request did not come from the reader's own page; None when it did.

    The Origin (a browser sends it with every POST and DELETE, same-origin
    included), else the Referer, must be this server's origin; a request with a
    session must also carry that session's token, which a browser cannot be
    made to send by another page.
    """
    if request.method in _SAFE_METHODS:
        return None
    own = f"{request.url.scheme}://{request.url.netloc}".lower()
    origin = request.headers.get("origin") or _origin_of(request.headers.get("referer"))
    if origin is not None and origin.lower() not in {own, *(o.lower().rstrip("/") for o in trusted_origins)}:
        return f"origin {origin} is not {own}"
    token = request.cookies.get(COOKIE)
    if token and not (request.method == "POST" and request.url.path.endswith("/api/session")):
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), csrf_token(token).encode()):
            return "missing or wrong anti-forgery token"
    return None


def _origin_of(url: str | None) -> str | None:
    if not url:
        return None
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}" if rest else "null"


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        reader = Reader(settings, store)
        app.state.reader = reader
        threading.Thread(target=reader.index.sync, kwargs={"force": True}, daemon=True).start()
        yield
        reader.close()

    app = FastAPI(
        title="edossier web reader",
        version="1",
        description="Read, search and verify stored court e-dossiers (电子卷宗); submit materials online (网上提交); "
                    "file new cases online (网上立案); serve documents electronically (e键送达).",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's interactive pages load their scripts from a CDN; the JSON stays
        redoc_url=None,
    )
    static = Path(str(resources.files("edossier.web").joinpath("static")))

    @app.middleware("http")
    async def refuse_forgeries(request: Request, call_next: CallNext) -> Response:
        """Refuse a state-changing request that did not come from the reader's own page (see ``forged``)."""
        reason = forged(request, settings.web.trusted_origins)
        if reason is None:
            return await call_next(request)
        r: Reader = request.app.state.reader
        user = await run_in_threadpool(r.accounts.session_user, request.cookies.get(COOKIE))
        await run_in_threadpool(
            r.audit.append, user.name if user else "-", "request_refused", None, None,
            {"method": request.method, "path": request.url.path, "reason": reason}, client_address(request),
        )
        log.warning("refused %s %s from %s: %s", request.method, request.url.path, client_address(request), reason)
        return JSONResponse({"detail": "请求来源无法确认，已拒绝；请在本系统页面中操作并刷新后重试"}, status_code=403)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: CallNext) -> Response:
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = _CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        if request.url.path.startswith(f"{request.scope.get('root_path', '')}/api/"):  # under a sub-path too
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(EdossierError)
    async def edossier_error(request: Request, exc: EdossierError) -> JSONResponse:
        status, text = error_message(exc)
        log.log(logging.WARNING if status < 500 else logging.ERROR, "%s %s: %s", request.method, request.url.path, exc)
        return JSONResponse({"detail": text}, status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": status_message(exc.status_code, exc.detail)}, status_code=exc.status_code,
                            headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        log.warning("%s %s: invalid request %s", request.method, request.url.path, exc.errors())
        return JSONResponse({"detail": status_message(422, None)}, status_code=422)

    def readable_case(case: str, user: User) -> CaseNumber:
        number = CaseNumber.parse(case)
        if not user.may_read(number.key):
            raise Refusal(f"case {case}: not readable by {user.name}", _NOT_FOUND, 404)
        return number

    def readable_volume(r: Reader, user: User, case: str, version: int, volume: str,
                        audit: Audit) -> tuple[Manifest, Volume]:
        number = readable_case(case, user)
        name = volume_of_id(volume)
        if name not in VOLUMES:
            raise Refusal(f"no volume {volume!r}", "没有这一卷", 404)
        if not user.may_read_volume(name):
            audit("refused", number.normalized, detail={"volume": volume, "version": version})
            raise HTTPException(403, f"{VOLUME_NAMES[name]}仅供法院内部查阅")
        if not r.may_read(user, number, version, volume):
            audit("refused", number.normalized, detail={"volume": volume, "version": version, "withheld": True})
            raise HTTPException(403, f"第{version}版正卷含已移入副卷的材料，不再提供，请查阅最新版本")
        return r.volume(number, version, volume)

    # --- sign-in ---------------------------------------------------------------------

    @app.post("/api/session", tags=["account"], summary="Sign in; sets the session cookie")
    def sign_in(body: Credentials, request: Request, response: Response, r: R) -> dict[str, Any]:
        audit = Audit(r.audit, body.user, client_address(request))
        try:
            token, user = r.accounts.sign_in(body.user, body.password, client_address(request))
        except SignInLockedError as exc:
            audit("sign_in_locked")
            raise HTTPException(429, exc.chinese, headers={"Retry-After": str(exc.retry_after_s)}) from None
        except AccountError as exc:
            audit("sign_in_refused")
            raise HTTPException(401, exc.chinese) from None
        audit("sign_in")
        set_session(request, response, r, token)
        return _me(user, token)

    @app.delete("/api/session", tags=["account"], summary="Sign out")
    def sign_out(request: Request, response: Response, r: R) -> dict[str, bool]:
        token = request.cookies.get(COOKIE)
        if token:
            r.accounts.sign_out(token)
        response.delete_cookie(COOKIE, path=cookie_path(request))
        return {"signed_out": True}

    @app.get("/api/me", tags=["account"], summary="The signed-in user, with the session's anti-forgery token")
    def me(request: Request, user: Annotated[User, Depends(signed_in)]) -> dict[str, Any]:
        return _me(user, request.cookies[COOKIE])

    @app.post("/api/password", tags=["account"],
              summary="Change one's own password (required at first sign-in); the user's other sessions end")
    def change_password(body: PasswordChange, request: Request, user: Annotated[User, Depends(signed_in)],
                        audit: Audited, r: R) -> dict[str, Any]:
        token = request.cookies[COOKIE]
        r.accounts.change_password(user.name, body.old, body.new, keep=token)
        audit("password_changed")
        return _me(r.accounts.user(user.name), token)

    # --- cases and dossiers -----------------------------------------------------------

    @app.get("/api/cases", tags=["dossier"], summary="Cases the user may read, with their latest version")
    def cases(user: Ready, r: R) -> list[dict[str, Any]]:
        rows = []
        for key in list_cases(r.store):
            if not user.may_read(key):
                continue
            number = CaseNumber.parse(key)
            manifest = read_manifest(r.store, number)
            shown = r.readable_volumes(user, number, manifest)
            rows.append({
                "case": key, "version": manifest.version, "updated": manifest.created,
                "volumes": [v.id for v in shown], "labels": {v.id: v.label for v in shown},
                "pages": {v.id: v.page_count for v in shown},  # per volume, as the viewer counts
            })
        return rows

    @app.get("/api/cases/{case}/versions", tags=["dossier"], summary="Version history of a case")
    def versions(case: str, user: Ready, r: R) -> list[dict[str, Any]]:
        number = readable_case(case, user)
        history = []
        for version in published_versions(r.store, number):
            manifest = read_manifest(r.store, number, version)
            shown = r.readable_volumes(user, number, manifest)
            history.append({
                "version": version, "created": manifest.created,
                "bound_by": manifest.provenance.get("bound_by"), "volumes": [v.id for v in shown],
                "labels": {v.id: v.label for v in shown},
                "documents": sum(len(v.documents) for v in shown if v.id in VOLUMES),  # kept ones were counted before
                "pages": {v.id: v.page_count for v in shown},
            })
        if not history:
            raise Refusal(f"case {case}: no dossier", _NOT_FOUND, 404)
        return history

    @app.get("/api/cases/{case}/versions/{version}/volumes/{volume}", tags=["dossier"],
             summary="A volume's catalogue (卷内目录) and page count; audited as a view")
    def volume(case: str, version: int, volume: str, user: Ready, audit: Audited, r: R) -> dict[str, Any]:
        manifest, vol = readable_volume(r, user, case, version, volume, audit)
        audit("view", vol.case, {vol.source_key: vol.source_sha256}, {"version": version, "volume": volume})
        number = CaseNumber.parse(case)
        base = f"api/cases/{number.key}/versions/{version}/volumes/{volume}"
        return {
            "case": vol.case, "version": vol.version, "volume": volume, "volume_name": vol.label,
            "archived_at": vol.archived_at, "pages": vol.page_count, "created": manifest.created,
            "documents": [asdict(d) for d in vol.documents],
            "volumes": [{"volume": v.id, "volume_name": v.label, "archived_at": v.archived_at}
                        for v in r.readable_volumes(user, number, manifest)],
            "pdf": f"{base}/pdf", "download": f"{base}/download", "trust": f"{base}/trust",
            # what a clerk's correction may retype to; a sealed volume is never corrected
            "types": volume_types(vol.name) if user.role == "clerk" and not vol.archived_at else [],
        }

    @app.get("/api/cases/{case}/versions/{version}/volumes/{volume}/pdf", tags=["dossier"],
             summary="The volume's PDF for the in-browser reader (supports Range requests)",
             response_class=FileResponse)
    def volume_file(case: str, version: int, volume: str, request: Request, user: Ready, audit: Audited,
                    r: R) -> FileResponse:
        _, vol = readable_volume(r, user, case, version, volume, audit)
        path = volume_pdf(r.store, vol, r.cache)
        range_header = request.headers.get("range", "")
        if not range_header or range_header.replace(" ", "").startswith("bytes=0-"):
            audit("view_pdf", vol.case, {vol.source_key: vol.source_sha256}, {"version": version, "volume": volume})
        return FileResponse(path, media_type="application/pdf", headers={"Cache-Control": "private, no-store"})

    @app.get("/api/cases/{case}/versions/{version}/volumes/{volume}/download", tags=["dossier"],
             summary="Download the volume's PDF; audited", response_class=FileResponse)
    def download(case: str, version: int, volume: str, user: Ready, audit: Audited, r: R) -> FileResponse:
        _, vol = readable_volume(r, user, case, version, volume, audit)
        path = volume_pdf(r.store, vol, r.cache)
        audit("download", vol.case, {vol.source_key: vol.source_sha256}, {"version": version, "volume": volume})
        name = f"{CaseNumber.parse(case).key}-v{version}-{vol.label}.pdf"
        return FileResponse(path, media_type="application/pdf", filename=name)

    @app.get("/api/cases/{case}/versions/{version}/volumes/{volume}/trust", tags=["dossier"],
             summary="Signature and fixity status (the checks of `edossier verify`)")
    def trust(case: str, version: int, volume: str, user: Ready, audit: Audited, r: R) -> dict[str, Any]:
        manifest, vol = readable_volume(r, user, case, version, volume, audit)
        return r.trust(manifest, vol)

    @app.get("/api/cases/{case}/versions/{version}/volumes/{volume}/pages/{page}/highlights", tags=["search"],
             summary="Rectangles covering a phrase on one page, in PDF points from the top-left")
    def highlights(case: str, version: int, volume: str, page: int, user: Ready, audit: Audited, r: R,
                   q: Annotated[str, Query(min_length=1, max_length=200)]) -> dict[str, Any]:
        _, vol = readable_volume(r, user, case, version, volume, audit)
        if not 1 <= page <= vol.page_count:
            raise Refusal(f"no page {page}", f"本卷没有第{page}页", 404)
        return page_highlights(volume_pdf(r.store, vol, r.cache), page, q)

    @app.post("/api/cases/{case}/catalogue", tags=["dossier"],
              summary="A clerk splits, merges, retitles, retypes or moves a document to the other volume: a new signed "
                      "version; audited")
    def correct(case: str, body: CatalogueCorrection, user: Ready, audit: Audited, r: R) -> dict[str, Any]:
        number = readable_case(case, user)
        if user.role != "clerk":
            raise HTTPException(403, _CATALOGUERS_ONLY)
        asked = body.model_dump(exclude_none=True)
        settings = r.settings.model_copy(update={"user": user.name})  # the version is the clerk's act
        correction = Correction(body.action, body.document, body.page, body.title, body.type)
        try:
            with r.submissions.correcting(number):  # no submission of the case publishes meanwhile
                done = correct_catalogue(number.normalized, correction, settings, store=r.store,
                                         seen_version=body.version)
        except (CorrectionRefused, Refusal) as exc:
            audit("catalogue_correction_refused", number.normalized, detail={**asked, "reason": str(exc)})
            raise Refusal(str(exc), exc.chinese, 409) from None
        audit("catalogue_corrected", number.normalized, done.event.objects, done.event.detail)
        r.index.index_case(number)
        detail = done.event.detail
        corrected = done.summary.documents[done.changed[0] - 1]  # the catalogue of both volumes, in order
        return {
            "case": number.normalized, "version": done.summary.version, "volume": detail["volume"],
            "page": corrected.first_page, "corrected": list(done.changed),
            "message": f"已更正编目，卷宗为第{done.summary.version}版",
        }

    # --- search -------------------------------------------------------------------

    @app.get("/api/search", tags=["search"], summary="Search the OCR text of the dossiers the user may read")
    def search(user: Ready, audit: Audited, r: R,
               q: Annotated[str, Query(min_length=1, max_length=200)],
               case: Annotated[str | None, Query(description="limit to one case")] = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict[str, Any]:
        r.index.sync()
        if case is not None:
            cases: list[str] | None = [readable_case(case, user).key]
        else:
            cases = None if user.court else sorted(user.cases)
        names = [v for v in VOLUMES if user.may_read_volume(v)]
        hits = [h for h in r.index.search(q, cases, names, limit)
                if r.may_read(user, CaseNumber.parse(h.case), h.version, h.volume)]  # an index a move outran
        audit("search", cases[0] if cases and len(cases) == 1 else None, detail={"query": q, "hits": len(hits)})
        return {"query": q, "hits": [asdict(h) for h in hits]}

    # --- online submission ----------------------------------------------------------

    @app.get("/api/doctypes", tags=["submission"],
             summary="Document types the user may declare (a lawyer: the party's own types only)")
    def doctypes(user: Ready) -> list[str]:
        return declarable_types(user)

    @app.post("/api/cases/{case}/submissions", tags=["submission"], status_code=202,
              summary="Upload PDF or image files into a case; processed like a scan")
    def submit(case: str, request: Request, user: Ready, audit: Audited, r: R,
               files: Annotated[list[UploadFile], File(description="PDF, OFD, Word/WPS, RTF, ODT, PNG, JPEG, TIFF or HEIC")],
               doc_type: Annotated[str | None, Form()] = None,
               title: Annotated[str | None, Form(max_length=80)] = None) -> dict[str, Any]:
        number = CaseNumber.parse(case)
        uploads = [Upload(f.filename or "upload", f.file) for f in files]
        try:
            check_filing(r.store, user, number, doc_type)
            job = r.submissions.submit(user.name, number, uploads, doc_type, title, client_address(request))
        except EdossierError as exc:
            audit("submission_refused", number.normalized,
                  detail={"files": [u.filename for u in uploads], "type": doc_type, "reason": str(exc)})
            raise
        audit("submission_received", number.normalized,
              detail={"job": job.id, "files": job.files, "type": doc_type, "pages": job.pages, "bytes": job.bytes})
        return job.as_dict()

    @app.get("/api/submissions", tags=["submission"],
             summary="One's own submissions, newest first; a clerk may ask for every held one (held=true)")
    def submissions(user: Ready, r: R, held: bool = False) -> list[dict[str, Any]]:
        if held:
            if user.role != "clerk":
                raise HTTPException(403, _REVIEWERS_ONLY)
            return [j.as_dict() for j in r.submissions.queue.jobs(states=("held",))]
        return [j.as_dict() for j in r.submissions.queue.jobs(user=user.name)]

    @app.get("/api/submissions/{job_id}", tags=["submission"],
             summary="Progress (pages done of the total) and result of one's own submission; a clerk sees any")
    def submission(job_id: str, user: Ready, r: R) -> dict[str, Any]:
        job = r.submissions.job(job_id)
        if job is None or (job.user != user.name and user.role != "clerk"):
            raise Refusal(f"no submission {job_id} of {user.name}", "没有这次提交的记录", 404)
        return job.as_dict()

    @app.post("/api/submissions/{job_id}/release", tags=["submission"],
              summary="A clerk releases a held submission: it is processed and published; audited")
    def release(job_id: str, user: Ready, audit: Audited, r: R) -> dict[str, Any]:
        return review(job_id, user, audit, r, release=True, reason=None)

    @app.post("/api/submissions/{job_id}/reject", tags=["submission"],
              summary="A clerk rejects a held submission: nothing is published, its files are deleted; audited")
    def reject(job_id: str, user: Ready, audit: Audited, r: R, body: Rejection | None = None) -> dict[str, Any]:
        return review(job_id, user, audit, r, release=False, reason=(body and body.reason) or "经法院审核，未予收入")

    def review(job_id: str, user: User, audit: Audit, r: Reader, *, release: bool,
               reason: str | None) -> dict[str, Any]:
        if user.role != "clerk":
            raise HTTPException(403, _REVIEWERS_ONLY)
        job = r.submissions.review(job_id, user.name, release, reason)
        if job is None:
            raise Refusal(f"no held submission {job_id}", "没有这份待审核的提交（可能已有人审核）", 404)
        audit("submission_released" if release else "submission_rejected", job.case,
              detail={"job": job.id, "submitter": job.user, "files": job.files, "pages": job.pages, "reason": reason})
        return job.as_dict()

    @app.middleware("http")
    async def upload_size(request: Request, call_next: CallNext) -> Response:
        """Refuse an oversized upload from its declared length, before the body is read."""
        path = request.url.path
        if request.method == "POST" and path.endswith(("/submissions", "/service", "/resubmit", "/api/filings")):
            web = settings.web
            ceiling = web.upload_max_files * web.upload_max_bytes + 1024 * 1024
            length = request.headers.get("content-length")
            if length is None or not length.isdigit() or int(length) > ceiling:
                log.warning("refused upload of %s bytes (ceiling %d)", length, ceiling)
                return JSONResponse({"detail": f"上传内容过大（每次至多 {web.upload_max_files} 个文件，"
                                               f"每个至多 {web.upload_max_bytes // 1024**2} MB）"},
                                    status_code=413)
        return await call_next(request)

    from edossier.web.filings import install_casework  # its routes depend on this module's Ready and R

    install_casework(app)  # 网上立案 and e键送达

    # --- the browser shell --------------------------------------------------------

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(static / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=static), name="static")
    return app


def server_options(settings: Settings) -> dict[str, Any]:
    """How ``edossier serve`` runs uvicorn: TLS when configured, else behind a reverse proxy.

    X-Forwarded-For and -Proto are believed from ``forwarded_allow_ips`` only, so
    the audit records the real client and the origin check sees https; a proxy
    serving the reader under a sub-path strips it and ``root_path`` names it.
    """
    web = settings.web
    return {"log_level": "info", "proxy_headers": True, "forwarded_allow_ips": web.forwarded_allow_ips,
            "root_path": web.root_path, "ssl_certfile": web.tls_certificate, "ssl_keyfile": web.tls_key}


def server_config(settings: Settings, host: str | None = None, port: int | None = None) -> Any:
    """The uvicorn configuration of one server process (``edossier serve``)."""
    import uvicorn

    web = settings.web
    return uvicorn.Config(create_app(settings), host=host or web.host, port=port or web.port, **server_options(settings))


def serve_app() -> FastAPI:
    """The app each process of ``edossier serve --workers N`` builds, from the config file and environment.

    The processes share everything through the store and the account database
    (sessions, sign-in failures, the submission queue), so any of them may answer
    any request.
    """
    return create_app(load_settings())


def _me(user: User, token: str) -> dict[str, Any]:
    """The user as the page needs it, with the anti-forgery token of the session TOKEN."""
    return {"user": user.name, "role": user.role, "must_change": user.must_change, "court": user.court,
            "cases": sorted(user.cases), "csrf": csrf_token(token)}


def cookie_path(request: Request) -> str:
    """The session cookie covers the reader only: its sub-path behind a proxy, else the whole host."""
    return request.scope.get("root_path") or "/"


def set_session(request: Request, response: Response, r: Reader, token: str) -> None:
    web = r.settings.web
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=web.cookie_secure,
                        max_age=web.session_max_s, path=cookie_path(request))
