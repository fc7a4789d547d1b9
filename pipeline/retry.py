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
"""

from __future__ import annotations

from edossier.errors import CaseNumberError, ConfigurationError, InputFileError, IntegrityError, SigningError

MAX_RETRIES = 6
MIN_BACKOFF_MS = 500
MAX_BACKOFF_MS = 60_000

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
