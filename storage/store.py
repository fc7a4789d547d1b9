"""The store interface: write-once objects under string keys.

A sealed object can be read, listed and checked, never overwritten or deleted;
putting the same bytes again under the same key is a no-op, so a rerun after a
crash is free.  Backends are picked by URI (``file:///path``, ``s3://bucket?…``).
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from edossier.errors import EdossierError


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    sha256: str


class Store(abc.ABC):
    uri: str

    @abc.abstractmethod
    def put_bytes(self, key: str, data: bytes) -> ObjectInfo:
        """Seal DATA under KEY; same bytes again is a no-op, different bytes are refused."""

    @abc.abstractmethod
    def put_file(self, key: str, path: Path) -> ObjectInfo:
        """Seal the file at PATH under KEY, streaming it."""

    @abc.abstractmethod
    def get_bytes(self, key: str) -> bytes: ...

    @abc.abstractmethod
    def get_file(self, key: str, target: Path) -> Path:
        """Copy the object to TARGET (streaming) and return TARGET."""

    @abc.abstractmethod
    def info(self, key: str) -> ObjectInfo | None:
        """Size and recorded hash, or None when absent."""

    @abc.abstractmethod
    def list(self, prefix: str) -> Iterator[str]:
        """Keys under PREFIX, sorted."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Always refused for a sealed object; exists so the refusal is explicit and tested."""

    @abc.abstractmethod
    def locate(self, key: str) -> str:
        """Where a person finds the object: a local path or a URI."""

    def exists(self, key: str) -> bool:
        return self.info(key) is not None


def open_store(uri: str) -> Store:
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        from edossier.storage.filesystem import FilesystemStore

        return FilesystemStore(Path(parsed.path))
    if parsed.scheme == "s3":
        try:
            from edossier.storage.s3 import S3Store
        except ImportError:
            raise EdossierError(f"store URI {uri!r}: the S3 backend is not available") from None
        return S3Store.from_uri(uri)
    raise EdossierError(f"unsupported store URI {uri!r} (expected file:///path or s3://bucket)")
