"""Worker processes started from this one: what ``edossier worker --processes N`` and the in-process batch share.

Only the standard library here: the supervising process of ``worker --processes N``
imports nothing of the pipeline, so its children start at once rather than after
the ~2 s of imports a worker needs (paid by each child itself, in parallel).
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def spawn_worker(broker_url: str) -> subprocess.Popen[bytes]:
    """One worker process (``edossier.pipeline.batch.worker``), which stops when this process dies."""
    # One of several processes: OpenCV to one thread, read by OpenCV when it loads.  (Calling
    # cv2.setNumThreads in a process forked from one whose OpenCV pool had started hangs it.)
    env = os.environ | {"OPENCV_FOR_THREADS_NUM": "1"}
    return subprocess.Popen([sys.executable, "-m", "edossier.pipeline.batch.worker", broker_url],
                            env=env, preexec_fn=_die_with_parent)


def supervise(broker_url: str, processes: int) -> None:
    """PROCESSES workers until SIGTERM or Ctrl-C here, or until all of them end; then none is left running."""
    children = [spawn_worker(broker_url) for _ in range(processes)]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop the children below, then exit
    try:
        for child in children:
            child.wait()
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait()


def _die_with_parent() -> None:
    """In the child, before it runs: SIGTERM when the process that started it dies, even by SIGKILL (Linux).

    A worker left behind would go on taking messages with the code and settings it started with.
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
