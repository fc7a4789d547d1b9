"""A small eSCL scanner for the tests: a real HTTP server speaking the eSCL protocol.

No networked scanner can be reached from CI, so this stands in for one.  It is
a test server, not a mock of our client: it serves real page images (the
bundled sample scans, resampled to the resolution asked for, as a scanner
would), answers capabilities and status in the eSCL schema that sane-airscan
also reads, hands out one page per NextDocument and 404 when the feeder is
empty, and can simulate a jam, an open cover or an empty feeder.  It records
every request so tests can check that jobs are cleaned up.
"""

from __future__ import annotations

import threading
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path

from PIL import Image

SCAN = "http://schemas.hp.com/imaging/escl/2011/05/03"
PWG = "http://www.pwg.org/schemas/2010/12/sm"
NS = {"scan": SCAN, "pwg": PWG}
RESOLUTIONS = (75, 100, 150, 200, 300)


def _profile() -> str:
    resolutions = "".join(
        f"<scan:DiscreteResolution><scan:XResolution>{r}</scan:XResolution>"
        f"<scan:YResolution>{r}</scan:YResolution></scan:DiscreteResolution>"
        for r in RESOLUTIONS
    )
    return f"""<scan:MinWidth>16</scan:MinWidth><scan:MaxWidth>2550</scan:MaxWidth>
<scan:MinHeight>16</scan:MinHeight><scan:MaxHeight>4200</scan:MaxHeight>
<scan:MaxScanRegions>1</scan:MaxScanRegions>
<scan:SettingProfiles><scan:SettingProfile>
<scan:ColorModes><scan:ColorMode>BlackAndWhite1</scan:ColorMode><scan:ColorMode>Grayscale8</scan:ColorMode><scan:ColorMode>RGB24</scan:ColorMode></scan:ColorModes>
<scan:DocumentFormats><pwg:DocumentFormat>image/jpeg</pwg:DocumentFormat><pwg:DocumentFormat>image/png</pwg:DocumentFormat>
<scan:DocumentFormatExt>image/jpeg</scan:DocumentFormatExt><scan:DocumentFormatExt>image/png</scan:DocumentFormatExt></scan:DocumentFormats>
<scan:SupportedResolutions><scan:DiscreteResolutions>{resolutions}</scan:DiscreteResolutions></scan:SupportedResolutions>
</scan:SettingProfile></scan:SettingProfiles>
<scan:SupportedIntents><scan:Intent>Document</scan:Intent></scan:SupportedIntents>
<scan:MaxOpticalXResolution>300</scan:MaxOpticalXResolution><scan:MaxOpticalYResolution>300</scan:MaxOpticalYResolution>"""


CAPABILITIES = f"""<?xml version="1.0" encoding="UTF-8"?>
<scan:ScannerCapabilities xmlns:scan="{SCAN}" xmlns:pwg="{PWG}">
<pwg:Version>2.63</pwg:Version>
<pwg:MakeAndModel>edossier test eSCL scanner</pwg:MakeAndModel>
<pwg:SerialNumber>EDOSSIER-0001</pwg:SerialNumber>
<scan:UUID>4509a320-00a0-008f-00b6-002507510eca</scan:UUID>
<scan:Platen><scan:PlatenInputCaps>{_profile()}</scan:PlatenInputCaps></scan:Platen>
<scan:Adf><scan:AdfSimplexInputCaps>{_profile()}</scan:AdfSimplexInputCaps>
<scan:AdfDuplexInputCaps>{_profile()}</scan:AdfDuplexInputCaps>
<scan:FeederCapacity>50</scan:FeederCapacity>
<scan:AdfOptions><scan:AdfOption>DetectPaperLoaded</scan:AdfOption><scan:AdfOption>Duplex</scan:AdfOption></scan:AdfOptions>
</scan:Adf>
</scan:ScannerCapabilities>
"""


@dataclass
class Feeder:
    """The paper in the feeder and what goes wrong with it."""

    pages: list[Path] = field(default_factory=list)
    jam_after: int | None = None
    """jam once this many pages have been fed in this job."""
    cover_open: bool = False


class EsclTestServer:
    """``with EsclTestServer(pages) as server: server.url`` is an eSCL scanner's base URL."""

    def __init__(self, pages: list[Path] | None = None) -> None:
        self.feeder = Feeder(list(pages or []))
        self.requests: list[tuple[str, str]] = []
        self.settings: list[ET.Element] = []
        self.jobs: dict[str, tuple[str, list[bytes]]] = {}
        self.fed: dict[str, int] = {}
        self.adf_state = "ScannerAdfLoaded"
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True  # closing never waits on a client's half-open connection
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/eSCL"

    def __enter__(self) -> EsclTestServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def load(self, pages: list[Path]) -> None:
        with self._lock:
            self.feeder.pages = list(pages)
            self.feeder.jam_after = None
            self.adf_state = "ScannerAdfLoaded"

    def _status(self) -> bytes:
        state = "Idle" if self.adf_state == "ScannerAdfLoaded" or not self.feeder.pages else "Stopped"
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<scan:ScannerStatus xmlns:scan="{SCAN}" xmlns:pwg="{PWG}">
<pwg:Version>2.63</pwg:Version><pwg:State>{state}</pwg:State>
<scan:AdfState>{self.adf_state}</scan:AdfState>
</scan:ScannerStatus>
""".encode()

    def _start_job(self, body: bytes) -> str | None:
        root = ET.fromstring(body)
        self.settings.append(root)
        if self.feeder.cover_open:
            self.adf_state = "ScannerAdfHatchOpen"
            return None
        source = root.findtext("pwg:InputSource", "Feeder", NS)
        if source == "Feeder" and not self.feeder.pages:
            self.adf_state = "ScannerAdfEmpty"
            return None
        dpi = int(root.findtext("scan:XResolution", "300", NS))
        mode = root.findtext("scan:ColorMode", "RGB24", NS)
        fmt = root.findtext("pwg:DocumentFormat", None, NS) or root.findtext("scan:DocumentFormatExt", "image/jpeg", NS)
        count = 1 if source == "Platen" else len(self.feeder.pages)
        rendered = [_render(page, dpi, mode, fmt) for page in self.feeder.pages[:count]]
        job = uuid.uuid4().hex
        self.jobs[job] = (source, rendered)
        return job

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _send(self, code: int, body: bytes = b"", kind: str = "text/xml", headers: dict[str, str] | None = None) -> None:
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                server.requests.append(("GET", self.path))
                path = self.path.split("?")[0]
                with server._lock:
                    if path.endswith("/ScannerCapabilities"):
                        return self._send(200, CAPABILITIES.encode())
                    if path.endswith("/ScannerStatus"):
                        return self._send(200, server._status())
                    if path.endswith("/NextDocument"):
                        job = path.split("/")[-2]
                        return self._next(job)
                self._send(404)

            def _next(self, job: str) -> None:
                if job not in server.jobs:
                    return self._send(404)
                source, pages = server.jobs[job]
                fed = server.fed.get(job, 0)
                if server.feeder.jam_after is not None and fed >= server.feeder.jam_after and pages:
                    server.adf_state = "ScannerAdfJam"
                    return self._send(409)
                if not pages:
                    if source == "Feeder":
                        server.adf_state = "ScannerAdfEmpty"
                    return self._send(404)
                data = pages.pop(0)
                if source == "Feeder":
                    server.feeder.pages.pop(0)
                server.fed[job] = fed + 1
                kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
                self._send(200, data, kind)

            def do_POST(self) -> None:  # noqa: N802
                server.requests.append(("POST", self.path))
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if not self.path.split("?")[0].endswith("/ScanJobs"):
                    return self._send(404)
                with server._lock:
                    job = server._start_job(body)
                if job is None:
                    return self._send(409)
                host = self.headers.get("Host", f"127.0.0.1:{server._httpd.server_address[1]}")
                self._send(201, headers={"Location": f"http://{host}/eSCL/ScanJobs/{job}"})

            def do_DELETE(self) -> None:  # noqa: N802
                server.requests.append(("DELETE", self.path))
                with server._lock:
                    found = server.jobs.pop(self.path.rstrip("/").split("/")[-1], None)
                self._send(200 if found is not None else 404)

        return Handler


def _render(path: Path, dpi: int, mode: str, fmt: str) -> bytes:
    """The page as the scanner would send it: at the resolution and colour mode asked for."""
    with Image.open(path) as image:
        source_dpi = float(image.info.get("dpi", (300, 300))[0]) or 300.0
        scale = dpi / source_dpi
        page = image.convert("RGB").resize((round(image.width * scale), round(image.height * scale)))
    if mode == "Grayscale8":
        page = page.convert("L")
    elif mode == "BlackAndWhite1":
        page = page.convert("L").point(lambda v: 255 if v > 160 else 0).convert("1")
    buffer = BytesIO()
    if fmt == "image/png" or page.mode == "1":
        page.save(buffer, format="PNG", dpi=(dpi, dpi))
    else:
        page.save(buffer, format="JPEG", quality=90, dpi=(dpi, dpi))
    return buffer.getvalue()
