"""Personal accounts, roles, case admissions and sign-in sessions, in SQLite.

Accounts are personal (the guideline): every act under one is that person's act,
so there is no shared or anonymous account, the initial password is only good for
choosing a new one, and a session ends after idle time and after a fixed maximum,
or at once when the password changes or the account is disabled.
Passwords are stored as argon2id hashes; session tokens only as their SHA-256, so
a copy of the database does not let anyone sign in.  Failed sign-ins are kept per
account name and per client address, so that guessing is throttled: after too
many failures within the lockout period, sign-in is refused without looking at
the password until the oldest failure ages out.  The records live in the same
database, so every server process sees them.

Refusals carry a Chinese message for the web reader (``AccountError.chinese``)
beside the English line the CLI prints.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
CREATE TABLE IF NOT EXISTS sign_in_failures (
    subject TEXT NOT NULL,
    time REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sign_in_failures_subject ON sign_in_failures(subject, time);
"""

_TOUCH_S = 15.0
_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps sign-in time the same
# for unknown names and wrong passwords.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class AccountError(EdossierError):
    """A refused account operation (bad password, unknown user, weak password), in English and Chinese."""

    def __init__(self, message: str, chinese: str) -> None:
        super().__init__(message)
        self.chinese = chinese


class SignInLockedError(AccountError):
    """Too many failed sign-ins for this account name or from this address: wait RETRY_AFTER_S seconds."""

    def __init__(self, retry_after_s: int) -> None:
        minutes = max(1, math.ceil(retry_after_s / 60))
        super().__init__(
            f"too many failed sign-ins; try again in {minutes} min",
            f"登录失败次数过多，已暂时锁定，请 {minutes} 分钟后再试",
        )
        self.retry_after_s = retry_after_s


def _wrong_credentials() -> AccountError:
    return AccountError("wrong user name or password", "用户名或密码错误")


@dataclass(frozen=True)
class Throttle:
    """How many failed sign-ins within LOCKOUT_S lock an account name, or a client address, for the rest of it."""

    per_account: int = 5
    per_client: int = 20
    lockout_s: int = 15 * 60


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
    def __init__(
        self, path: Path, *, idle_s: int, max_s: int, min_password_length: int = 10, throttle: Throttle = Throttle()
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.idle_s = idle_s
        self.max_s = max_s
        self.min_password_length = min_password_length
        self.throttle = throttle
        self._lock = threading.Lock()
        # other server processes and the submission queue write here too: wait for them as the queue does
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    # --- administration (the CLI) -------------------------------------------------

    def add(self, name: str, role: str, password: str, cases: tuple[str, ...] = ()) -> User:
        """Create an account whose password must be changed at first sign-in."""
        if role not in ROLES:
            raise AccountError(f"unknown role {role!r} (expected one of {', '.join(ROLES)})", "未知的角色")
        if not name or not name.isprintable() or len(name) > 64:
            raise AccountError(f"invalid user name {name!r}", "用户名无效")
        self._check_strength(password)
        keys = [CaseNumber.parse(c).key for c in cases]
        with self._lock:
            if self._row(name) is not None:
                raise AccountError(f"user {name!r} already exists", "该用户名已存在")
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

    def backup(self, target: Path) -> None:
        """A consistent copy of the whole database at TARGET, taken while the server runs (SQLite's backup API)."""
        if target.exists():
            raise AccountError(f"{target}: exists; refusing to overwrite a backup", "备份文件已存在")
        target.parent.mkdir(parents=True, exist_ok=True)
        copy = sqlite3.connect(target)
        try:
            with self._lock:
                self._db.backup(copy)
        finally:
            copy.close()

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

    def sign_in(self, name: str, password: str, client: str | None = None) -> tuple[str, User]:
        """A new session token for NAME, or AccountError for any bad name/password/disabled account.

        SignInLockedError while NAME or CLIENT has failed too often lately; the
        lock does not tell whether NAME exists, since unknown names are counted too.
        """
        subjects = [f"user:{name}"] + ([f"client:{client}"] if client else [])
        self._refuse_if_locked(subjects)
        row = self._row(name)
        stored = row[2] if row is not None else _DUMMY_HASH
        try:
            _hasher.verify(stored, password)
            if row is None or row[4]:
                raise VerificationError("unknown or disabled account")
        except (VerificationError, InvalidHashError):
            now = time.time()
            with self._lock:
                self._db.executemany("INSERT INTO sign_in_failures VALUES (?,?)", [(s, now) for s in subjects])
            raise _wrong_credentials() from None
        if _hasher.check_needs_rehash(stored):
            with self._lock:
                self._db.execute("UPDATE users SET password_hash=? WHERE name=?", (_hasher.hash(password), name))
        token = secrets.token_urlsafe(32)
        now = time.time()
        with self._lock:
            self._db.execute("DELETE FROM sign_in_failures WHERE subject=?", (subjects[0],))
            self._db.execute("INSERT INTO sessions VALUES (?,?,?,?)", (_digest(token), name, now, now))
        return token, self.user(name)

    def _refuse_if_locked(self, subjects: list[str]) -> None:
        limits = (self.throttle.per_account, self.throttle.per_client)
        since = time.time() - self.throttle.lockout_s
        with self._lock:
            self._db.execute("DELETE FROM sign_in_failures WHERE time < ?", (since,))
            for subject, limit in zip(subjects, limits):
                times = [t for (t,) in self._db.execute(
                    "SELECT time FROM sign_in_failures WHERE subject=? ORDER BY time DESC LIMIT ?", (subject, limit)
                )]
                if len(times) >= limit:  # locked until the oldest of the last LIMIT failures ages out
                    raise SignInLockedError(int(times[-1] - since) + 1)

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

    def change_password(self, name: str, old: str, new: str, keep: str | None = None) -> None:
        """The user's own change: proves the old password; every session of the user but KEEP (a token) ends."""
        row = self._row(name)
        if row is None:
            raise _wrong_credentials()
        try:
            _hasher.verify(row[2], old)
        except (VerificationError, InvalidHashError):
            raise AccountError("the current password is wrong", "当前密码不正确") from None
        if old == new:
            raise AccountError("the new password must differ from the current one", "新密码不能与当前密码相同")
        self._set_password(name, new, must_change=False, keep=keep)

    def _set_password(self, name: str, password: str, *, must_change: bool, keep: str | None = None) -> None:
        """Store the new hash and end the user's sessions (all of them, or all but the one changing it)."""
        self.user(name)
        self._check_strength(password)
        with self._lock:
            self._db.execute(
                "UPDATE users SET password_hash=?, must_change=? WHERE name=?",
                (_hasher.hash(password), int(must_change), name),
            )
            self._db.execute(
                "DELETE FROM sessions WHERE user=? AND token_sha256 != ?", (name, _digest(keep) if keep else "")
            )

    def _check_strength(self, password: str) -> None:
        if len(password) < self.min_password_length:
            raise AccountError(
                f"a password needs at least {self.min_password_length} characters",
                f"密码至少需要 {self.min_password_length} 个字符",
            )

    def _row(self, name: str) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self._db.execute(
            "SELECT name, role, password_hash, must_change, disabled FROM users WHERE name=?", (name,)
        ).fetchone()
        return row


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(session_token: str) -> str:
    """The anti-forgery token of a session: derived from its secret, so every server process agrees on it.

    The page reads it from the JSON of sign-in or ``/api/me`` (which another
    site's page cannot read) and sends it with every state-changing request.
    """
    return hmac.new(b"edossier-csrf", session_token.encode(), hashlib.sha256).hexdigest()


def accounts_path(settings: Settings) -> Path:
    """The account database file: every server process and ``edossier users`` share it."""
    return settings.web.accounts_db or settings.data_dir / "web" / "accounts.sqlite3"


def open_accounts(settings: Settings) -> Accounts:
    """The account database the settings name (the server and ``edossier users`` share it)."""
    web = settings.web
    return Accounts(
        accounts_path(settings),
        idle_s=web.session_idle_s,
        max_s=web.session_max_s,
        min_password_length=web.min_password_length,
        throttle=Throttle(web.sign_in_failures_per_account, web.sign_in_failures_per_client, web.sign_in_lockout_s),
    )
