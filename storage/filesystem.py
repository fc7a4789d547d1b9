"""The embedded default store: write-once files under one folder.

Each object is written to a temporary name, fsynced, renamed into place and made
read-only; its SHA-256 is recorded beside it so fixity can be proven later.  Keys
are checked so that no key can leave the store's folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from edossier.errors import EdossierError, ImmutableObjectError, NotFoundError
from edossier.storage.store import ObjectInfo, Store

_READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH


def check_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") or p.startswith(".tmp") for p in parts):
        raise EdossierError(f"invalid store key {key!r}")
    if any(ord(ch) < 32 or ch == "\\" for ch in key):
        raise EdossierError(f"invalid store key {key!r}")
    return key


class FilesystemStore(Store):
    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.uri = root.resolve().as_uri()

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def _sidecar(self, path: Path) -> Path:
        return path.with_name(f".{path.name}.sha256")

    def put_bytes(self, key: str, data: bytes) -> ObjectInfo:
        digest = hashlib.sha256(data).hexdigest()
        return self._seal(key, digest, len(data), lambda handle: handle.write(data))

    def put_file(self, key: str, path: Path) -> ObjectInfo:
        digest = _hash_file(path)
        size = path.stat().st_size

        def copy(handle) -> None:  # type: ignore[no-untyped-def]
            with open(path, "rb") as src:
                shutil.copyfileobj(src, handle, 1 << 20)

        return self._seal(key, digest, size, copy)

    def _seal(self, key: str, digest: str, size: int, write) -> ObjectInfo:  # type: ignore[no-untyped-def]
        """Link a fully written, fsynced temporary file into place: exclusive, so two writers never both win."""
        target = self._path(key)
        existing = self.info(key)
        if existing is not None:  # a rerun: nothing to write, but never a different content
            if existing.sha256 != digest:
                raise ImmutableObjectError(f"{key}: already sealed with different content; refusing to overwrite")
            return existing
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            _link_read_only(target, write)
        except FileExistsError:
            existing = _hash_file(target)
            if existing != digest:
                raise ImmutableObjectError(
                    f"{key}: already sealed with different content; refusing to overwrite"
                ) from None
        try:
            _link_read_only(self._sidecar(target), lambda handle: handle.write(digest.encode()))
        except FileExistsError:
            pass
        _fsync_dir(target.parent)
        return ObjectInfo(key=key, size=size, sha256=digest)

    def get_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"{key}: not in the store") from None

    def get_file(self, key: str, target: Path) -> Path:
        try:
            shutil.copyfile(self._path(key), target)
        except FileNotFoundError:
            raise NotFoundError(f"{key}: not in the store") from None
        return target

    def info(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return None
        try:
            digest = self._sidecar(path).read_text().strip()
        except FileNotFoundError:  # a crash between the object and its sidecar: the object is complete
            digest = _hash_file(path)
        return ObjectInfo(key=key, size=size, sha256=digest)

    def list(self, prefix: str) -> Iterator[str]:
        base = self.root / prefix.rstrip("/") if prefix else self.root
        if not base.exists():
            return iter(())
        keys = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if not name.startswith("."):
                    keys.append(Path(dirpath, name).relative_to(self.root).as_posix())
        return iter(sorted(keys))

    def locate(self, key: str) -> str:
        return str(self._path(key).resolve())

    def delete(self, key: str) -> None:
        if self.exists(key):
            raise ImmutableObjectError(f"{key}: sealed objects cannot be deleted")
        raise NotFoundError(f"{key}: not in the store")


def _link_read_only(target: Path, write) -> None:  # type: ignore[no-untyped-def]
    """Write to a temporary name, fsync, make read-only, then hard-link to TARGET (fails if it exists)."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _READ_ONLY)
        os.link(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
