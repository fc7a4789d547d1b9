"""What wraps every step from outside, once: progress, timing, audit (and, in the batch, dead letters).

The steps do their one job and return what they made; hooks see each run of a
step before and after it, or when it fails.  The in-process runner calls them
through ``run_step``; the dramatiq runner calls the same hook objects from its
middleware (``batch/middleware.py``), so a step is timed, reported and audited
alike whichever runner ran it.  Whether a failed step is tried again is the one
retry policy's decision (``retry.py``); hooks only hear whether a failure was final.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from edossier.pipeline.audit_trail import record
from edossier.storage import Store
from edossier.types import OcrPage

T = TypeVar("T")
log = logging.getLogger("edossier.steps")

BETWEEN = "between_messages"
"""Timing of the gaps between one step's end and the next one's start in a worker thread: per-message overhead."""


@dataclass(frozen=True)
class StepRun:
    """One run of one step, as the hooks see it."""

    step: str
    case: str | None
    what: str
    """which part of the case: a file, a page ("page 3 of a.tif")."""
    store: Store | None
    """where the case is stored (None: this machine cannot open it; the step will fail saying why)."""
    user: str
    timings: Callable[[str, float], None] | None = None
    """where Timing adds seconds per step (the batch state); None: the log."""


class Hook:
    """Does nothing by default; a hook overrides what it needs."""

    def before(self, run: StepRun) -> None:
        """The step is about to run."""

    def after(self, run: StepRun, result: object, seconds: float) -> None:
        """The step returned RESULT after SECONDS."""

    def failed(self, run: StepRun, error: BaseException, seconds: float, final: bool) -> None:
        """The step raised ERROR after SECONDS; FINAL when it will not be tried again."""


PAGE_STEPS = ("clean up", "ocr")
"""Steps run once per page: the clerk hears of a page when its OCR has read it, not of each step."""


class Progress(Hook):
    """One line per file step done and per page read, for the clerk (``edossier process``) or the submitter (web)."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say

    def after(self, run: StepRun, result: object, seconds: float) -> None:
        if isinstance(result, OcrPage):
            how = "" if result.read_by == "engine" else f" (read by {result.read_by})"
            self.say(f"OCR {run.what}: {len(result.text)} characters{how}")
        elif run.step not in PAGE_STEPS:
            self.say(f"{run.step} {run.what}: done in {seconds:.1f} s")


class Timing(Hook):
    """Seconds per step, and the seconds a worker thread spends between steps (BETWEEN)."""

    def __init__(self) -> None:
        self._thread = threading.local()

    def before(self, run: StepRun) -> None:
        last = getattr(self._thread, "last", None)
        if last is not None and last[0] is run.timings and run.timings is not None:
            run.timings(BETWEEN, time.perf_counter() - last[1])

    def after(self, run: StepRun, result: object, seconds: float) -> None:
        self._done(run, seconds)

    def failed(self, run: StepRun, error: BaseException, seconds: float, final: bool) -> None:
        self._done(run, seconds)  # a failed try took its time too (and counts as a try)

    def _done(self, run: StepRun, seconds: float) -> None:
        if run.timings is not None:
            run.timings(run.step, seconds)
        else:
            log.info("%s %s (%s): %.3f s", run.step, run.what, run.case, seconds)
        self._thread.last = (run.timings, time.perf_counter())


@dataclass(frozen=True)
class AuditEvent:
    """What a step did that the audit trail records (returned by the step, written by the Audit hook)."""

    action: str
    case: str | None
    objects: dict[str, str]
    detail: dict[str, Any]


class Audit(Hook):
    """Records the audit event a step returns (a publication) under the user the run acts for."""

    def after(self, run: StepRun, result: object, seconds: float) -> None:
        event = getattr(result, "event", result)
        if isinstance(event, AuditEvent) and run.store is not None:
            record(run.store, run.user, event.action, event.case, event.objects, event.detail)


def run_step(hooks: Sequence[Hook], run: StepRun, step: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """STEP(*ARGS, **KWARGS) with every hook around it: the in-process runner's one way to run a step."""
    for hook in hooks:
        hook.before(run)
    started = time.perf_counter()
    try:
        result = step(*args, **kwargs)
    except BaseException as error:
        for hook in hooks:
            hook.failed(run, error, time.perf_counter() - started, final=True)
        raise
    seconds = time.perf_counter() - started
    for hook in reversed(hooks):
        hook.after(run, result, seconds)
    return result
