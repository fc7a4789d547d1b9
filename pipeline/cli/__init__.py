"""The ``edossier`` command: thin commands that parse, call one function and print.

Each command group lives in its own module and registers itself on ``app``;
failures are turned into one clear line and an exit code in ``main`` only.
"""

from __future__ import annotations

import atexit
import importlib
import os
import sys
import warnings

import typer
from rich.console import Console
from typer.core import TyperCommand, TyperGroup
from typer.exceptions import TyperException

from edossier.errors import EdossierError, ExitCode
from edossier.pipeline.cli.app import app

# pyHanko still imports cryptography's DSA types, which cryptography >= 46 marks deprecated on
# import: a clerk's terminal is no place for a library's note to its own maintainers.
warnings.filterwarnings("ignore", message="DSA is deprecated", module="pyhanko")

COMMAND_MODULES = {
    "casenumber_cmd": ("casenumber",),
    "process_cmd": ("process",),
    "dossier_cmd": ("get", "list"),
    "verify_cmd": ("verify",),
    "audit_cmd": ("audit",),
    "classify_cmd": ("classify", "relabel", "train-classifier"),
    "catalogue_cmd": ("catalogue",),
    "web_cmd": ("users", "serve"),
    "filings_cmd": ("filings", "service"),
    "batch_cmd": ("batch", "worker", "status"),
    "storage_cmd": ("fixity", "export-bag"),
    "scan_cmd": ("scan", "devices", "watch", "coversheet"),
    "ocr_cmd": ("ocr",),
    "cleanup_cmd": ("cleanup",),
    "archive_cmd": ("archive",),
}
"""Each command module and the commands it registers on ``app``."""


COMMAND_HELP = {
    "casenumber": "Check and normalise a case number; exit 2 with the reason if it is not one.",
    "process": "OCR, classify, bind and sign INPUTS into the case's next dossier version.",
    "get": "Copy a case's bound dossier PDF out of the store.",
    "list": "List the cases in the store with their versions.",
    "verify": "Check every signature (and with --case the stored hashes); exit 0 only when all is valid.",
    "audit": "The audit trail: who did what, when, to which case; 'verify' exits 12 if it was tampered with.",
    "classify": "Document type (with confidence) and metadata: case numbers, court, parties, dates, cause.",
    "relabel": "Record a clerk's correction of a document's type (who, when); training reads it back.",
    "train-classifier": "Train the document-type model (corpus + synthetic top-ups + corrections) into a versioned file.",
    "catalogue": "List the catalogue with its confidences (待复核 marked), or publish a correction as a new signed version.",
    "serve": "Run the web reader: sign-in, dossiers, search, verification badge, online submission.",
    "batch": "Convert SOURCE into dossiers; with --broker, enqueue and print the batch id; rerun to resume.",
    "worker": "Work on every batch queued on BROKER until stopped (SIGTERM or Ctrl-C).",
    "status": "Cases done, failed and pending, pages per second and the time still needed.",
    "fixity": "Re-hash every stored object of a case (or all); exit 12 on any mismatch or missing object.",
    "export-bag": "Export a case's published versions as a validated BagIt bag for an archive.",
    "scan": "Scan a batch from DEVICE into the case's next dossier version, cut into its documents.",
    "devices": "List the SANE scanners this machine sees, or one device's options.",
    "watch": "Take files from a hot folder as they arrive, until interrupted (Ctrl-C).",
    "coversheet": "Print a separator sheet (QR code and text) that starts a document of TYPE in a scan batch.",
    "ocr": "OCR INPUT_FILE; pages with a good text layer keep their own text.",
    "cleanup": "Turn pages upright, straighten them and write kept and recognition images to OUT_DIR.",
    "archive": "Archive a case (archivist only: seal at B-LTA, 四性检测, handover bag), or renew archive timestamps.",
    "users": "Personal accounts of the web reader (clerk, judge, archivist, lawyer).",
    "filings": "Online filings (网上立案): list, read, accept with a case number, or reject.",
    "service": "Electronic service (e键送达): what was served and what is still undelivered.",
}
"""Each command's one-line help, in the order ``edossier --help`` lists them.

``edossier --help`` (and a bare ``edossier``, or an unknown command) lists the commands from
this table instead of importing their modules: importing all of them and building their
parameters cost ~1.4 CPU-s for a page of text. The command's own help (its docstring, or the
``help`` of its ``typer.Typer``), which ``edossier COMMAND --help`` shows, stays the source:
tests/core/test_import_cost.py::test_help_table_is_what_the_commands_say fails when a line here
differs from its first paragraph, or a command is missing.
"""


def register_commands(argv: list[str]) -> None:
    """Import the module of the command ARGV names, and no other.

    Importing every command module pulls in binding, signing, the web reader and
    their libraries (~1.5 s): ``edossier casenumber`` paid that for a regex.
    ``edossier`` has no options but ``--help``, so the first argument that is not an
    option is the command click will run.
    """
    named = next((arg for arg in argv if not arg.startswith("-")), None)
    for module, commands in COMMAND_MODULES.items():
        if named in commands:
            importlib.import_module(f"edossier.pipeline.cli.{module}")


def command_line(argv: list[str]) -> TyperGroup:
    """The ``edossier`` group with the command ARGV names built and every other one listed from COMMAND_HELP.

    A listed command has its one-line help only; it cannot be run, and it need not be:
    the command that runs is the one ARGV names, whose module ``register_commands`` imported.
    """
    register_commands(argv)
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)  # app has a callback: typer makes it a group
    built = dict(group.commands)
    listed = {name: built.get(name) or TyperCommand(name=name, help=text) for name, text in COMMAND_HELP.items()}
    group.commands = listed | built
    return group


def main(argv: list[str] | None = None) -> int:
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    args = sys.argv[1:] if argv is None else argv
    try:
        code = command_line(args)(args=args, standalone_mode=False)
    except EdossierError as exc:
        err.print(f"edossier: error: {exc}", markup=False)
        return int(exc.exit_code)
    except SystemExit as exc:  # typer's own exits (e.g. --help) pass through
        return int(exc.code or 0)
    except OSError as exc:  # disk full, quota, permissions: say which file, keep the traceback out
        where = f"{exc.filename}: " if exc.filename else ""
        err.print(f"edossier: error: {where}{exc.strerror or exc}; nothing was published, rerun to continue",
                  markup=False)
        return int(ExitCode.local_io)
    except KeyboardInterrupt:
        err.print("edossier: interrupted; rerun the same command to continue", markup=False)
        return 130
    except typer.Abort:
        return 1
    except TyperException as exc:  # usage errors: typer prints them and knows their exit code
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            err.print(f"edossier: error: {exc}", markup=False)
        return int(getattr(exc, "exit_code", ExitCode.bad_argument))
    return int(code) if isinstance(code, int) else 0


def entry() -> None:
    """The console script: ``main``, then an exit that skips the interpreter's teardown.

    Tearing down a process that loaded the OCR models (OpenVINO's compiled models
    freed one by one, every module's objects collected) took 0.25-0.4 s after the
    command was done: a tenth of one page's ``edossier ocr``.  ``_end_now`` is
    registered before the command runs, so it is the last exit handler called:
    by then the interpreter has joined every thread (a model still compiling into
    OpenVINO's cache is waited for) and run every other handler (log files flushed,
    temporary folders removed); only the freeing of memory the process is about to
    give back anyway is skipped.
    """
    code: list[int] = []
    atexit.register(_end_now, code)
    code.append(main())
    sys.exit(code[0])


def _end_now(code: list[int]) -> None:
    """Exit with CODE's status now, once what Python buffers for stdout and stderr is written.

    Without a status (``main`` raised: a defect, whose traceback has been printed)
    the interpreter exits the ordinary way.
    """
    if not code:
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader gone (broken pipe) or a stream closed: nothing left to write
            pass
    os._exit(code[0])
