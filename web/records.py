"""Online filings (网上立案) and served documents (送达), kept in SQLite beside the accounts.

A filing lives here, with its materials in a private folder, until a clerk
accepts it: only then does anything reach the store, so a pending or rejected
filing publishes nothing.  A service record says what was sent to whom, when,
and when the recipient opened it.  Both survive a restart of the server; the
server and ``edossier filings`` share the database, and every change of state
is one transaction that checks the state it starts from, so a filing is never
accepted twice, even by two processes at once.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from edossier.config import Settings
from edossier.errors import NotFoundError

FILING_STATES = ("pending", "accepting", "accepted", "rejected", "failed")
"""pending → accepting → accepted | failed (the pipeline refused); pending | failed → rejected → pending (补正)."""
SERVICE_STATES = ("sent", "delivered", "receipted", "failed")
"""sent → delivered (opened by the recipient) → receipted (送达回证 bound) | failed (binding it failed)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS filings (
    id TEXT PRIMARY KEY,
    filer TEXT NOT NULL,
    state TEXT NOT NULL,
    created REAL NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS filings_by_state ON filings(state, created);
CREATE TABLE IF NOT EXISTS services (
    id TEXT PRIMARY KEY,
    case_key TEXT NOT NULL,
    recipient TEXT NOT NULL,
    state TEXT NOT NULL,
    created REAL NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS services_by_recipient ON services(recipient, created);
"""


@dataclass(frozen=True)
class Party:
    role: str
    """原告, 被告, 第三人, 申请人, 被申请人 …"""
    name: str


@dataclass(frozen=True)
class KeptFile:
    """An uploaded file as kept: its name in the private folder, the name it came with, its hash."""

    file: str
    name: str
    sha256: str
    size: int
    doc_type: str | None = None


@dataclass(frozen=True)
class Filing:
    id: str
    filer: str
    court: str
    case_type: str
    cause: str
    parties: tuple[Party, ...]
    claims: str
    materials: tuple[KeptFile, ...]
    state: str = "pending"
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)
    case: str | None = None
    version: int | None = None
    reason: str | None = None
    history: tuple[dict[str, Any], ...] = ()
    """Each change of state: time, user, state and its reason or case number."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Filing:
        return cls(**{
            **data,
            "parties": tuple(Party(**p) for p in data["parties"]),
            "materials": tuple(KeptFile(**m) for m in data["materials"]),
            "history": tuple(data.get("history", ())),
        })


@dataclass(frozen=True)
class Service:
    id: str
    case: str
    recipient: str
    served_by: str
    title: str
    doc_type: str
    sha256: str
    """SHA-256 of the served file, as the recipient receives it."""
    origin: str
    """"dossier": a document of the case (its stored original); "upload": a new document kept in the folder."""
    file: str
    """The store key of the original, or the file's name in the service folder."""
    state: str = "sent"
    created: float = field(default_factory=time.time)
    delivered: float | None = None
    version: int | None = None
    """The dossier version that holds the 送达回证."""
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Records:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once so another process cannot change the row in between."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # --- filings ------------------------------------------------------------------

    def add_filing(self, filing: Filing) -> Filing:
        with self._transaction() as db:
            db.execute("INSERT INTO filings VALUES (?,?,?,?,?)",
                       (filing.id, filing.filer, filing.state, filing.created, _json(filing.as_dict())))
        return filing

    def filing(self, filing_id: str) -> Filing:
        row = self._db.execute("SELECT body FROM filings WHERE id=?", (filing_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no filing {filing_id!r}")
        return Filing.from_dict(json.loads(row[0]))

    def filings(self, *, filer: str | None = None, states: Iterable[str] | None = None) -> list[Filing]:
        """Newest first; only FILER's when given, only in STATES when given."""
        sql, args = "SELECT body FROM filings WHERE 1=1", []
        if filer is not None:
            sql += " AND filer=?"
            args.append(filer)
        if states is not None:
            wanted = list(states)
            sql += f" AND state IN ({','.join('?' * len(wanted))})"
            args.extend(wanted)
        rows = self._db.execute(sql + " ORDER BY created DESC", args).fetchall()
        return [Filing.from_dict(json.loads(r[0])) for r in rows]

    def change_filing(self, filing_id: str, allowed: Iterable[str], user: str, **changes: Any) -> Filing:
        """Apply CHANGES if the filing is in one of ALLOWED states; the change is added to its history.

        Raises StateError naming the state it is in otherwise.
        """
        with self._transaction() as db:
            row = db.execute("SELECT body FROM filings WHERE id=?", (filing_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"no filing {filing_id!r}")
            current = Filing.from_dict(json.loads(row[0]))
            if current.state not in set(allowed):
                raise StateError(current.state)
            now = time.time()
            event = {"time": now, "user": user, "state": changes.get("state", current.state)}
            event.update({k: changes[k] for k in ("case", "reason", "version") if changes.get(k) is not None})
            updated = replace(current, **changes, updated=now, history=(*current.history, event))
            db.execute("UPDATE filings SET state=?, body=? WHERE id=?",
                       (updated.state, _json(updated.as_dict()), filing_id))
        return updated

    # --- service ------------------------------------------------------------------

    def add_service(self, service: Service) -> Service:
        with self._transaction() as db:
            db.execute("INSERT INTO services VALUES (?,?,?,?,?,?)",
                       (service.id, service.case, service.recipient, service.state, service.created,
                        _json(service.as_dict())))
        return service

    def service(self, service_id: str) -> Service:
        row = self._db.execute("SELECT body FROM services WHERE id=?", (service_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no service {service_id!r}")
        return Service(**json.loads(row[0]))

    def services(self, *, recipient: str | None = None, case: str | None = None,
                 states: Iterable[str] | None = None) -> list[Service]:
        sql, args = "SELECT body FROM services WHERE 1=1", []
        if recipient is not None:
            sql += " AND recipient=?"
            args.append(recipient)
        if case is not None:
            sql += " AND case_key=?"
            args.append(case)
        if states is not None:
            wanted = list(states)
            sql += f" AND state IN ({','.join('?' * len(wanted))})"
            args.extend(wanted)
        rows = self._db.execute(sql + " ORDER BY created DESC", args).fetchall()
        return [Service(**json.loads(r[0])) for r in rows]

    def change_service(self, service_id: str, allowed: Iterable[str], **changes: Any) -> Service:
        with self._transaction() as db:
            row = db.execute("SELECT body FROM services WHERE id=?", (service_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"no service {service_id!r}")
            current = Service(**json.loads(row[0]))
            if current.state not in set(allowed):
                raise StateError(current.state)
            updated = replace(current, **changes)
            db.execute("UPDATE services SET state=?, body=? WHERE id=?",
                       (updated.state, _json(updated.as_dict()), service_id))
        return updated


class StateError(Exception):
    """A change asked of a record in a state that does not allow it (e.g. accepting an accepted filing)."""

    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def records_folder(settings: Settings) -> Path:
    """Where filings' materials and served uploads wait, private to the server: data_dir/web."""
    return settings.data_dir / "web"


def open_records(settings: Settings) -> Records:
    """The filings and service database (the server and ``edossier filings`` share it)."""
    return Records(records_folder(settings) / "casework.sqlite3")
