"""Online submission (网上提交): uploaded materials go through the same pipeline as a scan.

Limits are enforced while the upload streams in, before anything reaches the
store: the number of files, the bytes of each (the request is cut off at the
limit) and the type, sniffed from the bytes rather than trusted from the name.
Accepted uploads wait in a private folder and are processed one job at a time, so
two submissions to one case cannot race for the same version number; the
submitter polls the job and sees its progress, then "accepted into version N",
"nothing new: the dossier already holds these files", or the refusal with the
pipeline's reason put in Chinese (no server path reaches the submitter).

What may be filed is decided before any byte is kept (``check_filing``): a
lawyer files only into a case that exists and they are admitted to, and declares
one of the party's document types, never a court's own (判决书, 传票, 笔录 ...).
"""

from __future__ import annotations

import logging
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from edossier.casenumber import CaseNumber
from edossier.classify.doctypes import load_doctypes
from edossier.config import Settings, WebSettings
from edossier.errors import EdossierError, InputFileError, LimitExceededError, UnsupportedInputError
from edossier.ingest.sniff import READABLE, SUFFIXES, sniff, sniff_bytes
from edossier.pipeline.process import Material, process_case
from edossier.storage.audit import AuditLog
from edossier.storage.manifest import latest_version
from edossier.storage.store import Store
from edossier.web.accounts import User
from edossier.web.messages import Refusal, error_message

log = logging.getLogger(__name__)

_CHUNK = 1 << 20


@dataclass
class Job:
    id: str
    user: str
    case: str
    files: list[str]
    client: str | None = None
    state: str = "queued"
    """queued → running → accepted | unchanged (nothing new to add) | refused | failed"""
    progress: list[str] = field(default_factory=list)
    """what the submitter sees while it runs, in Chinese (the pipeline reports each page read)"""
    version: int | None = None
    reason: str | None = None
    created: float = field(default_factory=time.time)

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id, "case": self.case, "files": self.files, "state": self.state,
            "progress": self.progress[-20:], "version": self.version, "reason": self.reason,
        }


@dataclass(frozen=True)
class Upload:
    """One file as the browser sent it: its name (only for the title) and a stream."""

    filename: str
    stream: BinaryIO


def declarable_types(user: User) -> list[str]:
    """Document types USER may declare: a lawyer or party the party's own, court staff any type of the 正卷."""
    return [t.label for t in load_doctypes() if t.volume == "main" and (t.party or user.court)]


def check_filing(store: Store, user: User, case: CaseNumber, declared_type: str | None) -> None:
    """Refuse (Refusal) a filing USER may not make, before anything of it is kept."""
    if not user.may_submit(case.key):
        if not user.may_read(case.key):
            raise Refusal(f"case {case}: not found", "案件不存在或无权查阅", 404)
        raise Refusal(f"{user.name} may not submit to {case}", "此账户不能向本案提交材料", 403)
    if not user.court:  # a lawyer or party
        if not latest_version(store, case):  # files into a case the court opened; a new case is 网上立案
            raise Refusal(f"case {case}: no dossier yet", "案件尚未立案归档，不能网上提交", 404)
        if not declared_type:
            raise Refusal(f"a {user.role} must declare the document type", "请选择材料类型", 400)
    if declared_type and declared_type not in declarable_types(user):
        raise Refusal(f"document type {declared_type!r} may not be declared by {user.role}",
                      f"不能以“{declared_type}”类型提交材料", 400)


class Submissions:
    def __init__(
        self, settings: Settings, store: Store, audit: AuditLog, on_published: Callable[[CaseNumber], None]
    ) -> None:
        self.settings = settings
        self.store = store
        self.audit = audit
        self.on_published = on_published
        self.folder = settings.data_dir / "web" / "uploads"
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="submission")

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def job(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def submit(
        self, user: str, case: CaseNumber, uploads: list[Upload], declared_type: str | None, title: str | None,
        client: str | None = None,
    ) -> Job:
        """Check and keep the uploads, then queue the pipeline run; raises before queuing on any limit."""
        job = Job(id=secrets.token_hex(8), user=user, case=case.normalized, files=[u.filename for u in uploads],
                  client=client)
        folder = self.folder / job.id
        paths = receive_uploads(uploads, folder, self.settings.web)
        materials = [
            Material(path=path, declared_type=declared_type or None, title=title or stem(upload.filename))
            for path, upload in zip(paths, uploads, strict=True)
        ]
        with self._lock:
            self._jobs[job.id] = job
        self._pool.submit(self._run, job, case, materials, folder)
        return job

    def _run(self, job: Job, case: CaseNumber, materials: list[Material], folder: Path) -> None:
        job.state = "running"
        settings = self.settings.model_copy(update={"user": job.user})
        before = latest_version(self.store, case)
        try:
            summary = process_case(materials, case.normalized, settings, store=self.store,
                                   progress=lambda _line: job.progress.append(f"已识别 {len(job.progress) + 1} 页"))
        except EdossierError as exc:
            log.warning("submission %s refused: %s", job.id, exc)
            job.state, job.reason = "refused", error_message(exc)[1]
        except Exception:  # reported to the submitter as a failure, logged in full here
            log.exception("submission %s failed", job.id)
            job.state, job.reason = "failed", "处理失败（服务器内部错误），已通知法院"
        else:
            # the pipeline publishes nothing when the dossier already holds every file sent
            job.state, job.version = ("accepted" if summary.version > before else "unchanged"), summary.version
            try:
                self.on_published(case)
            except Exception:  # the index catches up on its next sync
                log.exception("indexing %s after submission %s failed", case, job.id)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        self.audit.append(
            job.user,
            "submission_" + job.state,
            case.normalized,
            detail={"job": job.id, "files": job.files, "version": job.version, "reason": job.reason},
            client=job.client,
        )


def receive_uploads(uploads: list[Upload], folder: Path, web: WebSettings, first: int = 1) -> list[Path]:
    """Check and keep UPLOADS in FOLDER as 001.pdf, 002.png, … (from FIRST); nothing is kept on any refusal.

    Every way into a case (网上提交, 网上立案, a served document) takes files
    through here, so they meet the same limits and the same type sniffing.
    """
    if not uploads:
        raise UnsupportedInputError("upload", "no file was sent")
    if len(uploads) > web.upload_max_files:
        raise LimitExceededError("upload", f"{len(uploads)} files; at most {web.upload_max_files} at once")
    folder.mkdir(parents=True, exist_ok=True)
    kept: list[Path] = []
    try:
        for number, upload in enumerate(uploads, first):
            kept.append(_receive(upload, folder, number, web))
    except BaseException:
        for path in kept:
            path.unlink(missing_ok=True)
        if not any(folder.iterdir()):
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return kept


def _receive(upload: Upload, folder: Path, number: int, web: WebSettings) -> Path:
    head = upload.stream.read(1024)
    if sniff_bytes(head) is None:
        raise UnsupportedInputError(upload.filename, f"is not {READABLE}")
    received = folder / f"{number:03d}.upload"
    size = len(head)
    try:
        with open(received, "wb") as out:
            out.write(head)
            while block := upload.stream.read(_CHUNK):
                size += len(block)
                if size > web.upload_max_bytes:
                    raise LimitExceededError(upload.filename, f"larger than {web.upload_max_bytes} bytes")
                out.write(block)
        try:  # containers (OFD, Word) are told apart, and macros and programs refused, from the whole file
            media_type = sniff(received, upload.filename)
        except InputFileError as exc:
            raise type(exc)(upload.filename, exc.problem) from None
        if media_type not in web.upload_types:
            raise UnsupportedInputError(upload.filename, f"is {media_type}, which online submission does not accept")
    except BaseException:
        received.unlink(missing_ok=True)
        raise
    return received.rename(folder / f"{number:03d}{SUFFIXES[media_type]}")


def stem(filename: str) -> str:
    """A title from an uploaded file's name: its stem, printable characters only."""
    name = Path(filename.replace("\\", "/")).name
    base = name.rsplit(".", 1)[0] if "." in name else name
    return "".join(ch for ch in base if ch.isprintable())[:80] or "网上提交材料"
