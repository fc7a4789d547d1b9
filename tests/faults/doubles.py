"""Test doubles for faults no real service produces on demand (in the style of OCRmyPDF's tests/plugins).

Each wraps a real implementation and fails at a chosen point; everything else is
real.  They stand in only for the *moment of failure*: a store that stops
answering mid-publish, an OCR engine that crashes on one page.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from edossier.errors import ServiceUnavailableError
from edossier.ocr.engine import OcrEngine
from edossier.storage.filesystem import FilesystemStore
from edossier.storage.store import ObjectInfo
from edossier.types import OcrLine, OcrPage


class StoreFailingAtWrite(FilesystemStore):
    """A real filesystem store whose Nth write fails as if the server went away."""

    def __init__(self, root: Path, fail_at: int) -> None:
        super().__init__(root)
        self.fail_at = fail_at
        self.writes = 0

    def _count(self, key: str) -> None:
        self.writes += 1
        if self.writes == self.fail_at:
            raise ServiceUnavailableError(f"store {self.uri}: connection lost while writing {key}")

    def put_bytes(self, key: str, data: bytes) -> ObjectInfo:
        self._count(key)
        return super().put_bytes(key, data)

    def put_file(self, key: str, path: Path) -> ObjectInfo:
        self._count(key)
        return super().put_file(key, path)


class EngineCrashingOnPage(OcrEngine):
    """Reads every page as one line of known text, but crashes on the page image given."""

    name = "crashing-double"

    def __init__(self, crash_on: Path | None) -> None:
        self.crash_on = crash_on
        self.calls: list[Path] = []

    def version(self) -> str:
        return "1"

    def recognize(self, image: Path) -> OcrPage:
        self.calls.append(image)
        if self.crash_on is not None and image == self.crash_on:
            raise RuntimeError("engine process died (simulated segfault)")
        return OcrPage(
            engine=self.name, engine_version="1", width=2480, height=3508,
            lines=(OcrLine(text="授权委托书", box=(200.0, 200.0, 900.0, 280.0), confidence=0.99),),
        )


class StoreWithWriterAhead(FilesystemStore):
    """A real filesystem store in which another writer publishes first, at the worst moment.

    The first time a version's manifest is about to be written, AHEAD runs (say a
    clerk's ``edossier catalogue`` at a terminal, which publishes that same
    version number through this store), then the write goes on as asked.
    """

    def __init__(self, root: Path, ahead: Callable[[], object]) -> None:
        super().__init__(root)
        self.ahead: Callable[[], object] | None = ahead

    def put_bytes(self, key: str, data: bytes) -> ObjectInfo:
        if key.endswith("/manifest.json") and self.ahead is not None:
            ahead, self.ahead = self.ahead, None
            ahead()
        return super().put_bytes(key, data)
