"""The embedded default store: write-once files under one folder.

Each object is written to a temporary name, fsynced, made read-only and then
hard-linked into place, which fails if the name is taken, so two writers can never
replace each other's object.  Its SHA-256 is then recorded beside it the same way,
so fixity can be proven later.  Keys are checked so that no key can leave the
store's folder (or collide with the hidden sidecars and temporaries).
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from edossier.storage.store import BLOCK, KeyTakenError, ObjectInfo, Source, Store, file_sha256

from edossier.errors import EdossierError, ImmutableObjectError, NotFoundError
from edossier.files import fsync_dir

_READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH


def check_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
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

    def _seal(self, key: str, sha256: str, size: int, source: Source, *, exclusive: bool = False) -> ObjectInfo:
        """Link a fully written, fsynced temporary file into place: exclusive, so two writers never both win."""
        target = self._path(key)
        existing = self.info(key)
        if existing is not None and exclusive:
            raise KeyTakenError(f"{key}: already sealed by another writer")
        if existing is not None:  # a rerun: nothing to write, but never a different content
            if existing.sha256 != sha256:
                raise ImmutableObjectError(f"{key}: already sealed with different content; refusing to overwrite")
            return existing
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            _link_read_only(target, lambda out: _copy(source, out))
        except FileExistsError:
            if exclusive:
                raise KeyTakenError(f"{key}: already sealed by another writer") from None
            if file_sha256(target) != sha256:
                raise ImmutableObjectError(
                    f"{key}: already sealed with different content; refusing to overwrite"
                ) from None
        try:
            _link_read_only(self._sidecar(target), lambda out: out.write(sha256.encode()))
        except FileExistsError:
            pass
        fsync_dir(target.parent)
        return ObjectInfo(key=key, size=size, sha256=sha256)

    def open_raw(self, key: str) -> BinaryIO:
        try:
            return open(self._path(key), "rb")
        except FileNotFoundError:
            raise NotFoundError(f"{key}: not in the store {self.uri}") from None

    def info(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return None
        try:
            digest = self._sidecar(path).read_text("ascii").strip()
        except FileNotFoundError:  # a crash between the object and its sidecar: the object is complete
            digest = file_sha256(path)
        return ObjectInfo(key=key, size=size, sha256=digest)

    def list(self, prefix: str) -> Iterator[str]:
        folder = prefix.rpartition("/")[0]
        base = self.root / folder if folder else self.root
        if not base.is_dir():
            return iter(())
        keys = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if not name.startswith("."):
                    key = Path(dirpath, name).relative_to(self.root).as_posix()
                    if key.startswith(prefix):
                        keys.append(key)
        return iter(sorted(keys))

    def locate(self, key: str) -> str:
        return str(self._path(key).resolve())

    def delete(self, key: str) -> None:
        if self.exists(key):
            raise ImmutableObjectError(f"{key}: sealed objects cannot be deleted")
        raise NotFoundError(f"{key}: not in the store {self.uri}")


def _copy(source: Source, out: BinaryIO) -> None:
    with source() as src:
        shutil.copyfileobj(src, out, BLOCK)


def _link_read_only(target: Path, write: Callable[[BinaryIO], object]) -> None:
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
