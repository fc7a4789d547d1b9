"""eSCL (AirScan): the HTTP protocol most networked office scanners speak.

A batch is one scan job: read the capabilities, POST the settings to
``ScanJobs`` (the answer's Location names the job), GET ``NextDocument`` until
the scanner says 404 (feeder empty), and DELETE the job whatever happened, so
the device is free for the next clerk.  When the scanner refuses a request, its
``ScannerStatus`` tells a jam from an empty feeder or an open cover.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from PIL import Image, UnidentifiedImageError

from edossier.errors import UnsupportedInputError
from edossier.scanners.base import (
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

SCAN_NS = "http://schemas.hp.com/imaging/escl/2011/05/03"
PWG_NS = "http://www.pwg.org/schemas/2010/12/sm"
NS = {"scan": SCAN_NS, "pwg": PWG_NS}
COLOUR_MODES = {"color": "RGB24", "gray": "Grayscale8", "lineart": "BlackAndWhite1"}
PREFERRED_FORMATS = ("image/png", "image/tiff", "image/jpeg")
BUSY_RETRIES = 20

_ADF_ERRORS: dict[str, type[ScannerError]] = {
    "ScannerAdfJam": PaperJamError,
    "ScannerAdfMispick": PaperJamError,
    "ScannerAdfMultipickDetected": PaperJamError,
    "ScannerAdfHatchOpen": CoverOpenError,
    "ScannerAdfEmpty": FeederEmptyError,
}


@dataclass(frozen=True)
class InputCaps:
    """What one input (platen, feeder, duplex feeder) can do."""

    colour_modes: tuple[str, ...]
    formats: tuple[str, ...]
    resolutions: tuple[int, ...]
    max_width: int
    max_height: int


@dataclass(frozen=True)
class Capabilities:
    make_and_model: str
    inputs: dict[str, InputCaps]
    """keys: "flatbed", "adf", "duplex"."""


class EsclScanner(Scanner):
    """An eSCL scanner at ``escl:http://host:port/eSCL``."""

    def __init__(self, base_url: str, timeout_s: float = 30.0) -> None:
        self.base = base_url.rstrip("/") + "/"
        self.uri = f"escl:{base_url}"
        self.timeout_s = timeout_s
        self.capabilities = self._read_capabilities()

    def options(self) -> list[DeviceOption]:
        result = [DeviceOption("model", "Make and model", self.capabilities.make_and_model)]
        for source, caps in self.capabilities.inputs.items():
            result.append(DeviceOption(f"{source}-modes", f"{source} colour modes", None, caps.colour_modes))
            result.append(
                DeviceOption(f"{source}-resolutions", f"{source} resolutions", None, caps.resolutions, unit="dpi")
            )
            result.append(DeviceOption(f"{source}-formats", f"{source} formats", None, caps.formats))
        return result

    def status(self) -> tuple[str, str]:
        """The scanner's state and its feeder's state (e.g. "Idle", "ScannerAdfLoaded")."""
        root = ET.fromstring(self._request_full("GET", "ScannerStatus", 1)[1])
        return root.findtext("pwg:State", "", NS), root.findtext("scan:AdfState", "", NS)

    def scan(self, request: ScanRequest, spool: Path, first_page: int = 1) -> Iterator[ScannedPage]:
        body, fmt, dpi = self._settings_xml(request)
        status, _, headers = self._request_full("POST", "ScanJobs", first_page, body, ok=(201, 409, 503))
        if status != 201:
            raise self._status_error(first_page, f"scan job refused with HTTP {status}")
        job = urljoin(self.base, headers.get("Location", ""))
        if not urlsplit(job).path.strip("/"):
            raise ScannerError(self.uri, first_page, "the scanner gave no job location")
        number = first_page
        try:
            while True:
                status, data, headers = self._next_document(job, number)
                if status == 404:
                    if number == first_page or self._adf_state() in ("ScannerAdfJam", "ScannerAdfHatchOpen"):
                        raise self._status_error(number, "no page came from the scanner")
                    return
                if status != 200:
                    raise self._status_error(number, f"HTTP {status} for page {number}")
                image = _decode(data, headers.get("Content-Type", fmt), self.uri, number)
                yield spool_page(image, spool, number, dpi, image_mode(image))
                number += 1
                if request.source == "flatbed":
                    return
        finally:
            self._delete(job)

    def _next_document(self, job: str, number: int) -> tuple[int, bytes, dict[str, str]]:
        url = job.rstrip("/") + "/NextDocument"
        for _ in range(BUSY_RETRIES):
            status, data, headers = self._request_full("GET", url, number, ok=(200, 404, 409, 500, 503))
            if status != 503:
                return status, data, headers
            time.sleep(0.5)
        raise DeviceGoneError(self.uri, number, "the scanner stayed busy")

    def _delete(self, job: str) -> None:
        try:
            self._request_full("DELETE", job, 1, ok=(200, 204, 404, 405))
        except ScannerError:  # a vanished device has no job left to delete
            pass

    def _adf_state(self) -> str:
        try:
            return self.status()[1]
        except ScannerError:
            return ""

    def _status_error(self, number: int, detail: str) -> ScannerError:
        state = self._adf_state()
        error = _ADF_ERRORS.get(state, ScannerError)
        return error(self.uri, number, "" if error is not ScannerError else detail)

    def _settings_xml(self, request: ScanRequest) -> tuple[bytes, str, float]:
        caps = self.capabilities.inputs.get(request.source)
        if caps is None:
            raise UnsupportedInputError(
                self.uri, f"cannot scan from {request.source} (inputs: {', '.join(self.capabilities.inputs)})"
            )
        mode = COLOUR_MODES[request.mode]
        if mode not in caps.colour_modes:
            raise UnsupportedInputError(self.uri, f"cannot scan in {request.mode} (modes: {', '.join(caps.colour_modes)})")
        fmt = next((f for f in PREFERRED_FORMATS if f in caps.formats), None)
        if fmt is None:
            raise UnsupportedInputError(self.uri, f"offers no image format edossier reads ({', '.join(caps.formats)})")
        dpi = min(caps.resolutions, key=lambda r: abs(r - request.resolution)) if caps.resolutions else request.resolution
        width_mm, height_mm = request.size_mm
        width = min(round(width_mm / 25.4 * 300), caps.max_width or 10**6)
        height = min(round(height_mm / 25.4 * 300), caps.max_height or 10**6)
        source = "Platen" if request.source == "flatbed" else "Feeder"
        duplex = "<scan:Duplex>true</scan:Duplex>" if request.source == "duplex" else ""
        xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<scan:ScanSettings xmlns:scan="{SCAN_NS}" xmlns:pwg="{PWG_NS}">
  <pwg:Version>2.0</pwg:Version>
  <pwg:ScanRegions>
    <pwg:ScanRegion>
      <pwg:ContentRegionUnits>escl:ThreeHundredthsOfInches</pwg:ContentRegionUnits>
      <pwg:XOffset>0</pwg:XOffset>
      <pwg:YOffset>0</pwg:YOffset>
      <pwg:Width>{width}</pwg:Width>
      <pwg:Height>{height}</pwg:Height>
    </pwg:ScanRegion>
  </pwg:ScanRegions>
  <pwg:InputSource>{source}</pwg:InputSource>{duplex}
  <scan:ColorMode>{mode}</scan:ColorMode>
  <scan:XResolution>{dpi}</scan:XResolution>
  <scan:YResolution>{dpi}</scan:YResolution>
  <pwg:DocumentFormat>{fmt}</pwg:DocumentFormat>
  <scan:DocumentFormatExt>{fmt}</scan:DocumentFormatExt>
</scan:ScanSettings>
"""
        return xml.encode(), fmt, float(dpi)

    def _read_capabilities(self) -> Capabilities:
        _, data, _ = self._request_full("GET", "ScannerCapabilities", 1)
        try:
            root = ET.fromstring(data)
        except ET.ParseError as exc:
            raise ScannerError(self.uri, 1, f"capabilities are not XML ({exc})") from None
        inputs: dict[str, InputCaps] = {}
        for key, path in (
            ("flatbed", "scan:Platen/scan:PlatenInputCaps"),
            ("adf", "scan:Adf/scan:AdfSimplexInputCaps"),
            ("duplex", "scan:Adf/scan:AdfDuplexInputCaps"),
        ):
            node = root.find(path, NS)
            if node is not None:
                inputs[key] = _input_caps(node)
        if "adf" in inputs and "duplex" not in inputs:
            options = root.findall("scan:Adf/scan:AdfOptions/scan:AdfOption", NS)
            if any(o.text == "Duplex" for o in options):
                inputs["duplex"] = inputs["adf"]
        return Capabilities(root.findtext("pwg:MakeAndModel", "", NS), inputs)

    def _request_full(
        self, method: str, path: str, number: int, body: bytes | None = None, ok: tuple[int, ...] = (200,)
    ) -> tuple[int, bytes, dict[str, str]]:
        url = urljoin(self.base, path)
        req = urllib.request.Request(url, data=body, method=method)
        if body is not None:
            req.add_header("Content-Type", "text/xml")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as response:
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as exc:
            if exc.code in ok:
                return exc.code, exc.read(), dict(exc.headers)
            raise ScannerError(self.uri, number, f"{method} {path} answered HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise DeviceGoneError(self.uri, number, str(getattr(exc, "reason", exc))) from None


def _input_caps(node: ET.Element) -> InputCaps:
    modes = tuple(e.text or "" for e in node.iterfind(".//scan:ColorModes/scan:ColorMode", NS))
    formats = tuple(
        dict.fromkeys(
            e.text or ""
            for e in node.iter()
            if e.tag in (f"{{{PWG_NS}}}DocumentFormat", f"{{{SCAN_NS}}}DocumentFormatExt")
        )
    )
    resolutions = tuple(
        sorted({int(e.text or 0) for e in node.iterfind(".//scan:DiscreteResolution/scan:XResolution", NS)})
    )
    return InputCaps(
        colour_modes=modes,
        formats=formats,
        resolutions=resolutions,
        max_width=int(node.findtext("scan:MaxWidth", "0", NS)),
        max_height=int(node.findtext("scan:MaxHeight", "0", NS)),
    )


def _decode(data: bytes, media_type: str, device: str, number: int) -> Image.Image:
    try:
        image = Image.open(BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise ScannerError(device, number, f"page {number} is not a readable {media_type} ({exc})") from None
    return image if image.mode in ("RGB", "L", "1") else image.convert("RGB")
