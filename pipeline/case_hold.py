"""A publication outside any server takes its case's turn in the reader's submission queue.

The reader's submissions publish a case's versions from a durable queue
(web/submission_queue.py); anything else that publishes a version of the same
case (``edossier catalogue`` corrections, ``process``, ``scan``, ``watch``,
``archive`` and ``archive renew``, all at a terminal) must not bind onto the
version a submission is about to publish: one of them would lose the number,
and its sealed PDF would stay in the store named by no version.  Each takes
the queue's case hold while it publishes, the reader's own (``holding``), so
the two take turns, and is refused (``CaseBusy``, exit 13, with the sentence
the reader shows) while a submission of the case is being processed or
another publication holds it; a hot folder, which nobody watches, waits its
turn instead.  One function for every such command, here in the wiring, since
the commands are pipeline/'s and the queue is web/'s.

The queue is the account database of the data folder (``accounts_path``, as
the server and ``edossier users`` find it).  Where no server ever kept one,
nothing is opened or created, and the queue's modules are not imported: no
submission can race the command.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from edossier.config import Settings

if TYPE_CHECKING:
    from edossier.web.submission_queue import Act


@contextmanager
def holding_case(settings: Settings, case: str, act: Act, *, wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold CASE (normalised) in the queue of SETTINGS' data folder while this process publishes ACT; let go on exit.

    Refused (``CaseBusy``) while the case is busy; with WAIT, told why in one
    line and tried again until the case is free.  The owner is this process
    (host:pid:token), so a command killed with SIGKILL lets go as soon as the
    next hold or claim sees its pid gone; on another host or in another container,
    once ``web.case_hold_lease_s`` passes without the renewal its live holder makes.
    """
    from edossier.web.accounts import accounts_path  # imported here: it hashes a password at import (~0.15 CPU-s)

    path = accounts_path(settings)
    if not path.exists():
        yield
        return
    from edossier.pipeline.batch.sqlite_broker import consumer_owner
    from edossier.web.submission_queue import JobQueue, holding, new_owner, retire_owner

    owner = new_owner(consumer_owner())
    waiting = None if wait is None else (lambda busy: wait(f"waiting its turn: {busy}"))
    try:
        with holding(JobQueue(path), case, owner, act, settings.web.case_hold_lease_s, waiting=waiting):
            yield
    finally:
        retire_owner(owner)
