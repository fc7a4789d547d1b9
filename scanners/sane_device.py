"""libsane itself, run only inside the SANE helper process (see sane_scanner.py).

A driver that hangs or crashes must cost the clerk one batch, not the
application: libsane's own ``test`` backend, for one, cancels its reader thread
asynchronously and can deadlock in ``sane_cancel``.  So this module is what the
helper process runs: it opens the device, translates a ScanRequest into the
backend's options by matching the words backends use ("Color", "Gray",
"Lineart", "ADF Duplex"...) and spools each page to disk before answering.
The process reads its ``SANE_CONFIG_DIR`` from its environment at ``sane_init``.

Protocol, over one socket: the parent sends ``(method, args)``; the helper
answers ``("ok", value)`` or ``("error", exception)``, then tidies up (e.g.
``sane_cancel`` after a batch ends) and sends ``("settled", None)``, so the
parent has its answer before a cancel that may never return.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from edossier.errors import EdossierError, NotFoundError, ServiceUnavailableError, UnsupportedInputError
from edossier.scanners.base import (
    ColourMode,
    CoverOpenError,
    DeviceGoneError,
    DeviceOption,
    FeederEmptyError,
    PaperJamError,
    ScannedPage,
    ScannerError,
    ScanRequest,
    image_mode,
    spool_page,
)

_SOURCE_WORDS = {
    "flatbed": ("flatbed", "platen"),
    "adf": ("automatic document feeder", "adf front", "adf", "feeder"),
    "duplex": ("duplex",),
}
_MODE_WORDS = {"color": ("color", "colour"), "gray": ("gray", "grey"), "lineart": ("lineart", "binary", "black")}
_STATUS_ERRORS: dict[str, type[ScannerError]] = {
    "Document feeder out of documents": FeederEmptyError,
    "Document feeder jammed": PaperJamError,
    "Scanner cover is open": CoverOpenError,
    "Error during device I/O": DeviceGoneError,
    "Access to resource has been denied": DeviceGoneError,
}
_UNITS = {0: "", 1: "px", 2: "bit", 3: "mm", 4: "dpi", 5: "%", 6: "us"}


@dataclass
class _Batch:
    """Where a batch stands between two pages."""

    request: ScanRequest
    spool: Path
    first_page: int
    mode: ColourMode
    dpi: float
    number: int = 0
    """The next page's number."""
    over: bool = False

    def __post_init__(self) -> None:
        self.number = self.first_page


class SaneDevice:
    """One open SANE device, e.g. ``test`` or ``fujitsu:fi-7160:1234``, scanned page by page."""

    def __init__(self, sane: Any, device: str) -> None:
        self.uri = f"sane:{device}"
        try:
            self._dev = sane.open(device)
        except Exception as exc:  # libsane says "Invalid argument" for an unknown name
            raise NotFoundError(f"{self.uri}: no such SANE device ({exc})") from None
        self._batch: _Batch | None = None

    def options(self) -> list[DeviceOption]:
        result = []
        for opt in self._dev.opt.values():
            if not opt.name:  # option 0 only counts the others
                continue
            try:
                value = getattr(self._dev, opt.py_name)
            except AttributeError:  # inactive options and buttons have no value
                continue
            constraint = opt.constraint
            choices = tuple(constraint) if isinstance(constraint, list) else None
            span = tuple(constraint) if isinstance(constraint, tuple) else None
            result.append(DeviceOption(opt.name, opt.title, value, choices, span, _UNITS.get(opt.unit, "")))
        return result

    def set_option(self, name: str, value: object) -> None:
        """Set one backend option by its SANE name, converting text to the option's type."""
        py_name = name.replace("-", "_")
        if py_name not in self._dev.opt:
            raise UnsupportedInputError(self.uri, f"has no option {name!r}")
        opt = self._dev.opt[py_name]
        if isinstance(value, str) and opt.type in (0, 1, 2):  # bool, int, fixed
            value = (value.lower() in ("1", "yes", "true")) if opt.type == 0 else float(value)
            value = int(value) if opt.type == 1 else value
        try:
            setattr(self._dev, py_name, value)
        except Exception as exc:  # python-sane raises AttributeError or _sane.error
            raise UnsupportedInputError(self.uri, f"option {name!r} cannot be set to {value!r} ({exc})") from None

    def _configure(self, request: ScanRequest) -> ColourMode:
        mode = self._choose_mode(request.mode)
        self._choose_source(request.source)
        self._choose_resolution(request.resolution)
        self._choose_area(request.size_mm)
        return mode

    def _choices(self, name: str) -> list[str]:
        opt = self._dev.opt.get(name)
        return [str(c) for c in opt.constraint] if opt is not None and isinstance(opt.constraint, list) else []

    def _choose_mode(self, mode: ColourMode) -> ColourMode:
        choices = self._choices("mode")
        depth = self._dev.opt.get("depth")
        for choice in choices:
            if any(word in choice.lower() for word in _MODE_WORDS[mode]):
                self.set_option("mode", choice)
                if mode != "lineart" and depth is not None and depth.is_active() and 8 in (depth.constraint or []):
                    self.set_option("depth", 8)  # a backend keeps the last depth, e.g. 1 after line art
                return mode
        if mode == "lineart" and depth is not None and 1 in (depth.constraint or []):
            self.set_option("mode", next(c for c in choices if "gr" in c.lower()))
            self.set_option("depth", 1)
            return mode
        raise UnsupportedInputError(self.uri, f"cannot scan in {mode} (modes: {', '.join(choices)})")

    def _choose_source(self, source: str) -> None:
        choices = self._choices("source")
        if not choices:
            if source != "flatbed":
                raise UnsupportedInputError(self.uri, "has no document feeder")
            return
        wanted = _SOURCE_WORDS[source]
        for word in wanted:
            for choice in choices:
                lowered = choice.lower()
                if word in lowered and (source == "duplex" or "duplex" not in lowered):
                    self.set_option("source", choice)
                    return
        raise UnsupportedInputError(self.uri, f"cannot scan from {source} (sources: {', '.join(choices)})")

    def _choose_resolution(self, dpi: int) -> None:
        opt = self._dev.opt.get("resolution")
        if opt is None:
            return
        constraint = opt.constraint
        if isinstance(constraint, list):
            dpi = min(constraint, key=lambda c: abs(c - dpi))
        elif isinstance(constraint, tuple):
            dpi = max(constraint[0], min(constraint[1], dpi))
        self.set_option("resolution", dpi)

    def _choose_area(self, size_mm: tuple[float, float]) -> None:
        """The page size, clipped to what the device can reach."""
        for name, extent in (("br_x", size_mm[0]), ("br_y", size_mm[1])):
            opt = self._dev.opt.get(name)
            if opt is None or not opt.is_active():
                continue
            if isinstance(opt.constraint, tuple):
                extent = min(extent, opt.constraint[1])
            self.set_option(name, extent)

    def begin(self, request: ScanRequest, spool: Path, first_page: int) -> None:
        """Configure the device for a batch; pages come from next_page."""
        self.cancel()
        mode = self._configure(request)
        dpi = float(getattr(self._dev, "resolution", request.resolution))
        self._batch = _Batch(request, spool, first_page, mode, dpi)

    def next_page(self) -> ScannedPage | None:
        """The next page off the device, on disk; None once the batch is over."""
        batch = self._batch
        if batch is None or batch.over:
            return None
        try:
            self._dev.start()
            image = self._dev.snap(True)
        except Exception as exc:
            batch.over = True
            error = _STATUS_ERRORS.get(str(exc), ScannerError)
            if error is FeederEmptyError and batch.number > batch.first_page:
                return None
            raise error(self.uri, batch.number, "" if error is not ScannerError else str(exc)) from None
        if batch.mode == "lineart" and image.mode != "1":
            image = image.convert("1")
        page = spool_page(
            image, batch.spool, batch.number, batch.dpi, image_mode(image) if batch.mode != "lineart" else "lineart"
        )
        batch.number += 1
        batch.over = batch.request.source == "flatbed"
        return page

    def stop(self) -> None:
        """End the batch early (the caller stopped taking pages); cancelled after the answer."""
        if self._batch is not None:
            self._batch.over = True

    @property
    def batch_over(self) -> bool:
        """A batch ended and the device still has to be told (sane_cancel)."""
        return self._batch is not None and self._batch.over

    def cancel(self) -> None:
        """End the batch on the device; may block for as long as the backend likes."""
        if self._batch is None:
            return
        self._batch = None
        try:
            self._dev.cancel()
        except Exception:  # a vanished device cannot be cancelled; nothing is left to release
            pass

    def close(self) -> None:
        self.cancel()
        self._dev.close()


def serve(connection: Connection) -> None:
    """Answer the parent's calls until it says close or goes away."""
    import sane

    sane.init()
    device: SaneDevice | None = None
    while True:
        try:
            method, args = connection.recv()
        except EOFError:  # the parent is gone
            return
        try:
            if method == "devices":
                value: object = [name for name, *_ in sane.get_devices()]
            elif method == "open":
                device = SaneDevice(sane, *args)
                value = None
            elif device is None:
                raise ServiceUnavailableError(f"SANE helper: {method} before open")
            else:
                value = getattr(device, method)(*args)
            reply: tuple[str, object] = ("ok", value)
        except EdossierError as exc:
            reply = ("error", exc)
        except Exception as exc:  # anything else from libsane, as one clear line
            reply = ("error", ServiceUnavailableError(f"{device.uri if device else 'SANE'}: {method} failed: {exc}"))
        connection.send(reply)
        if device is not None and device.batch_over:
            device.cancel()
        connection.send(("settled", None))
        if method == "close":
            return


if __name__ == "__main__":
    serve(Connection(int(sys.argv[1])))
