"""A program killed by a signal is told apart from a program that failed on its input.

systemd stops a service by signalling its whole control group, and a terminal's
Ctrl-C signals the foreground process group: qpdf or Tesseract then die with the
server, and the run that started them must be repeatable, not a verdict on the
clerk's file (tests/web/test_submission_queue.py runs the server's side of it).
"""

from __future__ import annotations

import subprocess

import pytest

from edossier.errors import StageError, StoppedBySignal, raise_if_signalled


def test_a_program_killed_by_sigterm_is_stopped_not_failed() -> None:
    done = subprocess.run(["sh", "-c", "kill -TERM $$"], check=False)
    with pytest.raises(StoppedBySignal, match="qpdf was stopped by SIGTERM"):
        raise_if_signalled("qpdf", done.returncode)


def test_a_program_that_exits_with_an_error_is_not_stopped() -> None:
    done = subprocess.run(["sh", "-c", "exit 2"], check=False)
    raise_if_signalled("qpdf", done.returncode)  # an ordinary failure: the caller reports it as before
    assert issubclass(StoppedBySignal, StageError)  # the CLI still exits with a stage failure's status
