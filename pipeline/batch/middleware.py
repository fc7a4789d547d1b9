"""The dramatiq runner's middleware: the pipeline's hooks around every message, and dead letters.

``StepHooks`` calls the same hook objects the in-process runner calls
(``pipeline/hooks.py``: timing, audit) before and after each message, so a step
is timed and audited alike whichever runner ran it.  ``DeadLetters`` is the
batch's own: when the retry policy (``pipeline/retry.py``, applied by dramatiq's
Retries) gives up or refuses, the reason is recorded against the case and the
batch goes on.  Every batch message's first three arguments are (state URI,
batch id, case number), which is all they need to know.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from functools import cache, partial
from typing import Any

import dramatiq
from dramatiq.broker import MessageProxy
from dramatiq.middleware import Middleware

from edossier.errors import EdossierError
from edossier.pipeline.batch.actors import context
from edossier.pipeline.batch.state import open_state
from edossier.pipeline.hooks import AuditEvent, Hook, StepRun
from edossier.pipeline.audit_trail import record

log = logging.getLogger("edossier.batch")


def _batch_args(message: MessageProxy) -> tuple[str, str, str] | None:
    args = message.args
    if len(args) >= 3 and all(isinstance(a, str) for a in args[:3]):
        return args[0], args[1], args[2]
    return None


def _run(message: MessageProxy) -> StepRun | None:
    """The hooks' view of a batch message; None for a message that is not one."""
    ref = _batch_args(message)
    if ref is None:
        return None
    state_uri, batch, case_no = ref
    what = ", ".join(str(a) for a in message.args[3:])
    try:
        ctx = context(state_uri, batch)
    except EdossierError:  # e.g. the store refuses this machine's credentials: the actor fails with the reason
        return StepRun(message.actor_name, case_no, what, None, "", timings=_timings(state_uri, batch))
    return StepRun(message.actor_name, case_no, what, ctx.store, ctx.settings.user, timings=_timings(state_uri, batch))


@cache
def _timings(state_uri: str, batch: str) -> Callable[[str, float], None]:
    """Where Timing adds a batch's seconds per step: its state (one object per batch, so gaps between steps count)."""
    return partial(open_state(state_uri).add_timing, batch)


class StepHooks(Middleware):
    """Runs HOOKS around every batch message, as ``hooks.run_step`` does around an in-process step."""

    def __init__(self, hooks: Sequence[Hook]) -> None:
        self.hooks = list(hooks)
        self._started: dict[str, tuple[StepRun, float]] = {}

    def before_process_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        run = _run(message)
        if run is None:
            return
        for hook in self.hooks:
            hook.before(run)
        self._started[message.message_id] = (run, time.perf_counter())

    def after_process_message(self, broker: dramatiq.Broker, message: MessageProxy, *,
                              result: Any = None, exception: BaseException | None = None) -> None:
        started = self._started.pop(message.message_id, None)
        if started is None:
            return
        run, at = started
        seconds = time.perf_counter() - at
        if exception is None:
            for hook in reversed(self.hooks):
                hook.after(run, result, seconds)
        else:
            for hook in self.hooks:
                hook.failed(run, exception, seconds, final=bool(message.failed))

    after_skip_message = after_process_message


class DeadLetters(Middleware):
    """After the retry policy gave up (or refused): record the reason against the case; the batch goes on."""

    def after_process_message(self, broker: dramatiq.Broker, message: MessageProxy, *,
                              result: Any = None, exception: BaseException | None = None) -> None:
        ref = _batch_args(message)
        if exception is None or ref is None or not message.failed:
            return
        state_uri, batch, case_no = ref
        reason = f"{type(exception).__name__}: {exception}"
        if not open_state(state_uri).fail_case(batch, case_no, message.actor_name, message.message_id, reason):
            return
        log.warning("batch %s: case %s failed: %s", batch, case_no, reason)
        event = AuditEvent("batch.case_failed", case_no, {},
                           {"batch": batch, "reason": reason, "step": message.actor_name})
        try:
            ctx = context(state_uri, batch)
        except EdossierError as exc:  # the store cannot be reached from here: the state keeps the reason
            log.warning("batch %s: case %s: failure not written to the audit trail: %s", batch, case_no, exc)
            return
        record(ctx.store, ctx.settings.user, event.action, event.case, event.objects, event.detail)
