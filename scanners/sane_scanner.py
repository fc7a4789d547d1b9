"""SANE: USB and networked scanners on Linux, through python-sane (libsane).

The SANE library reads its configuration once, at ``sane_init``; pointing
``SANE_CONFIG_DIR`` at a project-owned folder (scanners/sane.d enables only the
``test`` virtual device) keeps tests and CI from probing the network.  Option
names and values differ by backend, so the request is translated by matching
the words backends use ("Color", "Gray", "Lineart", "ADF Duplex"...).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from edossier.errors import NotFoundError, ServiceUnavailableError, UnsupportedInputError
from edossier.scanners.base import (
    ColourMode,
    CoverOpenError,
    DeviceGoneError,
    DeviceOption,
    FeederEmptyError,
    PaperJamError,
    ScannedPage,
    Scanner,
    ScannerError,
    ScanRequest,
    image_mode,
    spool_page,
)

PROJECT_SANE_CONFIG = Path(__file__).with_name("sane.d")
"""Enables only SANE's ``test`` device: what tests and CI use."""

_init_lock = threading.Lock()
_initialised: list[str | None] = []

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


def _sane() -> Any:
    """python-sane, imported late so the other drivers work where libsane is missing."""
    import sane

    return sane


def init_sane(config_dir: Path | None) -> None:
    """Start libsane with CONFIG_DIR; it cannot be changed afterwards in this process."""
    with _init_lock:
        if _initialised:
            if _initialised[0] != (str(config_dir) if config_dir else None):
                raise ServiceUnavailableError(
                    f"SANE is already started with config {_initialised[0]}; {config_dir} needs a new process"
                )
            return
        if config_dir is not None:
            os.environ["SANE_CONFIG_DIR"] = str(config_dir)
        _sane().init()
        _initialised.append(str(config_dir) if config_dir else None)


def list_devices(config_dir: Path | None) -> list[str]:
    init_sane(config_dir)
    return [f"sane:{name}" for name, *_ in _sane().get_devices()]


class SaneScanner(Scanner):
    """One SANE device, e.g. ``sane:test`` or ``sane:fujitsu:fi-7160:1234``."""

    def __init__(self, device: str, config_dir: Path | None = None, options: dict[str, str] | None = None):
        init_sane(config_dir)
        self.uri = f"sane:{device}"
        self.device_name = device
        try:
            self._dev = _sane().open(device)
        except Exception as exc:  # libsane says "Invalid argument" for an unknown name
            raise NotFoundError(f"{self.uri}: no such SANE device ({exc})") from None
        for name, value in (options or {}).items():
            self.set_option(name, value)

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

    def scan(self, request: ScanRequest, spool: Path, first_page: int = 1) -> Iterator[ScannedPage]:
        mode = self._configure(request)
        dpi = float(getattr(self._dev, "resolution", request.resolution))
        number = first_page
        while True:
            try:
                self._dev.start()
                image = self._dev.snap(True)
            except Exception as exc:
                self._cancel()
                error = _STATUS_ERRORS.get(str(exc), ScannerError)
                if error is FeederEmptyError and number > first_page:
                    return
                raise error(self.uri, number, "" if error is not ScannerError else str(exc)) from None
            if mode == "lineart" and image.mode != "1":
                image = image.convert("1")
            yield spool_page(image, spool, number, dpi, image_mode(image) if mode != "lineart" else mode)
            number += 1
            if request.source == "flatbed":
                self._cancel()
                return

    def _cancel(self) -> None:
        try:
            self._dev.cancel()
        except Exception:  # a vanished device cannot be cancelled; nothing is left to release
            pass

    def close(self) -> None:
        self._dev.close()


_UNITS = {0: "", 1: "px", 2: "bit", 3: "mm", 4: "dpi", 5: "%", 6: "us"}
