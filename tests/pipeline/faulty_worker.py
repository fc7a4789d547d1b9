"""``python -m tests.pipeline.faulty_worker BROKER POINT``: a real batch worker with one fault injected.

A test double in the style of OCRmyPDF's test plugins: everything is the real
worker (`run_worker`, the real engine, the real S3 store) except one method,
replaced so that the worker fails at POINT:

- ``ocr``: SIGKILLed while OCRing its second page (mid-page);
- ``publish``: SIGKILLed right after sealing a version's dossier PDF, before the manifest (mid-publish);
- ``store-once``: the first object it seals fails as an unreachable server would (transient), then works.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def install(point: str) -> None:
    from edossier.errors import ServiceUnavailableError
    from edossier.ocr.rapid import RapidOcrEngine
    from edossier.storage.s3 import S3Store

    if point == "ocr":
        real_recognize = RapidOcrEngine.recognize
        calls: list[Path] = []

        def recognize(self: RapidOcrEngine, image: Path) -> Any:
            calls.append(image)
            if len(calls) == 2:
                _die()
            return real_recognize(self, image)

        RapidOcrEngine.recognize = recognize  # type: ignore[method-assign]
        return
    real_seal = S3Store._seal
    seals: list[str] = []

    def seal(self: S3Store, key: str, *args: Any, **kwargs: Any) -> Any:
        seals.append(key)
        if point == "store-once" and len(seals) == 1:
            raise ServiceUnavailableError(f"S3 server {self.endpoint} unreachable (put {key}; injected)")
        sealed = real_seal(self, key, *args, **kwargs)
        if point == "publish" and "/versions/" in key and not key.endswith("manifest.json"):
            _die()  # the signed PDF is sealed for good; no manifest names it yet
        return sealed

    if point not in ("publish", "store-once"):
        raise ValueError(point)
    S3Store._seal = seal  # type: ignore[method-assign]


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    install(sys.argv[2])
    from edossier.pipeline.batch.run import run_worker

    run_worker(sys.argv[1])
