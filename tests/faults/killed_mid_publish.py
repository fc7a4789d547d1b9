"""``python -m tests.faults.killed_mid_publish ARGS...``: the real ``edossier ARGS...``, SIGKILLed mid-publish.

A test double in the style of OCRmyPDF's test plugins (and tests/pipeline/faulty_worker.py):
everything is the real command on the real filesystem store, except that the
process kills itself right after sealing a version's dossier PDF, before the
manifest that would name it: a power cut or the OOM killer at the worst moment.
``KILL_AFTER_PDFS=N`` (default 1) lets a version of several volumes get N of its PDFs sealed first.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any


def install(after: int = 1) -> None:
    """Kill the process once AFTER version PDFs are sealed."""
    from edossier.storage.filesystem import FilesystemStore

    real_seal = FilesystemStore._seal
    pdfs = 0

    def seal(self: FilesystemStore, key: str, *args: Any, **kwargs: Any) -> Any:
        nonlocal pdfs
        sealed = real_seal(self, key, *args, **kwargs)
        if "/versions/" in key and key.endswith(".pdf"):
            pdfs += 1
            if pdfs == after:
                os.kill(os.getpid(), signal.SIGKILL)  # the signed PDFs are sealed for good; no manifest names them yet
        return sealed

    FilesystemStore._seal = seal  # type: ignore[method-assign]


if __name__ == "__main__":
    install(int(os.environ.get("KILL_AFTER_PDFS", "1")))
    from edossier.pipeline.cli import main

    sys.exit(main(sys.argv[1:]))
