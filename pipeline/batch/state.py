"""The batch state store: what every worker on every machine agrees on.

Page images, OCR results and bound PDFs live in the object store; this database
holds only small facts: which materials each case has, which pages are done,
which document each material became, who holds a case's binding lease, what
failed and why.  Every write is one atomic statement (or one short transaction),
so a worker killed between two of them leaves a state the next worker can
continue from.  Triggers ("the last page of a document", "the last document of
a case") are claims: an UPDATE that only one message can win, keyed by that
message's id so that the same message, redelivered after a crash, wins again.

SQLite serves one machine (the embedded default); PostgreSQL serves workers on
many machines.  The SQL is the subset both run alike.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse

from edossier.errors import EdossierError, NotFoundError
from edossier.types import Page, SourceFile

if TYPE_CHECKING:
    from edossier.config import Settings

SCHEMA = """
CREATE TABLE IF NOT EXISTS batch (
    id TEXT PRIMARY KEY, source TEXT NOT NULL, settings TEXT NOT NULL, created DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS bcase (
    batch TEXT NOT NULL, case_no TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending',
    reason TEXT, bind_claim TEXT, binder TEXT, lease_until DOUBLE PRECISION, version INTEGER,
    signed TEXT, finished DOUBLE PRECISION, PRIMARY KEY (batch, case_no));
CREATE TABLE IF NOT EXISTS material (
    batch TEXT NOT NULL, case_no TEXT NOT NULL, idx INTEGER NOT NULL, path TEXT NOT NULL,
    declared_type TEXT, source TEXT, pages TEXT, document TEXT, classify_claim TEXT,
    PRIMARY KEY (batch, case_no, idx));
CREATE TABLE IF NOT EXISTS page (
    batch TEXT NOT NULL, case_no TEXT NOT NULL, idx INTEGER NOT NULL, page_no INTEGER NOT NULL,
    raster INTEGER NOT NULL, ocr_key TEXT, done DOUBLE PRECISION, PRIMARY KEY (batch, case_no, idx, page_no));
CREATE TABLE IF NOT EXISTS dead_letter (
    batch TEXT NOT NULL, case_no TEXT NOT NULL, actor TEXT NOT NULL, message_id TEXT NOT NULL,
    reason TEXT NOT NULL, time DOUBLE PRECISION NOT NULL, PRIMARY KEY (batch, case_no, message_id));
CREATE TABLE IF NOT EXISTS timing (
    batch TEXT NOT NULL, actor TEXT NOT NULL, messages INTEGER NOT NULL, seconds DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (batch, actor));
"""


@dataclass(frozen=True)
class PlannedMaterial:
    path: str
    declared_type: str | None


@dataclass(frozen=True)
class MaterialRecord:
    case_no: str
    idx: int
    path: str
    declared_type: str | None
    source: SourceFile | None
    pages: tuple[Page, ...] | None
    document: str | None


class _Cursor(Protocol):
    """What the state reads of a query's result: sqlite3's and psycopg's cursors both have it."""

    @property
    def rowcount(self) -> int: ...

    @property
    def description(self) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class _Raw(Protocol):
    """A sqlite3 or a psycopg connection, as used here."""

    def execute(self, sql: str, args: Sequence[Any] = ..., /) -> _Cursor: ...


class _Connection:
    """One database connection in autocommit mode; SQL is written with ``?`` and adapted for PostgreSQL."""

    def __init__(self, uri: str) -> None:
        parsed = urlparse(uri)
        self.postgres = parsed.scheme in ("postgresql", "postgres")
        if self.postgres:
            import psycopg

            self.raw: _Raw = psycopg.connect(uri, autocommit=True)
        else:
            self.raw = sqlite3.connect(parsed.path, timeout=120, isolation_level=None)
            self.raw.execute("PRAGMA journal_mode=WAL")
            self.raw.execute("PRAGMA synchronous=NORMAL")

    def execute(self, sql: str, args: Sequence[Any] = ()) -> _Cursor:
        return self.raw.execute(sql.replace("?", "%s") if self.postgres else sql, tuple(args))

    def begin(self) -> None:
        self.raw.execute("BEGIN" if self.postgres else "BEGIN IMMEDIATE")


class BatchState:
    """One batch database, shared by the enqueuer, every worker and ``edossier status``."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self._local = threading.local()
        with self._tx() as db:
            if db.postgres:  # workers starting together must not race to create the tables
                db.execute("SELECT pg_advisory_xact_lock(7410)")
            for statement in filter(str.strip, SCHEMA.split(";")):
                db.execute(statement)
            columns = {d[0] for d in db.execute("SELECT * FROM bcase WHERE 1 = 0").description}
            if "signed" not in columns:  # a batch begun by an earlier version, resumed by this one
                db.execute("ALTER TABLE bcase ADD COLUMN signed TEXT")

    @property
    def _db(self) -> _Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = _Connection(self.uri)
        return db

    @contextmanager
    def _tx(self) -> Iterator[_Connection]:
        db = self._db
        db.begin()
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _one(self, sql: str, *args: Any) -> Any:
        return self._db.execute(sql, args).fetchone()

    # -- planning ---------------------------------------------------------

    def create(self, batch: str, source: Path, settings: dict[str, Any],
               cases: Mapping[str, Sequence[PlannedMaterial]]) -> None:
        """Record the plan; a batch planned before keeps its state (this is how a rerun resumes)."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO batch (id, source, settings, created) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (batch, str(source), json.dumps(settings), time.time()),
            )
            for case_no, materials in cases.items():
                db.execute("INSERT INTO bcase (batch, case_no) VALUES (?, ?) ON CONFLICT DO NOTHING", (batch, case_no))
                for idx, m in enumerate(materials):
                    db.execute(
                        "INSERT INTO material (batch, case_no, idx, path, declared_type) VALUES (?, ?, ?, ?, ?)"
                        " ON CONFLICT DO NOTHING",
                        (batch, case_no, idx, m.path, m.declared_type),
                    )

    def batch(self, batch: str) -> tuple[Path, dict[str, Any]]:
        row = self._one("SELECT source, settings FROM batch WHERE id = ?", batch)
        if row is None:
            raise NotFoundError(f"batch {batch}: not found in {self.uri}")
        return Path(row[0]), json.loads(row[1])

    def batches(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT id FROM batch ORDER BY created")]

    # -- materials and pages ----------------------------------------------

    def material(self, batch: str, case_no: str, idx: int) -> MaterialRecord:
        row = self._one(
            "SELECT path, declared_type, source, pages, document FROM material WHERE batch = ? AND case_no = ? AND idx = ?",
            batch, case_no, idx,
        )
        if row is None:
            raise NotFoundError(f"batch {batch}: no material {idx} in case {case_no}")
        return _material(case_no, idx, row)

    def materials(self, batch: str, case_no: str) -> list[MaterialRecord]:
        rows = self._db.execute(
            "SELECT path, declared_type, source, pages, document, idx FROM material"
            " WHERE batch = ? AND case_no = ? ORDER BY idx",
            (batch, case_no),
        )
        return [_material(case_no, row[5], row[:5]) for row in rows]

    def record_pages(self, batch: str, case_no: str, idx: int, source: SourceFile, pages: Sequence[Page]) -> None:
        """A material has been read: its pages exist; born-digital pages need no OCR and are done at once."""
        now = time.time()
        with self._tx() as db:
            db.execute(
                "UPDATE material SET source = ?, pages = ? WHERE batch = ? AND case_no = ? AND idx = ? AND pages IS NULL",
                (source.model_dump_json(), json.dumps([p.model_dump(mode="json") for p in pages]), batch, case_no, idx),
            )
            for page in pages:
                raster = page.kind == "raster"
                db.execute(
                    "INSERT INTO page (batch, case_no, idx, page_no, raster, done) VALUES (?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT DO NOTHING",
                    (batch, case_no, idx, page.index, int(raster), None if raster else now),
                )

    def page_ocr_key(self, batch: str, case_no: str, idx: int, page_no: int) -> str | None:
        row = self._one(
            "SELECT ocr_key FROM page WHERE batch = ? AND case_no = ? AND idx = ? AND page_no = ? AND done IS NOT NULL",
            batch, case_no, idx, page_no,
        )
        return row[0] if row else None

    def page_done(self, batch: str, case_no: str, idx: int, page_no: int, ocr_key: str | None) -> None:
        self._db.execute(
            "UPDATE page SET done = ?, ocr_key = ? WHERE batch = ? AND case_no = ? AND idx = ? AND page_no = ?"
            " AND done IS NULL",
            (time.time(), ocr_key, batch, case_no, idx, page_no),
        )

    def undone_pages(self, batch: str, case_no: str, idx: int) -> list[int]:
        rows = self._db.execute(
            "SELECT page_no FROM page WHERE batch = ? AND case_no = ? AND idx = ? AND done IS NULL ORDER BY page_no",
            (batch, case_no, idx),
        )
        return [r[0] for r in rows]

    def claim_classify(self, batch: str, case_no: str, idx: int, claimant: str) -> bool:
        """True for exactly one message once the material's last page is done (and for it again if redelivered)."""
        self._db.execute(
            "UPDATE material SET classify_claim = ? WHERE batch = ? AND case_no = ? AND idx = ?"
            " AND classify_claim IS NULL AND pages IS NOT NULL AND NOT EXISTS (SELECT 1 FROM page"
            " WHERE page.batch = material.batch AND page.case_no = material.case_no AND page.idx = material.idx"
            " AND page.done IS NULL)",
            (claimant, batch, case_no, idx),
        )
        row = self._one("SELECT classify_claim, document FROM material WHERE batch = ? AND case_no = ? AND idx = ?",
                        batch, case_no, idx)
        return row is not None and row[0] == claimant and row[1] is None

    def set_document(self, batch: str, case_no: str, idx: int, document_json: str) -> None:
        self._db.execute(
            "UPDATE material SET document = ? WHERE batch = ? AND case_no = ? AND idx = ? AND document IS NULL",
            (document_json, batch, case_no, idx),
        )

    # -- cases ------------------------------------------------------------

    def claim_bind(self, batch: str, case_no: str, claimant: str) -> bool:
        """True for exactly one message once the case's last document is classified."""
        self._db.execute(
            "UPDATE bcase SET bind_claim = ? WHERE batch = ? AND case_no = ? AND bind_claim IS NULL"
            " AND state = 'pending' AND NOT EXISTS (SELECT 1 FROM material WHERE material.batch = bcase.batch"
            " AND material.case_no = bcase.case_no AND material.document IS NULL)",
            (claimant, batch, case_no),
        )
        row = self._one("SELECT bind_claim, state FROM bcase WHERE batch = ? AND case_no = ?", batch, case_no)
        return row is not None and tuple(row) == (claimant, "pending")

    def take_lease(self, batch: str, case_no: str, holder: str, seconds: float) -> bool:
        """One binder per case at a time; the same message (redelivered after a crash) gets it back at once."""
        now = time.time()
        cursor = self._db.execute(
            "UPDATE bcase SET binder = ?, lease_until = ? WHERE batch = ? AND case_no = ? AND state = 'pending'"
            " AND (binder IS NULL OR binder = ? OR lease_until < ?)",
            (holder, now + seconds, batch, case_no, holder, now),
        )
        return cursor.rowcount == 1

    def case_state(self, batch: str, case_no: str) -> str:
        row = self._one("SELECT state FROM bcase WHERE batch = ? AND case_no = ?", batch, case_no)
        if row is None:
            raise NotFoundError(f"batch {batch}: no case {case_no}")
        return str(row[0])

    def case_version(self, batch: str, case_no: str, proposed: int) -> int:
        """The version this batch publishes for the case, fixed the first time it is asked."""
        self._db.execute(
            "UPDATE bcase SET version = ? WHERE batch = ? AND case_no = ? AND version IS NULL", (proposed, batch, case_no)
        )
        return int(self._one("SELECT version FROM bcase WHERE batch = ? AND case_no = ?", batch, case_no)[0])

    def refix_version(self, batch: str, case_no: str, taken: int, proposed: int) -> int:
        """Move the case's version from TAKEN (published by another writer) to PROPOSED; the one fixed now.

        The signed volumes noted for TAKEN go with it: they grew from the version
        before TAKEN, so they can never be published as PROPOSED.  Only a version
        still fixed at TAKEN moves (one UPDATE), so two binders of the case that both
        found it taken agree on one new number.
        """
        self._db.execute(
            "UPDATE bcase SET version = ?, signed = NULL WHERE batch = ? AND case_no = ? AND version = ?",
            (proposed, batch, case_no, taken),
        )
        return int(self._one("SELECT version FROM bcase WHERE batch = ? AND case_no = ?", batch, case_no)[0])

    def signed_volumes(self, batch: str, case_no: str) -> dict[str, dict[str, Any]]:
        """The case's signed volumes noted before sealing (steps.Journal): volume → {"key", "entries"}."""
        row = self._one("SELECT signed FROM bcase WHERE batch = ? AND case_no = ?", batch, case_no)
        return json.loads(row[0]) if row and row[0] else {}

    def note_signed(self, batch: str, case_no: str, volume: str, record: dict[str, Any]) -> None:
        with self._tx() as db:
            row = db.execute("SELECT signed FROM bcase WHERE batch = ? AND case_no = ?", (batch, case_no)).fetchone()
            noted = (json.loads(row[0]) if row and row[0] else {}) | {volume: record}
            db.execute("UPDATE bcase SET signed = ? WHERE batch = ? AND case_no = ?",
                       (json.dumps(noted, ensure_ascii=False), batch, case_no))

    def finish_case(self, batch: str, case_no: str) -> bool:
        """Mark the case published; True only for the call that changed it."""
        cursor = self._db.execute(
            "UPDATE bcase SET state = 'done', finished = ? WHERE batch = ? AND case_no = ? AND state = 'pending'",
            (time.time(), batch, case_no),
        )
        return cursor.rowcount == 1

    def fail_case(self, batch: str, case_no: str, actor: str, message_id: str, reason: str) -> bool:
        """The dead-letter record; the case stops, the rest of the batch goes on.  True if newly failed."""
        now = time.time()
        with self._tx() as db:
            db.execute(
                "INSERT INTO dead_letter (batch, case_no, actor, message_id, reason, time) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (batch, case_no, actor, message_id, reason, now),
            )
            cursor = db.execute(
                "UPDATE bcase SET state = 'failed', reason = ?, finished = ? WHERE batch = ? AND case_no = ?"
                " AND state = 'pending'",
                (reason, now, batch, case_no),
            )
        return cursor.rowcount == 1

    def dead_letters(self, batch: str) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT case_no, actor, reason, time FROM dead_letter WHERE batch = ? ORDER BY time", (batch,)
        )
        return [{"case": r[0], "actor": r[1], "reason": r[2], "time": r[3]} for r in rows]

    def cases(self, batch: str) -> list[tuple[str, str]]:
        return [tuple(r) for r in self._db.execute(
            "SELECT case_no, state FROM bcase WHERE batch = ? ORDER BY case_no", (batch,))]

    # -- timing and progress ----------------------------------------------

    def add_timing(self, batch: str, actor: str, seconds: float) -> None:
        self._db.execute(
            "INSERT INTO timing (batch, actor, messages, seconds) VALUES (?, ?, 1, ?) ON CONFLICT (batch, actor)"
            " DO UPDATE SET messages = timing.messages + 1, seconds = timing.seconds + excluded.seconds",
            (batch, actor, seconds),
        )

    def timings(self, batch: str) -> dict[str, tuple[int, float]]:
        rows = self._db.execute("SELECT actor, messages, seconds FROM timing WHERE batch = ?", (batch,))
        return {r[0]: (r[1], r[2]) for r in rows}

    def counts(self, batch: str) -> dict[str, Any]:
        cases = dict(self._db.execute(
            "SELECT state, COUNT(*) FROM bcase WHERE batch = ? GROUP BY state", (batch,)).fetchall())
        pages, done, first, last = self._one(
            "SELECT COUNT(*), COUNT(done), MIN(done), MAX(done) FROM page WHERE batch = ? AND raster = 1", batch)
        unread = self._one("SELECT COUNT(*) FROM material WHERE batch = ? AND pages IS NULL", batch)[0]
        created = self._one("SELECT created FROM batch WHERE id = ?", batch)
        return {
            "cases": {"done": cases.get("done", 0), "failed": cases.get("failed", 0),
                      "pending": cases.get("pending", 0)},
            "pages": {"total": pages, "done": done, "first_done": first, "last_done": last},
            "materials_unread": unread,
            "created": created[0] if created else None,
        }


def _material(case_no: str, idx: int, row: Sequence[Any]) -> MaterialRecord:
    path, declared, source, pages, document = row
    return MaterialRecord(
        case_no=case_no,
        idx=idx,
        path=path,
        declared_type=declared,
        source=SourceFile.model_validate_json(source) if source else None,
        pages=tuple(Page.model_validate(p) for p in json.loads(pages)) if pages else None,
        document=document,
    )


_OPEN: dict[str, BatchState] = {}
_OPEN_LOCK = threading.Lock()


def default_state_uri(settings: Settings) -> str:
    return f"sqlite://{(settings.data_dir / 'batch' / 'state.sqlite').resolve()}"


def batch_status(state: BatchState, batch: str) -> dict[str, Any]:
    """Cases and pages done, the rate and the time still needed, from the state alone (``edossier status`` loads
    nothing of the pipeline for it)."""
    counts = state.counts(batch)
    pages = counts["pages"]
    rate = None
    if pages["done"] > 1 and pages["last_done"] > pages["first_done"]:
        rate = (pages["done"] - 1) / (pages["last_done"] - pages["first_done"])
    remaining = pages["total"] - pages["done"]
    cases = counts["cases"]
    return {
        "batch": batch,
        "state": state.uri,
        "cases": cases,
        "finished": cases["pending"] == 0,
        "pages": {"total": pages["total"], "done": pages["done"], "total_known": counts["materials_unread"] == 0},
        "pages_per_second": round(rate, 3) if rate else None,
        "eta_seconds": round(remaining / rate, 1) if rate and remaining else (0.0 if cases["pending"] == 0 else None),
        "failed": state.dead_letters(batch),
        "timing": {actor: {"messages": n, "seconds": round(s, 3)} for actor, (n, s) in state.timings(batch).items()},
    }


def open_state(uri: str) -> BatchState:
    """``sqlite:///path/state.sqlite`` (one machine) or ``postgresql://host/db`` (many); one object per URI and process."""
    parsed = urlparse(uri)
    if parsed.scheme == "sqlite" and parsed.path:
        path = Path(parsed.path).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        uri = f"sqlite://{path}"
    elif parsed.scheme not in ("postgresql", "postgres"):
        raise EdossierError(f"unsupported batch state URI {uri!r} (expected sqlite:///path or postgresql://host/db)")
    with _OPEN_LOCK:
        state = _OPEN.get(uri)
        if state is None:
            state = _OPEN[uri] = BatchState(uri)
        return state
