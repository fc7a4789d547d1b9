"""Errors that carry their process exit code, so the CLI maps them in one place.

Modelled on OCRmyPDF's exceptions: each class knows its exit status and renders
one clear line naming the file (or value) and the problem.
"""

from __future__ import annotations

import signal
from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    ok = 0
    failure = 1
    bad_argument = 2
    input_file = 3
    unsupported_input = 4
    invalid_signature = 5
    stage_failed = 6
    service_unavailable = 7
    classified_material = 8
    limit_exceeded = 9
    not_found = 10
    encrypted_input = 11
    integrity = 12
    conflict = 13
    local_io = 14
    not_permitted = 15
    archive_check_failed = 16


class EdossierError(Exception):
    """Base class: a user-facing failure with a one-line message and exit code."""

    exit_code: ExitCode = ExitCode.failure

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle by state: subclasses take other arguments than the message (SANE helper, workers)."""
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(kind: type[EdossierError], args: tuple[object, ...], state: dict[str, object]) -> EdossierError:
    error = Exception.__new__(kind)
    error.args = args
    error.__dict__.update(state)
    return error


class CaseNumberError(EdossierError):
    exit_code = ExitCode.bad_argument

    def __init__(self, value: str, reason: str) -> None:
        super().__init__(f"invalid case number {value!r}: {reason}")
        self.value = value
        self.reason = reason


class ConfigurationError(EdossierError):
    """A setting (from the CLI, the environment or the TOML file) that is not valid."""

    exit_code = ExitCode.bad_argument


class InputFileError(EdossierError):
    """A file that cannot be read as what it claims to be."""

    exit_code = ExitCode.input_file

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = Path(path)
        self.problem = problem


class UnsupportedInputError(InputFileError):
    exit_code = ExitCode.unsupported_input


class EncryptedInputError(InputFileError):
    exit_code = ExitCode.encrypted_input


class LimitExceededError(InputFileError):
    exit_code = ExitCode.limit_exceeded


class ClassifiedMaterialError(InputFileError):
    """涉密 material: refused and quarantined, never bound or stored."""

    exit_code = ExitCode.classified_material


class StageError(EdossierError):
    """A stage (OCR, binding, signing…) failed on otherwise valid input."""

    exit_code = ExitCode.stage_failed


class StoppedBySignal(StageError):
    """A program the run started was killed by a signal: its machine is being stopped (systemd and a
    terminal's Ctrl-C signal the whole process group) or ran out of memory.

    It says nothing about the input, so a queue runs the job again instead of
    reporting the submission refused.
    """


def raise_if_signalled(program: str, returncode: int) -> None:
    """StoppedBySignal when RETURNCODE (as ``subprocess`` gives it) says PROGRAM was killed by a signal."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        raise StoppedBySignal(f"{program} was stopped by {name} before it finished; the run can be repeated")


class ServiceUnavailableError(EdossierError):
    exit_code = ExitCode.service_unavailable


class NotFoundError(EdossierError):
    exit_code = ExitCode.not_found


class IntegrityError(EdossierError):
    """Stored bytes or a signature do not match what was sealed."""

    exit_code = ExitCode.integrity


class ImmutableObjectError(EdossierError):
    """An attempt to overwrite or delete a sealed object."""

    exit_code = ExitCode.conflict


class SigningError(StageError):
    """The dossier could not be signed, or its signature does not verify: a key or configuration fault."""


class NotPermittedError(EdossierError):
    """The configured user's role may not do this (e.g. archiving needs an archivist)."""

    exit_code = ExitCode.not_permitted


class ArchiveCheckError(EdossierError):
    """The 四性检测 at archiving failed: the dossier is not archived, the report says why."""

    exit_code = ExitCode.archive_check_failed
