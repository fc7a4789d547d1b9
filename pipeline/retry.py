"""The one retry policy for pipeline steps: which failures are worth another try, how many, how far apart.

A failure that another try cannot mend is permanent and fails its case at once:
bad input (unreadable, unsupported, encrypted, over a limit, 涉密), a bad case
number or configuration (S3 credentials the server refuses are reported as
configuration), stored bytes that do not match their hash, and a dossier that
cannot be signed or does not verify.  Everything else (a server briefly
unreachable, a worker killed, a lost lease) is transient and retried with
doubling pauses.  The dramatiq runner's Retries middleware asks ``should_retry``;
the in-process runner does not retry (the clerk sees the error and reruns the
command, which resumes).

One failure is neither: a publication that lost its version number to another
writer of the same case.  ``publish_retrying`` binds it again at once onto the
new latest version, for every publisher that can be overtaken (the reader's
submissions, receipts, approvals and online filings, and the batch).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from edossier.errors import (
    CaseNumberError,
    ConfigurationError,
    ImmutableObjectError,
    InputFileError,
    IntegrityError,
    SigningError,
)

MAX_RETRIES = 6
MIN_BACKOFF_MS = 500
MAX_BACKOFF_MS = 60_000
PUBLISH_ATTEMPTS = 3
T = TypeVar("T")

PERMANENT: tuple[type[BaseException], ...] = (
    InputFileError,
    CaseNumberError,
    ConfigurationError,
    IntegrityError,
    SigningError,
)


def is_permanent(exc: BaseException) -> bool:
    """True when trying again cannot succeed (see the module's docstring)."""
    return isinstance(exc, PERMANENT)


def should_retry(retries: int, exc: BaseException) -> bool:
    """Dramatiq's ``retry_when``: transient failures, up to MAX_RETRIES times."""
    return not is_permanent(exc) and retries < MAX_RETRIES


def publish_retrying(run: Callable[[], T]) -> T:
    """RUN again when another writer published the version number it meant to take.

    Outside the reader's queue, versions are published by the court's own acts (a
    served document's receipt, an approval, a case filed online), by ``edossier``
    at a terminal and by batch workers on other machines; a publication that loses
    the number is bound again onto the new version (what it read and sealed is
    reused by hash) rather than refused.  RUN must read the case's latest version
    afresh on each call.
    """
    for _ in range(PUBLISH_ATTEMPTS - 1):
        try:
            return run()
        except ImmutableObjectError:
            pass
    return run()
