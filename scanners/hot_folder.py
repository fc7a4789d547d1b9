"""Hot folder: scan-to-folder from a multifunction printer.

A file is taken only once its size and modification time have stopped changing
for a while (the printer may still be writing it).  Taking it is one rename
into ``.claimed/`` while holding an exclusive lock on the file: the rename makes
sure two workers never take the same file, and the lock (released by the kernel
when a worker dies) tells a live worker's claim from one left by a crash, which
the next worker takes over.  Afterwards the file moves to ``done/`` or to
``failed/`` with a ``.reason.txt`` beside it.  A file is never deleted.

Processing must be idempotent (edossier's is: inputs are named by content hash),
because a worker killed after its work but before the move leaves the file
claimed, and its successor processes it again.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from edossier.errors import NotFoundError
from edossier.files import fsync_dir

CLAIMED = ".claimed"
DONE = "done"
FAILED = "failed"


@dataclass
class ClaimedFile:
    """A file this worker holds; it stays locked until done() or failed()."""

    path: Path
    original_name: str
    folder: HotFolder
    _fd: int = field(repr=False, default=-1)
    recovered: bool = False

    def done(self) -> Path:
        return self._finish(self.folder.root / DONE)

    def failed(self, reason: str) -> Path:
        target = self._finish(self.folder.root / FAILED)
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
        return target

    def _finish(self, folder: Path) -> Path:
        folder.mkdir(exist_ok=True)
        target = _free_name(folder, self.original_name)
        os.rename(self.path, target)
        fsync_dir(folder)
        self.release()
        return target

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class HotFolder:
    """Files dropped into ROOT, taken one at a time by any number of workers."""

    def __init__(self, root: Path, stable_s: float = 2.0, poll_s: float = 0.5) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise NotFoundError(f"folder:{root}: no such folder")
        self.uri = f"folder:{self.root}"
        self.stable_s = stable_s
        self.poll_s = poll_s
        self.claimed_dir = self.root / CLAIMED
        self.claimed_dir.mkdir(exist_ok=True)
        self._seen: dict[str, tuple[int, int, float]] = {}

    def waiting(self) -> list[Path]:
        """Files in the inbox, oldest first (hidden and partial names are skipped)."""
        found: list[tuple[float, str, Path]] = []
        with os.scandir(self.root) as entries:
            for entry in entries:
                if entry.name.startswith(".") or entry.name.endswith((".part", ".tmp")):
                    continue
                try:  # another worker may take it while we look
                    if entry.is_file(follow_symlinks=False):
                        found.append((entry.stat().st_mtime, entry.name, Path(entry.path)))
                except FileNotFoundError:
                    continue
        return [path for _, _, path in sorted(found)]

    def claim_next(self) -> ClaimedFile | None:
        """A crashed worker's file first, then the oldest stable inbox file; None if none is ready."""
        orphan = self._recover()
        if orphan is not None:
            return orphan
        now = time.monotonic()
        for path in self.waiting():
            if not self._is_stable(path, now):
                continue
            claim = self._claim(path)
            if claim is not None:
                return claim
        return None

    def wait_for_next(self, stop: Callable[[], bool] = lambda: False) -> ClaimedFile | None:
        """Poll until a file is ready or STOP() says to give up."""
        while not stop():
            claim = self.claim_next()
            if claim is not None:
                return claim
            time.sleep(self.poll_s)
        return None

    def _is_stable(self, path: Path, now: float) -> bool:
        try:
            stat = path.stat()
        except FileNotFoundError:
            return False
        signature = (stat.st_size, stat.st_mtime_ns)
        seen = self._seen.get(path.name)
        if seen is None or seen[:2] != signature:
            self._seen[path.name] = (*signature, now)
            return self.stable_s <= 0 and stat.st_size > 0
        return stat.st_size > 0 and now - seen[2] >= self.stable_s

    def _claim(self, path: Path) -> ClaimedFile | None:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            target = _free_name(self.claimed_dir, path.name)
            os.rename(path, target)  # fails if another worker renamed it first
        except (BlockingIOError, FileNotFoundError):
            os.close(fd)
            return None
        fsync_dir(self.claimed_dir)
        self._seen.pop(path.name, None)
        return ClaimedFile(path=target, original_name=path.name, folder=self, _fd=fd)

    def _recover(self) -> ClaimedFile | None:
        for path in sorted(self.claimed_dir.iterdir()):
            if not path.is_file():
                continue
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # a live worker holds it
                os.close(fd)
                continue
            if not _same_file(fd, path):  # finished by its owner between listing and locking
                os.close(fd)
                continue
            return ClaimedFile(path=path, original_name=path.name, folder=self, _fd=fd, recovered=True)
        return None


def _free_name(folder: Path, name: str) -> Path:
    """NAME in FOLDER, or NAME with a counter if a file of that name is already there."""
    target = folder / name
    stem, suffix = os.path.splitext(name)
    counter = 1
    while target.exists():
        target = folder / f"{stem}.{counter}{suffix}"
        counter += 1
    return target


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == path.stat().st_ino
    except FileNotFoundError:
        return False
