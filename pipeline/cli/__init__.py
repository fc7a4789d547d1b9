"""The ``edossier`` command: thin commands that parse, call one function and print.

Each command group lives in its own module and registers itself on ``app``;
failures are turned into one clear line and an exit code in ``main`` only.
"""

from __future__ import annotations

import importlib
import sys
import warnings

# pyHanko still imports cryptography's DSA types, which cryptography >= 46 marks deprecated on
# import: a clerk's terminal is no place for a library's note to its own maintainers.
warnings.filterwarnings("ignore", message="DSA is deprecated", module="pyhanko")

import typer
from rich.console import Console
from typer.exceptions import TyperException

from edossier.errors import EdossierError, ExitCode
from edossier.pipeline.cli.app import app

COMMAND_MODULES = (
    "casenumber_cmd",
    "process_cmd",
    "dossier_cmd",
    "audit_cmd",
    "classify_cmd",
    "web_cmd",
    "filings_cmd",
    "batch_cmd",
    "storage_cmd",
    "scan_cmd",
    "ocr_cmd",
    "cleanup_cmd",
    "archive_cmd",
)

for _module in COMMAND_MODULES:
    importlib.import_module(f"edossier.pipeline.cli.{_module}")


def main(argv: list[str] | None = None) -> int:
    err = Console(stderr=True, highlight=False, soft_wrap=True)
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
