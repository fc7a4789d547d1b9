"""The durable queue of online submissions: one table in the account database.

Why a job table and not the batch's dramatiq broker: a submission is one
pipeline run whose state the submitter polls (pages done of the total, held for
review and why, accepted into which version) long after it ran, which a clerk
reviews, and which counts against per-user and per-case limits at the moment it
is admitted.  A broker message is none of that: it is deleted when
acknowledged, and on Redis or RabbitMQ it cannot be counted or queried with the
limits in one transaction.  The account database is already the state every
server process shares (sessions, sign-in failures), so the queue lives there,
and ``serve --workers N`` needs no other server.

A job row is written, and the uploaded files are on disk under the data
directory, before the submitter gets an answer.  An outcome (or a hold) is
recorded in the row first, marked as not yet in the audit trail; the worker
then appends the audit entry and clears the mark.  A server killed in between
leaves the mark, and a live worker adopts the outcome and audits it, once: the
outcome is neither lost nor audited twice.  Each server process runs one
worker thread per lane; a worker claims a job with one write transaction
(``BEGIN IMMEDIATE``: SQLite lets one writer at a time, across processes), so
no two processes run the same job.  A claim records its owner (host, pid and a
token, as the SQLite broker's consumers do); a job whose owner is gone, or
that an earlier run of this same process id claimed, goes back to the queue,
so a restart resumes what was cut off.  At most one job per case is processed
at a time (publishing takes the case's next version number); checking a
submission's pages does not hold the case.  A version published outside the
queue (a clerk's catalogue correction in the reader; at a terminal ``edossier
catalogue``, ``process``, ``scan``, ``watch``, ``archive``: pipeline/case_hold.py)
holds its case here too (``holding``): no job of the case starts while it is
held, and it is not held while a job of the case runs, so the two never bind
onto the same version.  A hold names what it publishes, so whoever it turns
away is told, and it lasts only while its holder renews it: a holder killed on
this host lets go at once (its pid is gone), one on another host (or in another
container) when its lease runs out.

Lanes: a submission of up to ``small_submission_pages`` pages waits only
behind other small ones; a big one (3,000 pages) never delays a one-page filing.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from edossier.config.settings import WebSettings
from edossier.errors import ExitCode
from edossier.pipeline.batch.sqlite_broker import owner_dead
from edossier.web.messages import Refusal

log = logging.getLogger(__name__)

SMALL, LARGE = "small", "large"
LANES = (SMALL, LARGE)
WAITING = ("queued", "checking", "running", "held")
"""States of a submission not yet finished: they count against the limits."""
CLAIMED = ("checking", "running")
FINAL = ("accepted", "unchanged", "refused", "failed", "rejected")
STATE_NAMES = {
    "queued": "排队中", "checking": "检查中", "running": "处理中", "held": "待审核",
    "accepted": "已收入", "unchanged": "未新增材料", "refused": "未收入", "failed": "处理失败", "rejected": "已退回",
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS submission_jobs (
    id TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    case_no TEXT NOT NULL,
    client TEXT,
    files TEXT NOT NULL,
    materials TEXT NOT NULL,
    pages INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    lane TEXT NOT NULL,
    state TEXT NOT NULL,
    checked INTEGER NOT NULL DEFAULT 0,
    owner TEXT,
    runs INTEGER NOT NULL DEFAULT 0,
    pages_done INTEGER NOT NULL DEFAULT 0,
    version INTEGER,
    reason TEXT,
    reviewed_by TEXT,
    created REAL NOT NULL,
    started REAL,
    checked_at REAL,
    finished REAL,
    audited INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS submission_jobs_lane ON submission_jobs(state, lane, created);
CREATE INDEX IF NOT EXISTS submission_jobs_user ON submission_jobs(user, state);
CREATE INDEX IF NOT EXISTS submission_jobs_case ON submission_jobs(case_no, state);
CREATE TABLE IF NOT EXISTS case_holds (
    case_no TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    since REAL NOT NULL,
    act TEXT NOT NULL DEFAULT 'correction',
    expires REAL
);
"""
_HOLD_COLUMNS = {"act": "TEXT NOT NULL DEFAULT 'correction'", "expires": "REAL"}
"""Added to ``case_holds`` later: a hold an older server took is a correction's, and it renews none (``_UNRENEWED_S``)."""
_UNRENEWED_S = 3600.0
"""A hold with no lease (taken by a server older than leases) lapses this long after it was taken: a correction
takes seconds, and a holder killed on another host must not block its case for ever."""
_UNAUDITED_INDEX = "CREATE INDEX IF NOT EXISTS submission_jobs_unaudited ON submission_jobs(owner) WHERE audited = 0"

_COLUMNS = ("id, user, case_no, client, files, materials, pages, bytes, lane, state, checked, owner, runs, "
            "pages_done, version, reason, reviewed_by, created, started, checked_at, finished")
_LIVE: set[str] = set()
"""Owners claiming in this process now; a claim by this pid under another token is a dead incarnation's."""


@dataclass(frozen=True)
class Job:
    id: str
    user: str
    case: str
    client: str | None
    files: list[str]
    materials: list[dict[str, Any]]
    """per uploaded file: its name in the job's upload folder, media type, declared type and title"""
    pages: int
    bytes: int
    lane: str
    state: str = "queued"
    checked: bool = False
    """its pages passed the check, or a clerk released it"""
    owner: str | None = None
    runs: int = 0
    """times a worker took it to be processed: 1, unless a server stopped while processing it"""
    pages_done: int = 0
    version: int | None = None
    reason: str | None = None
    reviewed_by: str | None = None
    created: float = field(default_factory=time.time)
    started: float | None = None
    checked_at: float | None = None
    finished: float | None = None

    def as_dict(self) -> dict[str, object]:
        """What the submitter (and a reviewing clerk) sees."""
        return {
            "id": self.id, "user": self.user, "case": self.case, "files": self.files, "state": self.state,
            "state_name": STATE_NAMES[self.state], "pages": self.pages, "pages_done": self.pages_done,
            "progress": f"已处理 {self.pages_done} / {self.pages} 页", "version": self.version,
            "reason": self.reason, "reviewed_by": self.reviewed_by, "created": self.created,
            "started": self.started, "checked_at": self.checked_at, "finished": self.finished,
        }


def lane_for(pages: int, web: WebSettings) -> str:
    return SMALL if pages <= web.small_submission_pages else LARGE


def new_owner(owner: str) -> str:
    """Register OWNER (host:pid:token) as claiming in this process."""
    _LIVE.add(owner)
    return owner


def retire_owner(owner: str) -> None:
    _LIVE.discard(owner)


def _gone(owner: str) -> bool:
    host, pid, _token = owner.rsplit(":", 2)
    if host == socket.gethostname() and pid == str(os.getpid()):
        return owner not in _LIVE
    return owner_dead(owner)


class JobQueue:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        self.db.executescript(_SCHEMA)
        if "audited" not in {row[1] for row in self.db.execute("PRAGMA table_info(submission_jobs)")}:
            self.db.execute("ALTER TABLE submission_jobs ADD COLUMN audited INTEGER NOT NULL DEFAULT 1")  # 0.6 queues
        held = {row[1] for row in self.db.execute("PRAGMA table_info(case_holds)")}
        for column, kind in _HOLD_COLUMNS.items():
            if column not in held:
                try:
                    self.db.execute(f"ALTER TABLE case_holds ADD COLUMN {column} {kind}")
                except sqlite3.OperationalError as exc:  # another process opening the same old queue added it
                    if "duplicate column" not in str(exc):
                        raise
        self.db.execute(_UNAUDITED_INDEX)

    @property
    def db(self) -> sqlite3.Connection:
        """One connection per thread; WAL so readers (status polls) never wait for a claim."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            self._local.db = db
        return db

    def _write(self) -> sqlite3.Connection:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        return db

    # --- admission --------------------------------------------------------------------

    def admit(self, job: Job, web: WebSettings) -> None:
        """Record JOB as queued, or refuse it (429, in Chinese) if its user or case has too much waiting."""
        db = self._write()
        try:
            marks = ",".join("?" * len(WAITING))
            for column, value, names, limits in (
                ("user", job.user, "您", (web.user_waiting_jobs, web.user_waiting_pages, web.user_waiting_bytes)),
                ("case_no", job.case, "本案", (web.case_waiting_jobs, web.case_waiting_pages, web.case_waiting_bytes)),
            ):
                jobs, pages, size = db.execute(
                    f"SELECT COUNT(*), COALESCE(SUM(pages), 0), COALESCE(SUM(bytes), 0) FROM submission_jobs"
                    f" WHERE {column} = ? AND state IN ({marks})", (value, *WAITING),
                ).fetchone()
                max_jobs, max_pages, max_bytes = limits
                if jobs + 1 > max_jobs:
                    raise Refusal(f"{column} {value}: {jobs} submissions waiting (limit {max_jobs})",
                                  f"{names}尚有 {jobs} 份提交未处理完，至多 {max_jobs} 份；请待处理完后再提交", 429)
                if pages + job.pages > max_pages:
                    raise Refusal(f"{column} {value}: {pages} + {job.pages} pages waiting (limit {max_pages})",
                                  f"{names}待处理的材料共 {pages} 页，加上本次 {job.pages} 页将超过 {max_pages} 页的限额；"
                                  "请待处理完后再提交", 429)
                if size + job.bytes > max_bytes:
                    raise Refusal(f"{column} {value}: {size} + {job.bytes} bytes waiting (limit {max_bytes})",
                                  f"{names}待处理的材料将超过 {_size(max_bytes)} 的限额；请待处理完后再提交", 429)
            db.execute(
                f"INSERT INTO submission_jobs ({_COLUMNS}) VALUES ({','.join('?' * 21)})",
                (job.id, job.user, job.case, job.client, json.dumps(job.files, ensure_ascii=False),
                 json.dumps(job.materials, ensure_ascii=False), job.pages, job.bytes, job.lane, "queued", 0, None,
                 0, 0, None, None, None, job.created, None, None, None),
            )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # --- workers ----------------------------------------------------------------------

    def claim(self, lane: str, owner: str) -> Job | None:
        """The oldest job of LANE this worker may take, now claimed by OWNER; None when there is none.

        An unchecked job is taken to be checked (state ``checking``); a checked one
        to be processed (``running``), unless another job of its case is running.
        An idle queue is looked at without the write lock, so polling workers never
        make the account database's other writers (sign-ins, sessions) wait.
        """
        if self.db.execute(
            "SELECT 1 FROM submission_jobs WHERE (state = 'queued' AND lane = ?) OR state IN (?, ?) LIMIT 1",
            (lane, *CLAIMED),
        ).fetchone() is None:
            return None
        db = self._write()
        try:
            for (gone,) in db.execute(
                "SELECT DISTINCT owner FROM submission_jobs WHERE state IN (?, ?) AND owner IS NOT NULL", CLAIMED
            ).fetchall():
                if _gone(gone):
                    db.execute("UPDATE submission_jobs SET state = 'queued', owner = NULL "
                               "WHERE owner = ? AND state IN (?, ?)", (gone, *CLAIMED))
            _drop_dead_holds(db)
            row = db.execute(
                "SELECT id, checked FROM submission_jobs WHERE state = 'queued' AND lane = ? AND (checked = 0 OR "
                f"case_no NOT IN ({_BUSY_CASES})) ORDER BY created LIMIT 1",
                (lane,),
            ).fetchone()
            if row is not None:
                db.execute(
                    "UPDATE submission_jobs SET state = ?, owner = ?, runs = runs + ?, started = COALESCE(started, ?)"
                    " WHERE id = ? AND state = 'queued'",
                    ("running" if row[1] else "checking", owner, int(row[1]), time.time(), row[0]),
                )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return self.job(row[0]) if row else None

    def passed_check(self, job_id: str, owner: str) -> bool:
        """Record that the job's pages passed the check; True when its owner goes on to process it now,
        False when another job of the case is running (it waits in the queue, checked)."""
        db = self._write()
        try:
            busy = db.execute(
                f"SELECT 1 FROM ({_BUSY_CASES}) WHERE case_no = (SELECT case_no FROM submission_jobs WHERE id = ?)",
                (job_id,)
            ).fetchone()
            db.execute(
                "UPDATE submission_jobs SET checked = 1, checked_at = ?, state = ?, owner = ?, runs = runs + ?"
                " WHERE id = ? AND owner = ? AND state = 'checking'",
                (time.time(), "queued" if busy else "running", None if busy else owner, int(not busy), job_id, owner),
            )
            mine = db.execute("SELECT state FROM submission_jobs WHERE id = ? AND owner = ?",
                              (job_id, owner)).fetchone()
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return mine is not None and mine[0] == "running"

    def progress(self, job_id: str, owner: str, pages_done: int) -> None:
        self.db.execute("UPDATE submission_jobs SET pages_done = MAX(pages_done, ?) WHERE id = ? AND owner = ?",
                        (pages_done, job_id, owner))

    def finish(self, job_id: str, owner: str, state: str, *, version: int | None = None,
               reason: str | None = None) -> bool:
        """End OWNER's claim with STATE (``held`` or a final state), to be audited by OWNER next (see
        ``audited``); False if the claim was lost meanwhile."""
        done = state != "held"
        cursor = self.db.execute(
            "UPDATE submission_jobs SET state = ?, version = ?, reason = ?, audited = 0,"
            " checked_at = COALESCE(checked_at, ?), finished = ?,"
            " pages_done = CASE WHEN ? THEN pages ELSE pages_done END"
            " WHERE id = ? AND owner = ? AND state IN (?, ?)",
            (state, version, reason, time.time(), time.time() if done else None, state in ("accepted", "unchanged"),
             job_id, owner, *CLAIMED),
        )
        return cursor.rowcount == 1

    def audited(self, job_id: str) -> None:
        """The outcome of JOB_ID is in the audit trail: the job no longer belongs to a worker."""
        self.db.execute("UPDATE submission_jobs SET audited = 1, owner = NULL WHERE id = ? AND audited = 0",
                        (job_id,))

    def adopt_outcomes(self, owner: str) -> list[Job]:
        """Outcomes whose worker died before auditing them, now OWNER's to audit (each adopted by one worker)."""
        ended = ("held", *FINAL)
        marks = ",".join("?" * len(ended))
        owners = [o for (o,) in self.db.execute(
            f"SELECT DISTINCT owner FROM submission_jobs WHERE audited = 0 AND state IN ({marks})", ended)]
        if not any(_gone(o) for o in owners if o):
            return []
        db = self._write()
        try:
            rows = db.execute(f"SELECT id, owner FROM submission_jobs WHERE audited = 0 AND state IN ({marks})",
                              ended).fetchall()
            adopted = [id_ for id_, old in rows if old and _gone(old)]
            db.executemany("UPDATE submission_jobs SET owner = ? WHERE id = ?", [(owner, id_) for id_ in adopted])
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return [job for id_ in adopted if (job := self.job(id_)) is not None]

    def release_claims(self, owner: str, job_id: str | None = None) -> int:
        """Put back in the queue what OWNER was checking or running (a server shutting down), or only
        JOB_ID (its run was cut off)."""
        where = "owner = ? AND state IN (?, ?)" + (" AND id = ?" if job_id else "")
        return self.db.execute(f"UPDATE submission_jobs SET state = 'queued', owner = NULL WHERE {where}",
                               (owner, *CLAIMED, *([job_id] if job_id else []))).rowcount

    # --- publications outside the queue ----------------------------------------------------

    def hold_case(self, case: str, owner: str, act: Act, lease_s: float) -> str | None:
        """Hold CASE for OWNER, who is about to publish a version of it outside the queue (ACT); None when held now.

        Otherwise why not: ``running`` (a job of the case is being processed: it
        publishes the next version) or the act of whoever holds it.  The hold lasts
        LEASE_S unless renewed (``renew_case``).  A hold whose owner is gone (a
        server or command killed mid-publication) or whose lease ran out no longer counts.
        """
        db = self._write()
        try:
            _drop_dead_holds(db)
            holder = db.execute("SELECT act FROM case_holds WHERE case_no = ?", (case,)).fetchone()
            if db.execute("SELECT 1 FROM submission_jobs WHERE case_no = ? AND state = 'running' LIMIT 1",
                          (case,)).fetchone():
                busy: str | None = "running"
            elif holder is not None:
                busy = holder[0]
            else:
                busy = None
                now = time.time()
                db.execute("INSERT INTO case_holds (case_no, owner, since, act, expires) VALUES (?, ?, ?, ?, ?)",
                           (case, owner, now, act, now + lease_s))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return busy

    def renew_case(self, case: str, owner: str, lease_s: float) -> bool:
        """OWNER still publishes CASE: its hold lasts LEASE_S from now.  False if it no longer holds it."""
        return self.db.execute("UPDATE case_holds SET expires = ? WHERE case_no = ? AND owner = ?",
                               (time.time() + lease_s, case, owner)).rowcount == 1

    def release_case(self, case: str, owner: str) -> None:
        """End OWNER's hold of CASE: its waiting jobs may be processed again."""
        self.db.execute("DELETE FROM case_holds WHERE case_no = ? AND owner = ?", (case, owner))

    # --- review -----------------------------------------------------------------------

    def review(self, job_id: str, reviewer: str, release: bool, reason: str | None) -> Job | None:
        """A clerk's decision on a held job: back to the queue, checked (release), or rejected; None if not held."""
        if release:
            sql = ("UPDATE submission_jobs SET state = 'queued', checked = 1, reviewed_by = ?, reason = NULL"
                   " WHERE id = ? AND state = 'held'")
            args: tuple[object, ...] = (reviewer, job_id)
        else:
            sql = ("UPDATE submission_jobs SET state = 'rejected', reviewed_by = ?, reason = ?, finished = ?"
                   " WHERE id = ? AND state = 'held'")
            args = (reviewer, reason, time.time(), job_id)
        if self.db.execute(sql, args).rowcount != 1:
            return None
        return self.job(job_id)

    # --- reading ----------------------------------------------------------------------

    def job(self, job_id: str) -> Job | None:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM submission_jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def jobs(self, *, user: str | None = None, states: tuple[str, ...] = (), limit: int = 100) -> list[Job]:
        """Newest first: one user's, or every user's in STATES (a clerk's review list)."""
        where: list[str] = []
        args: list[object] = []
        if user is not None:
            where.append("user = ?")
            args.append(user)
        if states:
            where.append(f"state IN ({','.join('?' * len(states))})")
            args.extend(states)
        sql = f"SELECT {_COLUMNS} FROM submission_jobs {'WHERE ' + ' AND '.join(where) if where else ''}"
        return [_job(r) for r in self.db.execute(f"{sql} ORDER BY created DESC LIMIT ?", (*args, limit))]


Act = Literal["correction", "filing", "archiving"]
"""What a hold publishes outside the queue: a catalogue correction (the reader, ``edossier catalogue``), new
material (``edossier process``, ``scan``, ``watch``), an archive act (``edossier archive``, ``archive renew``)."""

_DOING: dict[str, tuple[str, str]] = {
    "running": ("a submission of the case is being processed", "本案有新提交的材料正在收入卷宗"),
    "correction": ("another correction of the case is being published", "本案的编目正在由他人更正"),
    "filing": ("new material is being filed into the case elsewhere", "本案正在由他人收入新材料"),
    "archiving": ("the case is being sealed into the archive", "本案卷宗正在归档封存"),
}
"""Why a case is busy, by what holds it (``hold_case``): English, then the reader's words."""
_AGAIN: dict[Act, str] = {
    "correction": "请稍候打开最新版本后再更正",
    "filing": "请稍候再收入",
    "archiving": "请稍候再归档",
}
"""What whoever was turned away is told to do, by what it meant to publish."""
_WAIT_S = 2.0
"""How often a publication that waits its turn (a hot folder's) asks again."""


class CaseBusy(Refusal):
    """A publication refused because its case's next version is being published by someone else (409 in the reader).

    The message carries the reader's sentence too: at a terminal it is the one line the clerk reads.
    """

    exit_code = ExitCode.conflict

    def __init__(self, why: str, chinese: str) -> None:
        super().__init__(f"{why}; {chinese}", chinese, 409)
        self.why = why


@contextmanager
def holding(queue: JobQueue, case: str, owner: str, act: Act, lease_s: float, *,
            waiting: Callable[[CaseBusy], None] | None = None) -> Iterator[None]:
    """Hold CASE for OWNER while ACT publishes its next version outside the queue; released on exit.

    The one hold of every publication outside the queue, the reader's corrections
    and every terminal's: none binds onto the version a submission of the case is
    about to publish (one of them would lose the number and leave its sealed PDF
    in the store unnamed).  Refused (``CaseBusy``) while a submission of the case
    is being processed, or while another publication holds it; with WAITING, told
    why (again whenever the reason changes) and asked again until the case is free.
    A thread renews the hold every quarter of LEASE_S while it is held, so a
    holder that dies anywhere lets go within LEASE_S.
    """
    told = ""
    while (busy := queue.hold_case(case, owner, act, lease_s)) is not None:
        why, chinese = _DOING.get(busy, _DOING["correction"])
        refusal = CaseBusy(f"case {case}: {why}", f"{chinese}，{_AGAIN[act]}")
        if waiting is None:
            raise refusal
        if str(refusal) != told:
            waiting(refusal)
            told = str(refusal)
        time.sleep(_WAIT_S)
    stop = threading.Event()
    renewing = threading.Thread(target=_renew, args=(queue, case, owner, lease_s, stop), daemon=True,
                                name=f"case-hold-{case}")
    renewing.start()
    try:
        yield
    finally:
        stop.set()
        renewing.join()
        queue.release_case(case, owner)


def _renew(queue: JobQueue, case: str, owner: str, lease_s: float, stop: threading.Event) -> None:
    """Renew OWNER's hold of CASE until STOP; a hold found gone (its lease ran out unrenewed) is said in the log."""
    while not stop.wait(lease_s / 4):
        try:
            if not queue.renew_case(case, owner, lease_s):
                log.warning("case %s: the hold of %s lapsed before its publication ended", case, owner)
                return
        except sqlite3.Error:  # the database busy past its timeout: the next renewal may succeed
            log.exception("case %s: renewing the hold of %s failed", case, owner)


_BUSY_CASES = ("SELECT case_no FROM submission_jobs WHERE state = 'running' UNION SELECT case_no FROM case_holds")
"""Cases whose next version is being published: no other job of theirs may start."""


def _drop_dead_holds(db: sqlite3.Connection) -> None:
    """Forget holds whose owner is gone or whose lease ran out unrenewed (inside a write transaction)."""
    db.execute("DELETE FROM case_holds WHERE COALESCE(expires, since + ?) < ?", (_UNRENEWED_S, time.time()))
    for (owner,) in db.execute("SELECT DISTINCT owner FROM case_holds").fetchall():
        if _gone(owner):
            db.execute("DELETE FROM case_holds WHERE owner = ?", (owner,))


def _size(n: int) -> str:
    return f"{n / 1024**2:.0f} MB" if n >= 1024**2 else f"{max(1, n // 1024)} KB"


def _job(row: tuple[Any, ...]) -> Job:
    (id_, user, case, client, files, materials, pages, size, lane, state, checked, owner, runs, pages_done,
     version, reason, reviewed_by, created, started, checked_at, finished) = row
    return Job(id=id_, user=user, case=case, client=client, files=json.loads(files), materials=json.loads(materials),
               pages=pages, bytes=size, lane=lane, state=state, checked=bool(checked), owner=owner, runs=runs,
               pages_done=pages_done, version=version, reason=reason, reviewed_by=reviewed_by, created=created,
               started=started, checked_at=checked_at, finished=finished)
