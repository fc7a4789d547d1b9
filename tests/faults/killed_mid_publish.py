"""``python -m tests.faults.killed_mid_publish ARGS...``: the real ``edossier ARGS...``, SIGKILLed mid-publish.

A test double in the style of OCRmyPDF's test plugins (and tests/pipeline/faulty_worker.py):
everything is the real command on the real filesystem store, except that the
process kills itself right after sealing a version's dossier PDF, before the
manifest that would name it: a power cut or the OOM killer at the worst moment.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any


def install() -> None:
    from edossier.storage.filesystem import FilesystemStore

    real_seal = FilesystemStore._seal

    def seal(self: FilesystemStore, key: str, *args: Any, **kwargs: Any) -> Any:
        sealed = real_seal(self, key, *args, **kwargs)
        if "/versions/" in key and key.endswith(".pdf"):
            os.kill(os.getpid(), signal.SIGKILL)  # the signed PDF is sealed for good; no manifest names it yet
        return sealed

    FilesystemStore._seal = seal  # type: ignore[method-assign]


if __name__ == "__main__":
    install()
    from edossier.pipeline.cli import main

    sys.exit(main(sys.argv[1:]))
