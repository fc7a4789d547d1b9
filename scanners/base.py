"""The one scanner interface every driver implements, and the pages it yields.

A driver opens a device, lists its options and scans a batch as a stream of
pages.  Each page is written to the spool folder (PNG, named by content hash)
before it is yielded, so a jam or an unplugged cable later in the batch never
costs a page already off the feeder.  Feeder empty, jam, cover open and device
gone are distinct errors that say which page to rescan from.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from types import TracebackType
from typing import Literal

from PIL import Image

from edossier.errors import ServiceUnavailableError
from edossier.files import write_atomically
from edossier.types import sha256_bytes

ColourMode = Literal["color", "gray", "lineart"]
Source = Literal["flatbed", "adf", "duplex"]

PAGE_SIZES_MM: dict[str, tuple[float, float]] = {
    "A3": (297.0, 420.0),
    "A4": (210.0, 297.0),
    "A5": (148.0, 210.0),
    "B5": (176.0, 250.0),
    "Letter": (215.9, 279.4),
    "Legal": (215.9, 355.6),
}


@dataclass(frozen=True)
class ScanRequest:
    """What the clerk asks of the device for one batch."""

    resolution: int = 300
    mode: ColourMode = "color"
    source: Source = "adf"
    page_size: str = "A4"

    @property
    def size_mm(self) -> tuple[float, float]:
        return PAGE_SIZES_MM[self.page_size]


@dataclass(frozen=True)
class ScannedPage:
    """One page as it came off the device, already safe on disk."""

    number: int
    """1-based position in the batch (one side of a sheet in duplex)."""
    image: Path
    sha256: str
    dpi: float
    mode: ColourMode
    width_px: int
    height_px: int


@dataclass(frozen=True)
class DeviceOption:
    """One setting a device offers, as the device describes it."""

    name: str
    title: str
    value: object
    choices: tuple[object, ...] | None = None
    range: tuple[float, float, float] | None = None
    """minimum, maximum, step"""
    unit: str = ""


class ScannerError(ServiceUnavailableError):
    """A device problem during a batch; NEXT_PAGE is where the clerk resumes."""

    problem = "the scanner failed"
    advice = "check the scanner"

    def __init__(self, device: str, next_page: int, detail: str = "") -> None:
        kept = f"pages 1-{next_page - 1} are kept; " if next_page > 2 else (
            "page 1 is kept; " if next_page == 2 else ""
        )
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"{device}: {self.problem} at page {next_page}{extra}; {kept}{self.advice} "
            f"and rescan from page {next_page}"
        )
        self.device = device
        self.next_page = next_page
        self.detail = detail


class FeederEmptyError(ScannerError):
    problem = "the document feeder is empty"
    advice = "load the paper"


class PaperJamError(ScannerError):
    problem = "paper jammed"
    advice = "clear the jam"


class CoverOpenError(ScannerError):
    problem = "the scanner cover is open"
    advice = "close the cover"


class DeviceGoneError(ScannerError):
    problem = "the scanner stopped answering"
    advice = "reconnect the scanner"


class Scanner(ABC):
    """A device that turns paper into page images, one batch at a time."""

    uri: str

    @abstractmethod
    def options(self) -> list[DeviceOption]:
        """The device's settings and what each may be set to."""

    @abstractmethod
    def scan(self, request: ScanRequest, spool: Path, first_page: int = 1) -> Iterator[ScannedPage]:
        """Scan until the feeder is empty (or one flatbed page), yielding pages as they land.

        FIRST_PAGE numbers the pages when a batch is resumed after a jam.  An
        empty feeder before the first page raises FeederEmptyError.
        """

    def close(self) -> None:
        """Release the device."""

    def __enter__(self) -> Scanner:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def spool_page(image: Image.Image, spool: Path, number: int, dpi: float, mode: ColourMode) -> ScannedPage:
    """Write IMAGE losslessly under SPOOL (fsynced, named by hash) and describe it."""
    buffer = BytesIO()
    image.save(buffer, format="PNG", dpi=(dpi, dpi), compress_level=1)
    data = buffer.getvalue()
    digest = sha256_bytes(data)
    spool.mkdir(parents=True, exist_ok=True)
    target = spool / f"{number:05d}-{digest[:16]}.png"
    write_atomically(target, data)
    return ScannedPage(
        number=number,
        image=target,
        sha256=digest,
        dpi=dpi,
        mode=mode,
        width_px=image.width,
        height_px=image.height,
    )


def image_mode(image: Image.Image) -> ColourMode:
    if image.mode == "1":
        return "lineart"
    if image.mode in ("L", "I;16", "I"):
        return "gray"
    return "color"
