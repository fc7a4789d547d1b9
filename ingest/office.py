"""Word, WPS, RTF and ODT originals become PDF through one warm LibreOffice (unoserver).

Starting LibreOffice costs seconds, so one converter process is started the
first time a word-processor file arrives and then kept for the life of the
process (a web server or batch worker converts every later file warm). The
converter runs with a private profile in which macro execution is disabled and
the macro security level is "very high": a document's macros never run, even
if one slipped past the sniffing that refuses them (see ``sniff``). A
conversion that takes longer than the configured timeout is abandoned, the
converter is restarted on the next file, and the file is refused with a reason.
"""

from __future__ import annotations

import atexit
import http.client
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import xmlrpc.client
from dataclasses import dataclass
from pathlib import Path

import unoserver

from edossier.errors import InputFileError, ServiceUnavailableError

OFFICE_PYTHON = "/usr/bin/python3"
"""The interpreter Debian's python3-uno belongs to: unoserver's server half must run under it."""

START_TIMEOUT_S = 60.0

_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="UseSystemFileDialog" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class _Converter:
    """One running unoserver (and the LibreOffice it drives) with its private profile."""

    process: subprocess.Popen[bytes]
    port: int
    profile: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


_lock = threading.Lock()
_current: _Converter | None = None


def _start() -> _Converter:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or not Path(OFFICE_PYTHON).exists():
        raise ServiceUnavailableError(
            "LibreOffice is not installed (Debian packages libreoffice-writer-nogui and python3-uno): "
            "Word, WPS, RTF and ODT files cannot be converted"
        )
    profile = Path(tempfile.mkdtemp(prefix="edossier-office-"))
    (profile / "user").mkdir()
    (profile / "user" / "registrymodifications.xcu").write_text(_PROFILE, encoding="utf-8")
    port, uno_port = _free_port(), _free_port()
    package_root = str(Path(unoserver.__file__).resolve().parent.parent)
    # The server half imports uno (system Python); unoserver itself is found after the system's packages.
    bootstrap = f"import sys; sys.path.append({package_root!r}); from unoserver.server import main; main()"
    process = subprocess.Popen(
        [OFFICE_PYTHON, "-c", bootstrap, "--interface", "127.0.0.1", "--port", str(port),
         "--uno-port", str(uno_port), "--executable", soffice,
         "--user-installation", str(profile), "--quiet"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": ""},
        start_new_session=True,
    )
    converter = _Converter(process, port, profile)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if not converter.alive():
            converter.stop()
            raise ServiceUnavailableError("the LibreOffice converter exited while starting")
        try:
            _proxy(port, 5.0).info()
            return converter
        except (OSError, xmlrpc.client.Error):
            time.sleep(0.5)
    converter.stop()
    raise ServiceUnavailableError(f"the LibreOffice converter did not start within {START_TIMEOUT_S:.0f} s")


def _proxy(port: int, timeout: float) -> xmlrpc.client.ServerProxy:
    transport = _TimeoutTransport(timeout)
    return xmlrpc.client.ServerProxy(f"http://127.0.0.1:{port}", allow_none=True, transport=transport)


class _TimeoutTransport(xmlrpc.client.Transport):
    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def make_connection(self, host: tuple[str, dict[str, str]] | str) -> http.client.HTTPConnection:
        connection = super().make_connection(host)
        connection.timeout = self.timeout
        return connection


def _warm() -> _Converter:
    global _current
    if _current is None or not _current.alive():
        if _current is not None:
            _current.stop()
        _current = _start()
    return _current


def stop_converter() -> None:
    """Stop the warm converter (at exit, or when a conversion hung)."""
    global _current
    with _lock:
        if _current is not None:
            _current.stop()
            _current = None


atexit.register(stop_converter)


def warm_up() -> None:
    """Start the converter now, so that the first document does not wait for LibreOffice."""
    with _lock:
        _warm()


def convert_to_pdf(source: Path, target: Path, timeout_s: float) -> None:
    """Convert the word-processor file SOURCE into the PDF TARGET, or refuse it with the reason."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part.pdf")
    with _lock:
        converter = _warm()
        try:
            # update_index=False: tables of contents stay as the author saved them (and it halves the time).
            _proxy(converter.port, timeout_s).convert(str(source.resolve()), None, str(partial), "pdf", None, [], False)
        except TimeoutError:
            converter.stop()
            raise InputFileError(source, f"could not be converted within {timeout_s:g} s (LibreOffice)") from None
        except xmlrpc.client.Fault as exc:
            raise InputFileError(source, f"LibreOffice cannot read it ({_fault_reason(exc)})") from None
        except (OSError, xmlrpc.client.ProtocolError) as exc:
            converter.stop()
            raise ServiceUnavailableError(f"{source}: the LibreOffice converter failed ({exc})") from None
    if not partial.exists() or partial.stat().st_size == 0:
        raise InputFileError(source, "LibreOffice produced no PDF from it")
    partial.replace(target)


def _fault_reason(fault: xmlrpc.client.Fault) -> str:
    """The last line of LibreOffice's complaint, without the Python class name XML-RPC puts before it."""
    text = str(fault.faultString).strip().splitlines()
    return re.sub(r"^<class '[^']*'>:\s*", "", text[-1])[:200] if text else "unknown error"
