"""What wraps every batch message from outside: failure policy, dead letters, timing, audit.

Actors do their one step and return what happened; these middlewares decide
whether a failure is worth retrying, record the dead letter when it is not,
time each message for ``edossier status`` and the benchmark, and write the
audit trail.  Every batch message's first three arguments are (state URI,
batch id, case number), which is all they need to know.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import dramatiq
from dramatiq.middleware import Middleware

from edossier.pipeline.batch.actors import context
from edossier.pipeline.batch.state import open_state
from edossier.pipeline.process import record_event

log = logging.getLogger("edossier.batch")

def _batch_args(message: dramatiq.Message) -> tuple[str, str, str] | None:
    args = message.args
    if len(args) >= 3 and all(isinstance(a, str) for a in args[:3]):
        return args[0], args[1], args[2]
    return None


class DeadLetters(Middleware):
    """After Retries gave up (or refused): record the reason against the case; the batch goes on."""

    def after_process_message(self, broker, message, *, result=None, exception=None):  # type: ignore[no-untyped-def]
        ref = _batch_args(message)
        if exception is None or ref is None or not message.failed:
            return
        state_uri, batch, case_no = ref
        reason = f"{type(exception).__name__}: {exception}"
        if open_state(state_uri).fail_case(batch, case_no, message.actor_name, message.message_id, reason):
            log.warning("batch %s: case %s failed: %s", batch, case_no, reason)
            _audit(state_uri, batch, {"action": "batch.case_failed", "case": case_no, "objects": {},
                                      "detail": {"batch": batch, "reason": reason, "step": message.actor_name}})


BETWEEN = "between_messages"


class Timing(Middleware):
    """Seconds spent in each actor, summed per batch, and the seconds a worker thread spends between messages.

    The time between one message's actor returning and the next one's starting
    (acknowledging, state writes, fetching and decoding the next message, and any
    wait for work) is the per-message overhead, recorded as BETWEEN; process
    start-up is not in it.
    """

    def __init__(self) -> None:
        self._started: dict[str, float] = {}
        self._thread = threading.local()

    def before_process_message(self, broker, message):  # type: ignore[no-untyped-def]
        now = time.perf_counter()
        self._started[message.message_id] = now
        ref = _batch_args(message)
        last = getattr(self._thread, "last", None)
        if ref is not None and last is not None and last[0] == ref[1]:
            open_state(ref[0]).add_timing(ref[1], BETWEEN, now - last[1])

    def after_process_message(self, broker, message, *, result=None, exception=None):  # type: ignore[no-untyped-def]
        ended = time.perf_counter()
        started = self._started.pop(message.message_id, None)
        ref = _batch_args(message)
        if started is not None and ref is not None:
            self._thread.last = (ref[1], ended)
            open_state(ref[0]).add_timing(ref[1], message.actor_name, ended - started)

    after_skip_message = after_process_message


class Audit(Middleware):
    """Actors return the audit event of what they published; it is recorded under the batch's user."""

    def after_process_message(self, broker, message, *, result=None, exception=None):  # type: ignore[no-untyped-def]
        ref = _batch_args(message)
        if exception is None and ref is not None and isinstance(result, dict) and "action" in result:
            _audit(ref[0], ref[1], result)


def _audit(state_uri: str, batch: str, event: dict[str, Any]) -> None:
    ctx = context(state_uri, batch)
    record_event(ctx.store, ctx.settings.user, event)
