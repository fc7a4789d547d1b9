"""The audit trail: who did what to which case, append-only and hash-chained.

Every act under an account is that person's act (the guideline), so each entry
names the user, the time, the action, the case and the hashes of the objects
involved, and carries the hash of the entry before it.  Entries are sealed store
objects (``audit/<sequence>.json``): the store refuses to rewrite them, on S3 the
object lock makes that hold against administrators too, and ``verify`` finds an
edited, removed or reordered entry by walking the chain.

Writers in many threads, processes or machines append to one chain: each takes
the next sequence number with the store's exclusive create, so exactly one
writer gets each number and the others read the new tail and try again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from edossier.errors import ImmutableObjectError
from edossier.storage.store import KeyTakenError, Store

PREFIX = "audit/"
GENESIS = "0" * 64
_APPEND_ATTEMPTS = 50


@dataclass(frozen=True)
class AuditEntry:
    sequence: int
    time: str
    user: str
    action: str
    case: str | None
    objects: Mapping[str, str]
    detail: Mapping[str, object]
    previous: str
    client: str | None = None
    """The address the act came from (the web reader's client); None for the CLI and workers."""

    def body(self) -> bytes:
        fields = dict(self.__dict__)
        if fields["client"] is None:  # entries without an address hash as those written before the field existed
            del fields["client"]
        return json.dumps(fields, ensure_ascii=False, sort_keys=True, default=dict).encode()

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.body()).hexdigest()


def _key(sequence: int) -> str:
    return f"{PREFIX}{sequence:012d}.json"


class AuditLog:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._last: AuditEntry | None = None
        self._lock = threading.Lock()  # threads of one process take turns; other writers are met by the store

    def entries(self) -> Iterator[AuditEntry]:
        for key in self.store.list(PREFIX):
            yield self._entry(key)

    def newest(self) -> Iterator[AuditEntry]:
        """Entries from the newest back: what a writer recovering from a crash may already have written."""
        with self._lock:
            last = self._tail()
        for sequence in range(last.sequence if last else 0, 0, -1):
            yield self._entry(_key(sequence))

    def _read(self, key: str) -> bytes:
        """An entry's raw bytes: the chain, not the store's read check, judges them (see verify)."""
        with self.store.open_raw(key) as src:
            return src.read()

    def _entry(self, key: str) -> AuditEntry:
        return AuditEntry(**json.loads(self._read(key)))

    def head(self) -> tuple[int, str]:
        """Sequence and hash of the newest entry: the anchor a manifest records."""
        with self._lock:
            last = self._tail()
        return (last.sequence, last.digest) if last else (0, GENESIS)

    def _tail(self) -> AuditEntry | None:
        """The last entry: listed once, then found by probing forward, so appends stay O(1)."""
        last = self._last
        if last is None:
            keys = list(self.store.list(PREFIX))
            if not keys:
                return None
            last = self._entry(keys[-1])
        while self.store.exists(following := _key(last.sequence + 1)):  # others appended meanwhile
            last = self._entry(following)
        self._last = last
        return last

    def append(
        self,
        user: str,
        action: str,
        case: str | None = None,
        objects: Mapping[str, str] | None = None,
        detail: Mapping[str, object] | None = None,
        client: str | None = None,
    ) -> AuditEntry:
        """Append one entry; concurrent writers race for the next sequence number and retry."""
        with self._lock:
            for _ in range(_APPEND_ATTEMPTS):
                last = self._tail()
                entry = AuditEntry(
                    sequence=last.sequence + 1 if last else 1,
                    time=dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"),
                    user=user,
                    action=action,
                    case=case,
                    objects=dict(objects or {}),
                    detail=dict(detail or {}),
                    previous=last.digest if last else GENESIS,
                    client=client,
                )
                try:
                    self.store.create_bytes(_key(entry.sequence), entry.body())
                except KeyTakenError:
                    continue  # another writer took this sequence number first
                self._last = entry
                return entry
        raise ImmutableObjectError("audit log: could not append after repeated contention")

    def verify(self) -> list[str]:
        """Problems found walking the chain; empty when every entry is in place and unaltered."""
        problems = []
        previous = GENESIS
        expected = 1
        for key in self.store.list(PREFIX):
            body = self._read(key)
            try:
                entry = AuditEntry(**json.loads(body))
            except (ValueError, TypeError) as exc:
                problems.append(f"{key}: unreadable entry ({exc})")
                previous = ""
                expected += 1
                continue
            if key != _key(entry.sequence):
                problems.append(f"{key}: holds entry {entry.sequence} (moved or swapped)")
            if entry.sequence != expected:
                problems.append(f"{key}: expected entry {expected}, found {entry.sequence} (removed or reordered)")
            if entry.previous != previous:
                problems.append(f"{key}: does not chain to the entry before it (edited, removed or reordered)")
            info = self.store.info(key)
            if info is not None and info.sha256 != hashlib.sha256(body).hexdigest():
                problems.append(f"{key}: bytes differ from the hash recorded when sealed (edited)")
            previous = entry.digest
            expected = entry.sequence + 1
        return problems
