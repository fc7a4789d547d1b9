"""SANE: USB and networked scanners on Linux, through libsane in a helper process.

libsane runs in-process in most programs, and a driver that hangs or crashes
takes the program with it.  Here each opened device gets its own helper process
(sane_device.py), so a hung driver costs one batch and a restart:

- a page that does not arrive within ``page_timeout_s`` ends the batch with
  DeviceGoneError naming the page to rescan from;
- a backend that does not finish cancelling within ``cancel_timeout_s`` (libsane's
  own ``test`` backend can deadlock there) is killed and restarted with the
  options set so far, and the pages and answer already received stand.

It also lets every device pick its own ``SANE_CONFIG_DIR``, which libsane reads
once per process: pointing it at a project-owned folder (scanners/sane.d enables
only the ``test`` virtual device) keeps tests and CI from probing the network.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import suppress
from multiprocessing.connection import Connection
from pathlib import Path
from typing import cast

from edossier.errors import EdossierError, ServiceUnavailableError
from edossier.scanners.base import DeviceGoneError, DeviceOption, ScannedPage, Scanner, ScanRequest

PROJECT_SANE_CONFIG = Path(__file__).with_name("sane.d")
"""Enables only SANE's ``test`` device: what tests and CI use."""

log = logging.getLogger(__name__)


class _HelperLost(Exception):
    """The helper gave no answer in time, or exited; it has been killed."""


class _Helper:
    """One helper process and the socket to it."""

    def __init__(self, config_dir: Path | None) -> None:
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        if config_dir is not None:
            env["SANE_CONFIG_DIR"] = str(config_dir)
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "edossier.scanners.sane_device", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                env=env,
                stdin=subprocess.DEVNULL,
            )
        self.connection = Connection(ours.detach())
        self.unsettled = False

    def call(self, method: str, args: tuple[object, ...], timeout: float, settle_timeout: float) -> object:
        """METHOD's answer from the helper; raises what it raised, or _HelperLost."""
        if not self.settle(settle_timeout):
            raise _HelperLost(f"the driver did not finish cancelling in {settle_timeout:g} s")
        try:
            self.connection.send((method, args))
        except OSError:  # the helper closed its end
            raise self._exited() from None
        kind, value = self._receive(timeout, f"no answer to {method} in {timeout:g} s")
        self.unsettled = True
        if kind == "error":
            raise cast(EdossierError, value)
        return value

    def settle(self, timeout: float) -> bool:
        """Whether the helper finished tidying up after its last answer; if not in TIMEOUT, it is killed.

        A helper that exited meanwhile (a driver that crashed between two pages) is
        _HelperLost, not a slow one: taken for slow, it was restarted with no batch
        begun, and the batch ended as if the feeder were empty, pages unscanned.
        """
        if self.unsettled:
            if not self.connection.poll(timeout):
                self.kill()
                return False
            try:
                self.connection.recv()
            except (EOFError, OSError):
                raise self._exited() from None
            self.unsettled = False
        return True

    def _receive(self, timeout: float, late: str) -> tuple[str, object]:
        if not self.connection.poll(timeout):
            self.kill()
            raise _HelperLost(late)
        try:
            return cast(tuple[str, object], self.connection.recv())
        except (EOFError, OSError):
            raise self._exited() from None

    def _exited(self) -> _HelperLost:
        self.kill()
        return _HelperLost(f"the SANE driver exited (status {self.process.returncode})")

    def close(self, timeout: float) -> None:
        if self.process.poll() is None:
            try:
                self.call("close", (), timeout, timeout)
                self.settle(timeout)
                self.process.wait(timeout)
            except (_HelperLost, EdossierError, OSError, subprocess.TimeoutExpired):
                pass
        self.kill()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        self.connection.close()


def list_devices(config_dir: Path | None, timeout_s: float = 60.0) -> list[str]:
    """The SANE devices this machine sees (network backends may take a while to answer)."""
    helper = _Helper(config_dir)
    try:
        names = cast(list[str], helper.call("devices", (), timeout_s, timeout_s))
    except _HelperLost as lost:
        raise ServiceUnavailableError(f"SANE: listing devices failed: {lost}") from None
    finally:
        helper.close(timeout_s)
    return [f"sane:{name}" for name in names]


class SaneScanner(Scanner):
    """One SANE device, e.g. ``sane:test`` or ``sane:fujitsu:fi-7160:1234``."""

    def __init__(
        self,
        device: str,
        config_dir: Path | None = None,
        options: dict[str, str] | None = None,
        page_timeout_s: float = 120.0,
        cancel_timeout_s: float = 15.0,
    ) -> None:
        self.uri = f"sane:{device}"
        self.device_name = device
        self._config_dir = config_dir
        self._page_timeout = page_timeout_s
        self._cancel_timeout = cancel_timeout_s
        self._options: dict[str, object] = {}
        """Options set so far, set again on a restarted helper."""
        self._helper: _Helper | None = self._start()
        for name, value in (options or {}).items():
            self.set_option(name, value)

    def _start(self) -> _Helper:
        helper = _Helper(self._config_dir)
        try:
            helper.call("open", (self.device_name,), self._page_timeout, self._cancel_timeout)
            for name, value in self._options.items():
                helper.call("set_option", (name, value), self._cancel_timeout, self._cancel_timeout)
        except BaseException:
            helper.kill()
            raise
        return helper

    def _call(self, method: str, *args: object, timeout: float | None = None) -> object:
        """METHOD on the device; a lost helper is dropped, and the next call starts a fresh one.

        A helper still cancelling the last batch after ``cancel_timeout_s`` is
        replaced before the call: the answer it gave stands.
        """
        try:
            if self._helper is not None and not self._helper.settle(self._cancel_timeout):
                log.warning("%s: the driver was still cancelling after %g s; restarted it", self.uri,
                            self._cancel_timeout)
                self._helper = None
            if self._helper is None:
                self._helper = self._start()
            return self._helper.call(method, args, timeout or self._cancel_timeout, self._cancel_timeout)
        except _HelperLost as lost:
            log.warning("%s: %s; the SANE driver will be restarted", self.uri, lost)
            self._helper = None
            raise

    def _control(self, method: str, *args: object) -> object:
        """A call outside a batch: a lost helper is the device unavailable, not a page to rescan."""
        try:
            return self._call(method, *args)
        except _HelperLost as lost:
            raise ServiceUnavailableError(f"{self.uri}: {lost}") from None

    def options(self) -> list[DeviceOption]:
        return cast(list[DeviceOption], self._control("options"))

    def set_option(self, name: str, value: object) -> None:
        """Set one backend option by its SANE name, converting text to the option's type."""
        self._control("set_option", name, value)
        self._options[name] = value

    def scan(self, request: ScanRequest, spool: Path, first_page: int = 1) -> Iterator[ScannedPage]:
        number = first_page
        try:
            self._call("begin", request, spool, first_page)
            while True:
                page = cast(ScannedPage | None, self._call("next_page", timeout=self._page_timeout))
                if page is None:
                    return
                number = page.number + 1
                try:
                    yield page
                except GeneratorExit:  # the caller stopped taking pages: end the batch on the device
                    with suppress(_HelperLost):
                        self._call("stop")
                    raise
        except _HelperLost as lost:
            raise DeviceGoneError(self.uri, number, str(lost)) from None

    def close(self) -> None:
        if self._helper is not None:
            self._helper.close(self._cancel_timeout)
            self._helper = None
