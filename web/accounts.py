"""Personal accounts, roles, case admissions and sign-in sessions, in SQLite.

Accounts are personal (the guideline): every act under one is that person's act,
so there is no shared or anonymous account, the initial password is only good for
choosing a new one, and a session ends after idle time and after a fixed maximum.
Passwords are stored as argon2id hashes; session tokens only as their SHA-256, so
a copy of the database does not let anyone sign in.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from edossier.casenumber import CaseNumber
from edossier.config import Settings
from edossier.errors import EdossierError, NotFoundError

ROLES = ("clerk", "judge", "archivist", "lawyer", "party")
COURT_ROLES = frozenset({"clerk", "judge", "archivist"})
SUBMITTER_ROLES = frozenset({"clerk", "lawyer", "party"})
FILER_ROLES = frozenset({"lawyer", "party"})
"""Who may file a new case online (网上立案) and be served (送达): a lawyer or a party (当事人)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    must_change INTEGER NOT NULL DEFAULT 1,
    disabled INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS admissions (
    user TEXT NOT NULL REFERENCES users(name),
    case_key TEXT NOT NULL,
    PRIMARY KEY (user, case_key)
);
CREATE TABLE IF NOT EXISTS sessions (
    token_sha256 TEXT PRIMARY KEY,
    user TEXT NOT NULL REFERENCES users(name),
    created REAL NOT NULL,
    last_seen REAL NOT NULL
);
"""

_TOUCH_S = 15.0
_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps sign-in time the same
# for unknown names and wrong passwords.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class AccountError(EdossierError):
    """A refused account operation (bad password, unknown user, weak password)."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    must_change: bool
    cases: frozenset[str]

    @property
    def court(self) -> bool:
        """Court staff read every case and its 副卷; a lawyer or party only 正卷 of admitted cases."""
        return self.role in COURT_ROLES

    def may_read(self, case_key: str) -> bool:
        return self.court or case_key in self.cases

    def may_read_volume(self, volume: str) -> bool:
        return volume == "main" or self.court

    def may_submit(self, case_key: str) -> bool:
        return self.role in SUBMITTER_ROLES and (self.role == "clerk" or case_key in self.cases)


class Accounts:
    def __init__(self, path: Path, *, idle_s: int, max_s: int, min_password_length: int = 10) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.idle_s = idle_s
        self.max_s = max_s
        self.min_password_length = min_password_length
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    # --- administration (the CLI) -------------------------------------------------

    def add(self, name: str, role: str, password: str, cases: tuple[str, ...] = ()) -> User:
        """Create an account whose password must be changed at first sign-in."""
        if role not in ROLES:
            raise AccountError(f"unknown role {role!r} (expected one of {', '.join(ROLES)})")
        if not name or not name.isprintable() or len(name) > 64:
            raise AccountError(f"invalid user name {name!r}")
        self._check_strength(password)
        keys = [CaseNumber.parse(c).key for c in cases]
        with self._lock:
            if self._row(name) is not None:
                raise AccountError(f"user {name!r} already exists")
            self._db.execute(
                "INSERT INTO users(name, role, password_hash, must_change, created) VALUES (?,?,?,1,?)",
                (name, role, _hasher.hash(password), time.time()),
            )
            self._db.executemany("INSERT INTO admissions VALUES (?,?)", [(name, k) for k in keys])
        return self.user(name)

    def admit(self, name: str, cases: tuple[str, ...]) -> User:
        keys = [CaseNumber.parse(c).key for c in cases]
        self.user(name)
        with self._lock:
            self._db.executemany("INSERT OR IGNORE INTO admissions VALUES (?,?)", [(name, k) for k in keys])
        return self.user(name)

    def reset_password(self, name: str, password: str) -> None:
        """An administrator's reset: the new password is again an initial one."""
        self._set_password(name, password, must_change=True)

    def disable(self, name: str) -> None:
        self.user(name)
        with self._lock:
            self._db.execute("UPDATE users SET disabled=1 WHERE name=?", (name,))
            self._db.execute("DELETE FROM sessions WHERE user=?", (name,))

    def user(self, name: str) -> User:
        row = self._row(name)
        if row is None:
            raise NotFoundError(f"no user {name!r}")
        cases = frozenset(r[0] for r in self._db.execute("SELECT case_key FROM admissions WHERE user=?", (name,)))
        return User(name=row[0], role=row[1], must_change=bool(row[3]), cases=cases)

    def users(self) -> list[tuple[User, bool]]:
        rows = self._db.execute("SELECT name, disabled FROM users ORDER BY name").fetchall()
        return [(self.user(name), bool(disabled)) for name, disabled in rows]

    # --- sign-in ------------------------------------------------------------------

    def sign_in(self, name: str, password: str) -> tuple[str, User]:
        """A new session token for NAME, or AccountError for any bad name/password/disabled account."""
        row = self._row(name)
        stored = row[2] if row is not None else _DUMMY_HASH
        try:
            _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            raise AccountError("wrong user name or password") from None
        if row is None or row[4]:
            raise AccountError("wrong user name or password")
        if _hasher.check_needs_rehash(stored):
            with self._lock:
                self._db.execute("UPDATE users SET password_hash=? WHERE name=?", (_hasher.hash(password), name))
        token = secrets.token_urlsafe(32)
        now = time.time()
        with self._lock:
            self._db.execute("INSERT INTO sessions VALUES (?,?,?,?)", (_digest(token), name, now, now))
        return token, self.user(name)

    def session_user(self, token: str | None) -> User | None:
        """The signed-in user for TOKEN, sliding its idle timeout; None when absent or expired."""
        if not token:
            return None
        key = _digest(token)
        now = time.time()
        with self._lock:
            row = self._db.execute(
                "SELECT s.user, s.created, s.last_seen, u.disabled FROM sessions s JOIN users u ON u.name=s.user "
                "WHERE s.token_sha256=?",
                (key,),
            ).fetchone()
            if row is None:
                return None
            user, created, last_seen, disabled = row
            if disabled or now - last_seen > self.idle_s or now - created > self.max_s:
                self._db.execute("DELETE FROM sessions WHERE token_sha256=?", (key,))
                return None
            if now - last_seen > min(_TOUCH_S, self.idle_s / 4):  # one write per page view, not per range request
                self._db.execute("UPDATE sessions SET last_seen=? WHERE token_sha256=?", (now, key))
        return self.user(user)

    def sign_out(self, token: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE token_sha256=?", (_digest(token),))

    def change_password(self, name: str, old: str, new: str) -> None:
        """The user's own change: proves the old password; other sessions of the user end."""
        row = self._row(name)
        if row is None:
            raise AccountError("wrong user name or password")
        try:
            _hasher.verify(row[2], old)
        except (VerificationError, InvalidHashError):
            raise AccountError("the current password is wrong") from None
        if old == new:
            raise AccountError("the new password must differ from the current one")
        self._set_password(name, new, must_change=False)

    def _set_password(self, name: str, password: str, *, must_change: bool) -> None:
        self.user(name)
        self._check_strength(password)
        with self._lock:
            self._db.execute(
                "UPDATE users SET password_hash=?, must_change=? WHERE name=?",
                (_hasher.hash(password), int(must_change), name),
            )
            if must_change:
                self._db.execute("DELETE FROM sessions WHERE user=?", (name,))

    def _check_strength(self, password: str) -> None:
        if len(password) < self.min_password_length:
            raise AccountError(f"a password needs at least {self.min_password_length} characters")

    def _row(self, name: str) -> tuple | None:  # type: ignore[type-arg]
        return self._db.execute(
            "SELECT name, role, password_hash, must_change, disabled FROM users WHERE name=?", (name,)
        ).fetchone()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_accounts(settings: Settings) -> Accounts:
    """The account database the settings name (the server and ``edossier users`` share it)."""
    web = settings.web
    return Accounts(
        web.accounts_db or settings.data_dir / "web" / "accounts.sqlite3",
        idle_s=web.session_idle_s,
        max_s=web.session_max_s,
        min_password_length=web.min_password_length,
    )
