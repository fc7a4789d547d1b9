"""A dramatiq broker in one SQLite file: the embedded default, no server needed.

``edossier batch`` without ``--broker`` starts N worker processes on this broker,
so the in-process run takes exactly the path a Redis or RabbitMQ run takes:
same actors, same middleware, same dramatiq worker.  A message is claimed by one
consumer (host and pid recorded) and deleted when acknowledged; a message whose
consumer died (its pid is gone on this host) or whose lease ran out is
delivered again, which is what a SIGKILLed worker needs.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dramatiq.broker import Broker, Consumer, MessageProxy
from dramatiq.common import current_millis, dq_name
from dramatiq.message import Message
from dramatiq.middleware import Middleware

SCHEMA = """
CREATE TABLE IF NOT EXISTS message (
    id TEXT PRIMARY KEY, queue TEXT NOT NULL, body BLOB NOT NULL, enqueued REAL NOT NULL,
    owner TEXT, lease_until REAL);
CREATE INDEX IF NOT EXISTS message_queue ON message (queue, owner, enqueued);
"""


class SqliteBroker(Broker):
    def __init__(self, path: Path, *, lease_s: float = 3600.0, middleware: list[Middleware] | None = None) -> None:
        super().__init__(middleware=middleware)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.lease_s = lease_s
        self.queues: set[str] = set()
        self._local = threading.local()
        self.db.executescript(SCHEMA)

    @property
    def db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=120, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            # No fsync per claim, ack and send: a process killed loses nothing (the WAL is in the OS's
            # cache), and after a machine crash the queue is rebuilt from the batch state anyway.
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 5000) -> Consumer:
        return _SqliteConsumer(self, queue_name, prefetch, timeout)

    def declare_queue(self, queue_name: str) -> None:
        if queue_name in self.queues:
            return
        self.emit_before("declare_queue", queue_name)
        self.queues.add(queue_name)
        self.emit_after("declare_queue", queue_name)
        delayed = dq_name(queue_name)
        self.delay_queues.add(delayed)
        self.emit_after("declare_delay_queue", delayed)

    def enqueue(self, message: Message[Any], *, delay: int | None = None) -> Message[Any]:
        queue_name = message.queue_name
        if delay is not None:
            queue_name = dq_name(queue_name)
            message = message.copy(queue_name=queue_name, options={**message.options, "eta": current_millis() + delay})
        self.declare_queue(message.queue_name.removesuffix(".DQ"))
        self.emit_before("enqueue", message, delay)
        self.db.execute(
            "INSERT INTO message (id, queue, body, enqueued) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET queue = excluded.queue, body = excluded.body, owner = NULL",
            (message.message_id, queue_name, message.encode(), time.time()),
        )
        self.emit_after("enqueue", message, delay)
        return message

    def get_declared_queues(self) -> set[str]:
        return set(self.queues)

    def get_declared_delay_queues(self) -> set[str]:
        return set(self.delay_queues)

    def flush(self, queue_name: str) -> None:
        self.db.execute("DELETE FROM message WHERE queue IN (?, ?)", (queue_name, dq_name(queue_name)))

    def flush_all(self) -> None:
        self.db.execute("DELETE FROM message")

    def pending(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM message").fetchone()[0])


def consumer_owner() -> str:
    """Host, pid and a token per consumer: two consumers in one process must not ack each other's claims."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_dead(owner: str) -> bool:
    """Whether the process that claimed as OWNER is gone (only knowable on its own host)."""
    host, pid, _token = owner.rsplit(":", 2)
    if host != socket.gethostname():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError):
        return False
    return False


class _SqliteConsumer(Consumer):
    def __init__(self, broker: SqliteBroker, queue_name: str, prefetch: int, timeout_ms: int) -> None:
        self.broker = broker
        self.queue_name = queue_name
        self.prefetch = max(1, prefetch)
        self.timeout_s = timeout_ms / 1000
        self.owner = consumer_owner()
        self.held: set[str] = set()  # claimed, not yet acknowledged: at most PREFETCH of them

    def __next__(self) -> MessageProxy | None:
        deadline = time.monotonic() + self.timeout_s
        pause = 0.01
        while True:
            # A worker takes no more than it is about to work on: a greedy one would hoard the
            # queue's last messages while the others stand idle.
            message = self._claim() if len(self.held) < self.prefetch else None
            if message is not None:
                self.held.add(message.message_id)
                return MessageProxy(message)
            if time.monotonic() >= deadline:
                return None
            time.sleep(pause)
            pause = min(pause * 2, 0.05)  # a message sent by another worker is taken within 50 ms

    def _claim(self) -> Message[Any] | None:
        db = self.broker.db
        now = time.time()
        if not self._claimable(db, now):
            return None
        db.execute("BEGIN IMMEDIATE")
        try:
            for owner in [r[0] for r in db.execute(
                "SELECT DISTINCT owner FROM message WHERE queue = ? AND owner IS NOT NULL", (self.queue_name,)
            )]:
                if owner_dead(owner):
                    db.execute("UPDATE message SET owner = NULL WHERE owner = ?", (owner,))
            row = db.execute(
                "SELECT id, body FROM message WHERE queue = ? AND (owner IS NULL OR lease_until < ?)"
                " ORDER BY enqueued LIMIT 1",
                (self.queue_name, now),
            ).fetchone()
            if row is not None:
                db.execute(
                    "UPDATE message SET owner = ?, lease_until = ? WHERE id = ?",
                    (self.owner, now + self.broker.lease_s, row[0]),
                )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return Message.decode(row[1]) if row else None

    def _claimable(self, db: sqlite3.Connection, now: float) -> bool:
        """A look without the write lock first (WAL readers never block the writer), so that an idle
        worker polling does not hold up a busy one's sends and acks."""
        if db.execute(
            "SELECT 1 FROM message WHERE queue = ? AND (owner IS NULL OR lease_until < ?) LIMIT 1",
            (self.queue_name, now),
        ).fetchone():
            return True
        return any(owner_dead(owner) for (owner,) in db.execute(
            "SELECT DISTINCT owner FROM message WHERE queue = ? AND owner IS NOT NULL", (self.queue_name,)
        ))

    def ack(self, message: MessageProxy) -> None:
        self.held.discard(message.message_id)
        self.broker.db.execute("DELETE FROM message WHERE id = ? AND owner = ?", (message.message_id, self.owner))

    def nack(self, message: MessageProxy) -> None:
        self.ack(message)  # the dead-letter record lives in the batch state, with its reason

    def requeue(self, messages: Iterable[MessageProxy]) -> None:
        for message in messages:
            self.held.discard(message.message_id)
            self.broker.db.execute(
                "UPDATE message SET owner = NULL WHERE id = ? AND owner = ?", (message.message_id, self.owner)
            )

    def close(self) -> None:
        pass
