"""The ``edossier`` command: thin commands that parse, call one function and print.

Each command group lives in its own module and registers itself on ``app``;
failures are turned into one clear line and an exit code in ``main`` only.
"""

from __future__ import annotations

import importlib
import sys
import warnings

import typer
from rich.console import Console
from typer.exceptions import TyperException

from edossier.errors import EdossierError, ExitCode
from edossier.pipeline.cli.app import app

# pyHanko still imports cryptography's DSA types, which cryptography >= 46 marks deprecated on
# import: a clerk's terminal is no place for a library's note to its own maintainers.
warnings.filterwarnings("ignore", message="DSA is deprecated", module="pyhanko")

COMMAND_MODULES = {
    "casenumber_cmd": ("casenumber",),
    "process_cmd": ("process",),
    "dossier_cmd": ("get", "list", "verify"),
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


def register_commands(argv: list[str]) -> None:
    """Import the module of the command ARGV names, or all of them (help, an unknown command).

    Importing every command module pulls in binding, signing, the web reader and
    their libraries (~1.5 s): ``edossier casenumber`` paid that for a regex.
    """
    named = next((arg for arg in argv if not arg.startswith("-")), None)
    modules = [module for module, commands in COMMAND_MODULES.items() if named in commands] or list(COMMAND_MODULES)
    for module in modules:
        importlib.import_module(f"edossier.pipeline.cli.{module}")


def main(argv: list[str] | None = None) -> int:
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    register_commands(sys.argv[1:] if argv is None else argv)
    try:
        code = app(args=argv, standalone_mode=False)
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
    sys.exit(main())
