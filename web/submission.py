"""Online submission (网上提交): uploaded materials go through the same pipeline as a scan.

Limits are enforced while the upload streams in, before anything reaches the
store: the number of files, the bytes of each (the request is cut off at the
limit), the type, sniffed from the bytes rather than trusted from the name, and
the pages of the whole submission; then what its user and its case already
have waiting (web/submission_queue.py), refused with 429 in Chinese.

An accepted submission is durable before the submitter hears of it: its files
are on disk under the data directory and its job is a row of the shared queue.
Worker threads in every server process take jobs from that queue; a restart
resumes what was waiting or cut off.  Before anything is read for OCR, a job's
pages are checked (web/page_check.py): a submission of mostly blank pages, or
of more than ``review_pages`` pages, is held for a clerk (待审核, with the
reason, visible to the submitter) and published only if a clerk releases it.
The submitter polls the job and sees pages done of the total, then "accepted
into version N", "nothing new: the dossier already holds these files", or the
refusal with the pipeline's reason put in Chinese (no server path reaches the
submitter).

What may be filed is decided before any byte is kept (``check_filing``): a
lawyer files only into a case that exists and they are admitted to, and declares
one of the party's document types, never a court's own (判决书, 传票, 笔录 ...).
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import secrets
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from edossier.casenumber import CaseNumber
from edossier.classify.doctypes import load_doctypes
from edossier.config import Settings, WebSettings
from edossier.errors import (
    EdossierError,
    InputFileError,
    LimitExceededError,
    StoppedBySignal,
    UnsupportedInputError,
)
from edossier.ingest.sniff import READABLE, SUFFIXES, sniff, sniff_bytes
from edossier.pipeline.batch.sqlite_broker import consumer_owner
from edossier.pipeline.process import Material, process_case
from edossier.pipeline.retry import publish_retrying
from edossier.storage.audit import AuditLog
from edossier.storage.manifest import latest_version
from edossier.storage.store import Store
from edossier.types import DossierVersion
from edossier.web.accounts import User, accounts_path
from edossier.web.messages import Refusal, error_message
from edossier.web.page_check import blank_pages, count_pages
from edossier.web.submission_queue import LANES, Job, JobQueue, holding, lane_for, new_owner, retire_owner

log = logging.getLogger(__name__)

_MEDIA_TYPE = {suffix: media_type for media_type, suffix in SUFFIXES.items()}
_CHUNK = 1 << 20
_POLL_S = 0.5
"""how often an idle worker looks for a job another server process queued"""
_SHUTDOWN_GRACE_S = 5.0
_MAX_RUNS = 3
"""runs of one submission cut off by a signal before it is failed (a page that kills its converter for memory)"""
_FAILED = "处理失败（服务器内部错误），已通知法院"


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
    """This server process's side of the shared submission queue: it admits uploads and works the lanes.

    One worker thread per lane (web/submission_queue.py), so a big submission
    occupies the big lane only; every server process runs its own pair.
    """

    def __init__(
        self, settings: Settings, store: Store, audit: AuditLog, on_published: Callable[[CaseNumber], object]
    ) -> None:
        self.settings = settings
        self.store = store
        self.audit = audit
        self.on_published = on_published
        self.folder = settings.data_dir / "web" / "uploads"
        self.queue = JobQueue(accounts_path(settings))
        self.owner = new_owner(consumer_owner())
        self._stop = threading.Event()
        self._wake = {lane: threading.Event() for lane in LANES}
        self._threads = [threading.Thread(target=self._work, args=(lane,), name=f"submission-{lane}", daemon=True)
                         for lane in LANES]
        for thread in self._threads:
            thread.start()

    def shutdown(self) -> None:
        """Take no more jobs; what is still being worked on after a short wait goes back to the queue,
        so the next start (of this or any server process) resumes it."""
        self._stop.set()
        for wake in self._wake.values():
            wake.set()
        deadline = time.monotonic() + _SHUTDOWN_GRACE_S
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        retire_owner(self.owner)
        if released := self.queue.release_claims(self.owner):
            log.warning("shutting down: %d submission(s) back in the queue", released)

    def job(self, job_id: str) -> Job | None:
        return self.queue.job(job_id)

    @contextmanager
    def correcting(self, case: CaseNumber) -> Iterator[None]:
        """Hold CASE while a clerk's catalogue correction publishes its next version in the request
        (``submission_queue.holding``: no submission of the case starts meanwhile, in any server process;
        refused 409 while one is being processed); then wake this process's workers for the jobs that waited."""
        try:
            with holding(self.queue, case.normalized, self.owner, "correction", self.settings.web.case_hold_lease_s):
                yield
        finally:
            for wake in self._wake.values():  # submissions of the case that waited go on now
                wake.set()

    def submit(
        self, user: str, case: CaseNumber, uploads: list[Upload], declared_type: str | None, title: str | None,
        client: str | None = None,
    ) -> Job:
        """Check and keep the uploads, then queue the job durably; raises before queuing on any limit."""
        web = self.settings.web
        job_id = secrets.token_hex(8)
        folder = self.folder / job_id
        try:
            received = [(path, _MEDIA_TYPE[path.suffix], path.stat().st_size)
                        for path in receive_uploads(uploads, folder, web)]
            pages = sum(count_pages(path, media_type, upload.filename)
                        for (path, media_type, _size), upload in zip(received, uploads, strict=True))
            if pages > web.submission_max_pages:
                raise Refusal(f"{pages} pages in one submission (limit {web.submission_max_pages})",
                              f"本次提交共 {pages} 页，超过每次至多 {web.submission_max_pages} 页的限制；请分次提交", 413)
            job = Job(
                id=job_id, user=user, case=case.normalized, client=client, files=[u.filename for u in uploads],
                materials=[{"file": path.name, "media_type": media_type, "type": declared_type or None,
                            "title": title or stem(upload.filename)}
                           for (path, media_type, _size), upload in zip(received, uploads, strict=True)],
                pages=pages, bytes=sum(size for _path, _media_type, size in received), lane=lane_for(pages, web),
            )
            self.queue.admit(job, web)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        self._wake[job.lane].set()
        return job

    def review(self, job_id: str, reviewer: str, release: bool, reason: str | None) -> Job | None:
        """A clerk releases a held submission (it is processed, unchecked) or rejects it (its files go)."""
        job = self.queue.review(job_id, reviewer, release, reason)
        if job is not None:
            if release:
                self._wake[job.lane].set()
            else:
                shutil.rmtree(self.folder / job.id, ignore_errors=True)
        return job

    def _work(self, lane: str) -> None:
        while not self._stop.is_set():
            try:
                for orphan in self.queue.adopt_outcomes(self.owner):
                    self._audit_outcome(orphan, adopted=True)
                job = self.queue.claim(lane, self.owner)
            except sqlite3.Error:
                log.exception("submission queue: claim failed")
                job = None
            if job is None:
                self._wake[lane].wait(_POLL_S)
                self._wake[lane].clear()
                continue
            try:
                self._run(job)
            except Exception:  # the check or the queue itself failed: the submitter hears of it, the log has it
                log.exception("submission %s: worker failed", job.id)
                try:
                    self._end(job, "failed", reason=_FAILED)
                except Exception:  # the database is gone too: the claim lapses with this process
                    log.exception("submission %s: could not record the failure", job.id)

    def _run(self, job: Job) -> None:
        folder = self.folder / job.id
        if job.state == "checking":
            if reason := self._review_reason(job, folder):
                self._end(job, "held", reason=reason)
                return
            if not self.queue.passed_check(job.id, self.owner):
                return  # another submission to the case is being processed; this one waits, checked
        case = CaseNumber.parse(job.case)
        materials = [Material(path=folder / m["file"], declared_type=m["type"], title=m["title"])
                     for m in job.materials]
        before = latest_version(self.store, case)
        try:
            summary = self._process(job, materials)
        except StoppedBySignal as exc:  # the server is being stopped with its process group: run it again
            if job.runs < _MAX_RUNS:
                log.warning("submission %s: run %d cut off (%s); back in the queue", job.id, job.runs, exc)
                self.queue.release_claims(self.owner, job.id)
                return
            log.warning("submission %s: run %d cut off (%s); not tried again", job.id, job.runs, exc)
            self._end(job, "failed", reason=_FAILED)
            return
        except EdossierError as exc:
            log.warning("submission %s refused: %s", job.id, exc)
            self._end(job, "refused", reason=error_message(exc)[1])
            return
        except Exception:  # reported to the submitter as a failure, logged in full here
            log.exception("submission %s failed", job.id)
            self._end(job, "failed", reason=_FAILED)
            return
        # the pipeline publishes nothing when the dossier already holds every file sent
        self._end(job, "accepted" if summary.version > before else "unchanged", version=summary.version)
        try:
            self.on_published(case)
        except Exception:  # the index catches up on its next sync
            log.exception("indexing %s after submission %s failed", case, job.id)

    def _process(self, job: Job, materials: list[Material]) -> DossierVersion:
        """The one pipeline run of a submission, as ``edossier process`` runs it; pages done go to the queue."""
        settings = self.settings.model_copy(update={"user": job.user})
        done = itertools.count(1)
        return publish_retrying(lambda: process_case(
            materials, job.case, settings, store=self.store,
            progress=lambda _line: self.queue.progress(job.id, self.owner, next(done))))

    def _review_reason(self, job: Job, folder: Path) -> str | None:
        """Why the submission must wait for a clerk before it is read, in Chinese; None when it need not."""
        web = self.settings.web
        reasons = []
        if job.pages > web.review_pages:
            reasons.append(f"共 {job.pages} 页，超过 {web.review_pages} 页")
        blank = sum(blank_pages(folder / m["file"], m["media_type"]) for m in job.materials)
        if job.pages and blank / job.pages >= web.review_blank_ratio:
            reasons.append(f"{job.pages} 页中有 {blank} 页为空白页")
        return "；".join(reasons) + "，须经法院审核后方可收入" if reasons else None

    def _end(self, job: Job, state: str, *, version: int | None = None, reason: str | None = None) -> None:
        """Record the outcome (or the hold), then audit it; nothing if this worker's claim was lost meanwhile."""
        if not self.queue.finish(job.id, self.owner, state, version=version, reason=reason):
            log.warning("submission %s: claim lost before it ended %s; another worker has it", job.id, state)
            return
        self._audit_outcome(replace(job, state=state, version=version, reason=reason))

    def _audit_outcome(self, job: Job, *, adopted: bool = False) -> None:
        """Audit JOB's recorded outcome and clear its mark; an adopted one only if its dead worker had not."""
        if job.state != "held":
            shutil.rmtree(self.folder / job.id, ignore_errors=True)
        action = "submission_" + job.state
        if not (adopted and self._in_audit_trail(job, action)):
            self.audit.append(
                job.user,
                action,
                job.case,
                detail={"job": job.id, "files": job.files, "pages": job.pages, "version": job.version,
                        "reason": job.reason, "worker": self.owner},
                client=job.client,
            )
        self.queue.audited(job.id)

    def _in_audit_trail(self, job: Job, action: str) -> bool:
        """Whether the trail already has ACTION for JOB, looking back no further than the job's start."""
        since = dt.datetime.fromtimestamp(job.started or job.created, dt.timezone.utc).isoformat(timespec="milliseconds")
        for entry in self.audit.newest():
            if entry.time < since:
                return False
            if entry.action == action and entry.detail.get("job") == job.id:
                return True
        return False

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
            out.flush()
            os.fsync(out.fileno())  # on disk before the sender is told it was received
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
