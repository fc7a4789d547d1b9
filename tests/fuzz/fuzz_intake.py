"""atheris fuzz target: input sniffing and PDF/image intake must fail only with our errors.

Any exception other than an EdossierError (which carries a clear message and an
exit code) is a crash: the fuzzer stops and writes the input to crash-*; each one
found becomes a regression input in tests/fuzz/regressions/.

    .venv/bin/python tests/fuzz/fuzz_intake.py tests/fuzz/corpus -max_total_time=3600
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["edossier"]):
    from edossier.config import LimitsSettings
    from edossier.errors import EdossierError
    from edossier.ingest.pages import open_source, read_pages
    from edossier.ingest.sniff import sniff_bytes

LIMITS = LimitsSettings(max_file_bytes=4_000_000, max_pages=8, max_pixels_per_page=4_000_000, raster_dpi=24)
SUFFIX = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg", "image/tiff": ".tif"}
WORK = Path(tempfile.mkdtemp(prefix="edossier-fuzz-"))


def intake(data: bytes) -> None:
    """What the pipeline does with an upload, up to the page images."""
    media_type = sniff_bytes(data[:1024])
    path = WORK / f"input{SUFFIX.get(media_type or '', '.bin')}"
    path.write_bytes(data)
    try:
        source = open_source(path, LIMITS)
        for _ in read_pages(source, WORK, LIMITS):
            pass
    except EdossierError:
        pass


def main() -> None:
    warnings.simplefilter("ignore")
    atheris.Setup(sys.argv, lambda data: intake(bytes(data)))
    atheris.Fuzz()


if __name__ == "__main__":
    main()
