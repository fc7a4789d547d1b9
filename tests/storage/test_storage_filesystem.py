"""The embedded store refuses what the S3 server refuses, and survives a crash mid-publish."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import ROOT
from tests.storage.storage_helpers import publish_version, unique_case

from edossier.errors import EdossierError, ImmutableObjectError, IntegrityError, NotFoundError
from edossier.storage import Store, open_store
from edossier.storage.fixity import check_case
from edossier.storage.layout import manifest_key
from edossier.storage.manifest import latest_version, list_cases, published_versions, read_manifest

EVIDENCE = "（2020）浙0102民初1234号 判决书原件".encode()


def test_same_bytes_again_is_a_no_op_different_bytes_are_refused(any_store: Store) -> None:
    key = f"cases/{unique_case().key}/originals/a.bin"
    first = any_store.put_bytes(key, EVIDENCE)
    assert any_store.put_bytes(key, EVIDENCE) == first
    with pytest.raises(ImmutableObjectError):
        any_store.put_bytes(key, b"forged")
    assert any_store.get_bytes(key) == EVIDENCE


def test_a_file_sealed_is_the_file_intake_hashed(any_store: Store, tmp_path: Path) -> None:
    """put_file records intake's hash and checks the bytes it writes against it in the same pass: an original
    rewritten in place after intake (same size, same modification time, so intake's memo still holds) is refused
    and nothing is sealed; unchanged, it is sealed and reads back whole."""
    from edossier.types import sha256_unchanged_file

    original = tmp_path / "起诉状.pdf"
    original.write_bytes(EVIDENCE * 50_000)  # several of the store's blocks
    assert sha256_unchanged_file(original) == hashlib.sha256(EVIDENCE * 50_000).hexdigest()  # intake
    key = f"cases/{unique_case().key}/originals/a.pdf"
    sealed = any_store.put_file(key, original)
    assert sealed.sha256 == hashlib.sha256(EVIDENCE * 50_000).hexdigest()
    assert any_store.get_bytes(key) == EVIDENCE * 50_000

    times = original.stat()
    with open(original, "r+b") as handle:  # the last block changed, size and times kept
        handle.seek(-len(EVIDENCE), os.SEEK_END)
        handle.write(bytes(len(EVIDENCE)))
    os.utime(original, ns=(times.st_atime_ns, times.st_mtime_ns))
    other = f"cases/{unique_case().key}/originals/a.pdf"
    with pytest.raises(IntegrityError, match="changed while it was being stored"):
        any_store.put_file(other, original)
    assert not any_store.exists(other)
    if any_store.uri.startswith("file:"):
        assert not [p for p in Path(any_store.locate(key)).parents[3].rglob(".tmp-*")]  # no temporary left


def test_delete_is_refused(any_store: Store) -> None:
    key = f"cases/{unique_case().key}/originals/a.bin"
    any_store.put_bytes(key, EVIDENCE)
    with pytest.raises(ImmutableObjectError):
        any_store.delete(key)
    with pytest.raises(NotFoundError):
        any_store.delete(key + ".absent")
    assert any_store.get_bytes(key) == EVIDENCE


def test_sealed_files_are_read_only_and_no_temporary_is_left(fs_store: Store, tmp_path: Path) -> None:
    key = "cases/x/originals/a.bin"
    fs_store.put_bytes(key, EVIDENCE)
    path = Path(fs_store.locate(key))
    assert path.stat().st_mode & 0o222 == 0
    assert sorted(p.name for p in path.parent.iterdir()) == [".a.bin.sha256", "a.bin"]


@pytest.mark.parametrize("key", ["../escape", "cases/../../escape", "/abs", "cases/.hidden", "a\\b", "a//b"])
def test_keys_cannot_escape_the_store(fs_store: Store, key: str) -> None:
    with pytest.raises(EdossierError, match="invalid store key"):
        fs_store.put_bytes(key, b"x")


def test_a_damaged_object_is_never_handed_out(fs_store: Store, tmp_path: Path) -> None:
    key = "cases/x/originals/a.bin"
    fs_store.put_bytes(key, EVIDENCE)
    _flip_byte(Path(fs_store.locate(key)))
    with pytest.raises(IntegrityError):
        fs_store.get_bytes(key)
    with pytest.raises(IntegrityError):
        fs_store.get_file(key, tmp_path / "out.bin")
    assert not (tmp_path / "out.bin").exists()


def test_versions_chain_by_manifest_hash(any_store: Store, tmp_path: Path) -> None:
    case = unique_case()
    publish_version(any_store, case, 1, tmp_path)
    second = publish_version(any_store, case, 2, tmp_path)
    assert published_versions(any_store, case) == [1, 2]
    assert second.previous_manifest_sha256 == hashlib.sha256(any_store.get_bytes(manifest_key(case, 1))).hexdigest()
    with pytest.raises(ImmutableObjectError, match="latest is 2"):
        publish_version(any_store, case, 2, tmp_path)
    assert check_case(any_store, case).ok


CRASH = """
import os
from pathlib import Path
from tests.storage.storage_helpers import publish_version
from edossier.casenumber import CaseNumber
from edossier.storage import open_store
from edossier.storage.filesystem import FilesystemStore

sealed = FilesystemStore._seal
def crash_at_manifest(self, key, *args):
    if key.endswith("manifest.json"):
        os._exit(9)  # the process dies: no cleanup, no finally blocks
    return sealed(self, key, *args)
FilesystemStore._seal = crash_at_manifest
store = open_store(Path({root!r}).as_uri())
publish_version(store, CaseNumber.parse({case!r}), {version}, Path({work!r}))
"""


def test_crash_between_objects_and_manifest_leaves_no_visible_version(tmp_path: Path) -> None:
    store = open_store((tmp_path / "store").as_uri())
    case = unique_case()
    publish_version(store, case, 1, tmp_path)
    script = CRASH.format(
        root=str(tmp_path / "store"), case=case.normalized, version=2,
        work=str(tmp_path),
    )
    crashed = subprocess.run([sys.executable, "-c", script], env=os.environ | {"PYTHONPATH": str(ROOT)})
    assert crashed.returncode == 9
    objects_written = [k for k in store.list("cases/") if "/dossier-" in k]
    assert len(objects_written) == 2  # the crashed version's PDF is there, but unpublished
    assert published_versions(store, case) == [1]
    assert read_manifest(store, case).version == 1
    assert list_cases(store) == [case.key]
    report = check_case(store, case)
    assert report.ok and report.unreferenced == 1
    publish_version(store, case, 2, tmp_path)  # the rerun finishes the job
    assert latest_version(store, case) == 2


def _flip_byte(path: Path, offset: int = 0) -> None:
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[offset % len(data)] ^= 0x01
    path.write_bytes(bytes(data))


def test_list_is_by_key_prefix(any_store: Store) -> None:
    case = unique_case()
    keys = [f"cases/{case.key}/originals/{name}" for name in ("a1.bin", "a2.bin", "b.bin")]
    for key in keys:
        any_store.put_bytes(key, key.encode())
    assert list(any_store.list(f"cases/{case.key}/originals/a")) == keys[:2]
    assert list(any_store.list(f"cases/{case.key}/")) == keys
    assert list(any_store.list(keys[2])) == keys[2:]
