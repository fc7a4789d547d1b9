"""Online submission (网上提交): uploaded materials go through the same pipeline as a scan.

Limits are enforced while the upload streams in, before anything reaches the
store: the number of files, the bytes of each (the request is cut off at the
limit) and the type, sniffed from the bytes rather than trusted from the name.
Accepted uploads wait in a private folder and are processed one job at a time, so
two submissions to one case cannot race for the same version number; the
submitter polls the job and sees its progress, then "accepted into version N" or
the refusal with the pipeline's own reason.
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
from edossier.config import Settings
from edossier.errors import EdossierError, InputFileError, LimitExceededError, UnsupportedInputError
from edossier.ingest.sniff import READABLE, SUFFIXES, sniff, sniff_bytes
from edossier.pipeline.process import Material, process_case
from edossier.storage.audit import AuditLog
from edossier.storage.store import Store

log = logging.getLogger(__name__)

_CHUNK = 1 << 20


@dataclass
class Job:
    id: str
    user: str
    case: str
    files: list[str]
    state: str = "queued"
    """queued → running → accepted | refused | failed"""
    progress: list[str] = field(default_factory=list)
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
        self, user: str, case: CaseNumber, uploads: list[Upload], declared_type: str | None, title: str | None
    ) -> Job:
        """Check and keep the uploads, then queue the pipeline run; raises before queuing on any limit."""
        web = self.settings.web
        if not uploads:
            raise UnsupportedInputError("upload", "no file was sent")
        if len(uploads) > web.upload_max_files:
            raise LimitExceededError("upload", f"{len(uploads)} files; at most {web.upload_max_files} at once")
        job = Job(id=secrets.token_hex(8), user=user, case=case.normalized, files=[u.filename for u in uploads])
        folder = self.folder / job.id
        folder.mkdir(parents=True)
        try:
            paths = [self._receive(upload, folder, n) for n, upload in enumerate(uploads, 1)]
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        materials = [
            Material(path=path, declared_type=declared_type or None, title=title or _stem(upload.filename))
            for path, upload in zip(paths, uploads, strict=True)
        ]
        with self._lock:
            self._jobs[job.id] = job
        self._pool.submit(self._run, job, case, materials, folder)
        return job

    def _receive(self, upload: Upload, folder: Path, number: int) -> Path:
        web = self.settings.web
        head = upload.stream.read(1024)
        if sniff_bytes(head) is None:
            raise UnsupportedInputError(upload.filename, f"is not {READABLE}")
        received = folder / f"{number:03d}.upload"
        size = len(head)
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
        return received.rename(folder / f"{number:03d}{SUFFIXES[media_type]}")

    def _run(self, job: Job, case: CaseNumber, materials: list[Material], folder: Path) -> None:
        job.state = "running"
        settings = self.settings.model_copy(update={"user": job.user})
        try:
            summary = process_case(materials, case.normalized, settings, store=self.store, progress=job.progress.append)
        except EdossierError as exc:
            job.state, job.reason = "refused", str(exc)
        except Exception as exc:  # reported to the submitter as a failure, logged in full here
            log.exception("submission %s failed", job.id)
            job.state, job.reason = "failed", f"internal error ({type(exc).__name__}); the court has been told"
        else:
            job.state, job.version = "accepted", summary.version
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
        )


def _stem(filename: str) -> str:
    name = Path(filename.replace("\\", "/")).name
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return "".join(ch for ch in stem if ch.isprintable())[:80] or "网上提交材料"
