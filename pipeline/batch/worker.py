"""``python -m edossier.pipeline.batch.worker BROKER_URL``: one worker process, as spawned by ``batch`` and ``worker``."""

from __future__ import annotations

import logging
import sys

from edossier.pipeline.batch.run import run_worker

if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    run_worker(sys.argv[1])
