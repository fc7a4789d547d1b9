"""Many writers append to one audit trail at once: no entry is lost and the chain verifies.

The web reader appends from a thread pool (160 parallel sign-ins once lost an
entry), the CLI and batch workers from other processes; both the filesystem store
and the real RADOS Gateway (S3 with object lock) are tried.
"""

from __future__ import annotations

import multiprocessing
import uuid
from collections import Counter
from pathlib import Path
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

from edossier.config import StorageSettings
from edossier.errors import ImmutableObjectError
from edossier.storage import Store, open_store
from edossier.storage.audit import AuditLog
from edossier.storage.store import KeyTakenError
from tests.storage.storage_helpers import S3_ENDPOINT

THREADS = 8
PER_THREAD = 5
PROCESSES = 4
PER_PROCESS = 10


@pytest.fixture(params=["file", "s3"])
def trail_store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """An empty store per test: on S3 a bucket of its own, since the session's bucket holds others' entries."""
    if request.param == "file":
        return open_store((tmp_path / "store").as_uri())
    settings = request.getfixturevalue("s3_settings")
    return open_store(f"s3://edossier-audit-{uuid.uuid4().hex[:12]}?endpoint={S3_ENDPOINT}", settings)


def _check(store: Store, expected: Counter[str]) -> None:
    log = AuditLog(store)
    entries = list(log.entries())
    assert Counter(e.user for e in entries) == expected
    assert [e.sequence for e in entries] == list(range(1, len(entries) + 1))
    assert log.verify() == []


def test_parallel_threads_lose_no_entry(trail_store: Store) -> None:
    """One log shared by the server's threads, and a second one beside it (as the pipeline keeps its own)."""
    shared, other = AuditLog(trail_store), AuditLog(trail_store)

    def sign_ins(n: int) -> None:
        log = other if n % 4 == 0 else shared
        for _ in range(PER_THREAD):
            # alike entries from one user in the same millisecond must still be two entries
            log.append(f"user{n % 2}", "sign_in", client="127.0.0.1")

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(sign_ins, range(THREADS)))
    per_user = THREADS // 2 * PER_THREAD
    _check(trail_store, Counter({"user0": per_user, "user1": per_user}))
    assert {e.client for e in AuditLog(trail_store).entries()} == {"127.0.0.1"}


def _append_from_process(uri: str, settings: StorageSettings, worker: int) -> None:
    log = AuditLog(open_store(uri, settings))
    for _ in range(PER_PROCESS):
        log.append(f"worker{worker}", "process")


def test_parallel_processes_lose_no_entry(trail_store: Store) -> None:
    settings = getattr(trail_store, "settings", StorageSettings())  # the S3 store keeps its credentials
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(PROCESSES, mp_context=context) as pool:
        list(pool.map(_append_from_process, [trail_store.uri] * PROCESSES, [settings] * PROCESSES, range(PROCESSES)))
    _check(trail_store, Counter({f"worker{n}": PER_PROCESS for n in range(PROCESSES)}))


def test_exclusive_create_refuses_even_the_same_bytes(trail_store: Store) -> None:
    trail_store.create_bytes("audit/x.json", b"{}")
    with pytest.raises(KeyTakenError):
        trail_store.create_bytes("audit/x.json", b"{}")
    trail_store.put_bytes("audit/x.json", b"{}")  # a plain put of the same bytes stays a no-op
    with pytest.raises(ImmutableObjectError):
        trail_store.put_bytes("audit/x.json", b"[]")


def test_entries_without_an_address_hash_as_before(trail_store: Store) -> None:
    """A trail written before entries carried the client address still verifies."""
    log = AuditLog(trail_store)
    entry = log.append("clerk1", "process")
    assert b'"client"' not in trail_store.get_bytes("audit/000000000001.json")
    assert log.append("judge1", "view", client="10.1.2.3").previous == entry.digest
    assert log.verify() == []
