"""An original is hashed once per run while it is unchanged, and again as soon as it is not."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from edossier import types
from edossier.types import sha256_unchanged_file


@pytest.fixture()
def hashing(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files actually read and hashed."""
    read: list[Path] = []
    real = types.sha256_file

    def counted(path: Path, chunk: int = 1 << 20) -> str:
        read.append(path)
        return real(path, chunk)

    monkeypatch.setattr(types, "sha256_file", counted)
    return read


def test_an_unchanged_file_is_read_once(tmp_path: Path, hashing: list[Path]) -> None:
    original = tmp_path / "起诉状.pdf"
    original.write_bytes(b"%PDF-1.7 scanned pages" * 1000)
    digests = {sha256_unchanged_file(original), sha256_unchanged_file(tmp_path / "." / "起诉状.pdf")}
    assert digests == {hashlib.sha256(original.read_bytes()).hexdigest()}
    assert len(hashing) == 1


def test_a_file_rewritten_in_place_with_the_same_size_is_hashed_again(tmp_path: Path, hashing: list[Path]) -> None:
    original = tmp_path / "证据.pdf"
    original.write_bytes(b"A" * 4096)
    before = sha256_unchanged_file(original)
    stat = original.stat()
    while original.stat().st_mtime_ns == stat.st_mtime_ns:  # a clock coarser than the write: wait for a new tick
        original.write_bytes(b"B" * 4096)
    assert sha256_unchanged_file(original) == hashlib.sha256(b"B" * 4096).hexdigest() != before


def test_a_file_replaced_by_another_with_its_size_and_times_is_hashed_again(tmp_path: Path, hashing: list[Path]) -> None:
    original = tmp_path / "证据.pdf"
    original.write_bytes(b"A" * 4096)
    before = sha256_unchanged_file(original)
    stat = original.stat()
    other = tmp_path / "other.pdf"
    other.write_bytes(b"B" * 4096)
    os.utime(other, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    other.replace(original)  # another inode under the same name, same size and modification time
    assert sha256_unchanged_file(original) == hashlib.sha256(b"B" * 4096).hexdigest() != before
