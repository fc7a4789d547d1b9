"""Device addresses as URIs: ``sane:test``, ``sane:<name>``, ``escl:http://host/eSCL``, ``folder:/path``.

A SANE address may carry backend options as a query, for what the request does
not cover: ``sane:test?test-picture=Grid``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl

from edossier.config import ScanSettings
from edossier.errors import EdossierError, ExitCode
from edossier.scanners.base import Scanner, ScanRequest
from edossier.scanners.hot_folder import HotFolder


class DeviceAddressError(EdossierError):
    exit_code = ExitCode.bad_argument


def open_device(uri: str, settings: ScanSettings) -> Scanner | HotFolder:
    """The scanner or hot folder URI names, opened."""
    scheme, _, rest = uri.partition(":")
    if scheme == "sane" and rest:
        from edossier.scanners.sane_scanner import PROJECT_SANE_CONFIG, SaneScanner

        name, _, query = rest.partition("?")
        config = settings.sane_config_dir
        if config is None and name.split(":")[0] == "test":  # the test device needs no probing of the network
            config = PROJECT_SANE_CONFIG
        return SaneScanner(
            name, config, dict(parse_qsl(query)), settings.sane_page_timeout_s, settings.sane_cancel_timeout_s
        )
    if scheme == "escl" and rest.startswith(("http://", "https://")):
        from edossier.scanners.escl import EsclScanner

        return EsclScanner(rest, settings.escl_timeout_s)
    if scheme == "folder" and rest:
        return HotFolder(Path(rest), settings.folder_stable_s, settings.folder_poll_s)
    raise DeviceAddressError(
        f"unknown device {uri!r}: use sane:test, sane:<device>, escl:http://host:port/eSCL or folder:/path"
    )


def scan_request(settings: ScanSettings) -> ScanRequest:
    return ScanRequest(
        resolution=settings.resolution, mode=settings.mode, source=settings.source, page_size=settings.page_size
    )
