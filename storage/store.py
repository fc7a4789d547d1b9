"""The store interface: write-once objects under string keys.

A sealed object can be read, listed and checked, never overwritten or deleted;
putting the same bytes again under the same key is a no-op, so a rerun after a
crash is free.  Every read is checked against the hash recorded when the object
was sealed, so a damaged object is never handed out as evidence.  Backends are
picked by URI (``file:///path``, ``s3://bucket?endpoint=…``).
"""

from __future__ import annotations

import abc
import hashlib
import io
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast
from urllib.parse import unquote, urlparse

from edossier.config import StorageSettings
from edossier.errors import EdossierError, ImmutableObjectError, IntegrityError, NotFoundError
from edossier.types import sha256_file, sha256_unchanged_file

BLOCK = 1 << 20

Source = Callable[[], BinaryIO]


class KeyTakenError(ImmutableObjectError):
    """An exclusive create found its key already sealed (by another writer, maybe with the same bytes)."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    sha256: str


def file_sha256(path: Path) -> str:
    """PATH's SHA-256, read in the store's block size."""
    return sha256_file(path, BLOCK)


class _HashChecked(io.RawIOBase):
    """PATH read once, hashed as it is read; it fails, instead of handing over the last bytes or the end,
    when those SIZE bytes do not hash to SHA256 (the file changed since it was hashed, or while it is read)."""

    def __init__(self, path: Path, sha256: str, size: int) -> None:
        super().__init__()
        self._path = path
        self._file = open(path, "rb")  # noqa: SIM115 (closed with this reader)
        self._expected = sha256
        self._left = size
        self._digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        wanted = self._left if size < 0 else min(size, self._left)
        block = self._file.read(wanted)
        self._digest.update(block)
        self._left -= len(block)
        if (self._left == 0 or (wanted and not block)) and self._digest.hexdigest() != self._expected:
            raise IntegrityError(f"{self._path}: changed while it was being stored; nothing was sealed")
        return block

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]  # io's stubs take a Buffer
        block = self.read(len(buffer))
        buffer[: len(block)] = block
        return len(block)

    def close(self) -> None:
        self._file.close()
        super().close()


class Store(abc.ABC):
    uri: str

    def put_bytes(self, key: str, data: bytes) -> ObjectInfo:
        """Seal DATA under KEY; same bytes again is a no-op, different bytes are refused."""
        return self._seal(key, hashlib.sha256(data).hexdigest(), len(data), lambda: io.BytesIO(data))

    def create_bytes(self, key: str, data: bytes) -> ObjectInfo:
        """Seal DATA under KEY only if no writer ever sealed KEY, else KeyTakenError, even for the same bytes.

        For records numbered in sequence (the audit trail): each number must go to
        exactly one writer, across threads, processes and machines, which a put that
        accepts the same bytes again cannot promise when two writers' records are alike.
        """
        digest = hashlib.sha256(data).hexdigest()
        return self._seal(key, digest, len(data), lambda: io.BytesIO(data), exclusive=True)

    def put_file(self, key: str, path: Path) -> ObjectInfo:
        """Seal the file at PATH under KEY, streaming it, in one pass that hashes what it writes.

        The hash recorded is the one intake took (``sha256_unchanged_file``, free
        when the file is unchanged since; read here otherwise); the bytes written
        are hashed on their way and must match it, or nothing is sealed.  Hashing
        first and copying after read a large original twice (0.25 s for 260 MB)
        and would seal a file changed in between under the old hash.
        """
        sha256 = sha256_unchanged_file(path)
        size = path.stat().st_size
        return self._seal(key, sha256, size, lambda: cast(BinaryIO, _HashChecked(path, sha256, size)))

    def get_bytes(self, key: str) -> bytes:
        buffer = io.BytesIO()
        self._copy_verified(key, buffer)
        return buffer.getvalue()

    def get_file(self, key: str, target: Path) -> Path:
        """Copy the object to TARGET (streaming) and return TARGET; a damaged object leaves no TARGET."""
        try:
            with open(target, "wb") as out:
                self._copy_verified(key, out)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return target

    def stored_sha256(self, key: str) -> str:
        """Recompute the SHA-256 of the bytes actually stored (for fixity), trusting no record."""
        digest = hashlib.sha256()
        with self.open_raw(key) as src:
            while block := src.read(BLOCK):
                digest.update(block)
        return digest.hexdigest()

    def exists(self, key: str) -> bool:
        return self.info(key) is not None

    def _copy_verified(self, key: str, out: BinaryIO) -> None:
        info = self.info(key)
        if info is None:
            raise NotFoundError(f"{key}: not in the store {self.uri}")
        digest = hashlib.sha256()
        with self.open_raw(key) as src:
            while block := src.read(BLOCK):
                digest.update(block)
                out.write(block)
        if digest.hexdigest() != info.sha256:
            raise IntegrityError(f"{key}: stored bytes do not match the hash recorded when it was sealed")

    @abc.abstractmethod
    def _seal(self, key: str, sha256: str, size: int, source: Source, *, exclusive: bool = False) -> ObjectInfo:
        """Write SOURCE under KEY once; refuse a different object under a sealed key (any, when EXCLUSIVE)."""

    @abc.abstractmethod
    def open_raw(self, key: str) -> AbstractContextManager[BinaryIO]:
        """The raw stored bytes of the sealed object, unchecked (fixity reads these); NotFoundError when absent."""

    @abc.abstractmethod
    def info(self, key: str) -> ObjectInfo | None:
        """Size and the hash recorded at sealing, or None when absent."""

    @abc.abstractmethod
    def list(self, prefix: str) -> Iterator[str]:
        """Keys under PREFIX, sorted."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Always refused for a sealed object; exists so the refusal is explicit and tested."""

    @abc.abstractmethod
    def locate(self, key: str) -> str:
        """Where a person finds the object: a local path or a URI."""


def open_store(uri: str, settings: StorageSettings | None = None) -> Store:
    """The store at URI with SETTINGS (credentials, retention) as read at the edge; without them, the defaults.

    Settings are never loaded here: a worker's store must use the credentials its
    runner read, not whatever a reload would find.
    """
    settings = settings or StorageSettings()
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        from edossier.storage.filesystem import FilesystemStore

        return FilesystemStore(Path(unquote(parsed.path)))
    if parsed.scheme == "s3":
        from edossier.storage.s3 import S3Store

        return S3Store.from_uri(uri, settings)
    raise EdossierError(f"unsupported store URI {uri!r} (expected file:///path or s3://bucket?endpoint=URL)")
