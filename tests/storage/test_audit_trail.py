"""The audit trail is append-only and tamper-evident: edits, removals and swaps are caught."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from edossier.errors import ImmutableObjectError
from edossier.pipeline.audit_trail import record, verify_trail
from edossier.pipeline.cli import main
from edossier.storage.audit import AuditLog
from edossier.storage.filesystem import FilesystemStore

CASE = "（2024）浙0102民初100号"


@pytest.fixture
def store(tmp_path: Path) -> FilesystemStore:
    store = FilesystemStore(tmp_path / "store")
    for n, action in enumerate(["scan", "process", "publish", "view", "download"]):
        record(store, f"clerk{n}", action, CASE, {"dossier.pdf": f"{n:064x}"}, {"n": n})
    return store


def _entry_file(store: FilesystemStore, sequence: int) -> Path:
    return store.root / "audit" / f"{sequence:012d}.json"


def _rewrite(path: Path, data: bytes) -> None:
    os.chmod(path, 0o644)  # what someone with shell access could do behind the store's back
    path.write_bytes(data)


def test_intact_trail_verifies_and_lists(store: FilesystemStore, capsys: pytest.CaptureFixture[str]) -> None:
    assert verify_trail(store) == []
    assert main(["audit", CASE, "--json", "--store", store.uri]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [e["action"] for e in entries] == ["scan", "process", "publish", "view", "download"]
    assert all(e["user"] and e["time"] and e["case"] == CASE for e in entries)
    assert main(["audit", "verify", "--store", store.uri]) == 0


def test_store_refuses_to_rewrite_an_entry(store: FilesystemStore) -> None:
    with pytest.raises(ImmutableObjectError):
        store.put_bytes("audit/000000000002.json", b"{}")
    with pytest.raises(ImmutableObjectError):
        store.delete("audit/000000000002.json")


def test_edited_entry_is_caught(store: FilesystemStore) -> None:
    path = _entry_file(store, 3)
    entry = json.loads(path.read_bytes())
    entry["user"] = "someone-else"
    _rewrite(path, json.dumps(entry, ensure_ascii=False, sort_keys=True).encode())
    problems = verify_trail(store)
    assert any("000000000003.json" in p and "edited" in p for p in problems)
    assert any("000000000004.json" in p and "does not chain" in p for p in problems)
    assert main(["audit", "verify", "--store", store.uri]) == 12


def test_deleted_entry_is_caught(store: FilesystemStore) -> None:
    path = _entry_file(store, 2)
    os.chmod(path, 0o644)
    path.unlink()
    problems = verify_trail(store)
    assert any("expected entry 2, found 3" in p for p in problems)


def test_swapped_entries_are_caught(store: FilesystemStore) -> None:
    a, b = _entry_file(store, 2), _entry_file(store, 4)
    data_a, data_b = a.read_bytes(), b.read_bytes()
    _rewrite(a, data_b)
    _rewrite(b, data_a)
    problems = verify_trail(store)
    assert any("moved or swapped" in p for p in problems)


def test_concurrent_appenders_get_distinct_sequence_numbers(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    store = FilesystemStore(tmp_path / "store")
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda n: AuditLog(store).append(f"u{n}", "view", CASE), range(40)))
    entries = list(AuditLog(store).entries())
    assert sorted(e.sequence for e in entries) == list(range(1, 41))
    assert verify_trail(store) == []
