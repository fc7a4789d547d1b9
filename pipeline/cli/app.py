"""The typer application and the options every dossier command shares."""

from __future__ import annotations

import json
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from edossier.config import Settings

app = typer.Typer(
    name="edossier",
    help="Electronic case files (电子卷宗) for courts: scan, OCR, classify, bind, sign, store.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(highlight=False, soft_wrap=True)


@app.callback()
def _group() -> None:
    """Keeps ``edossier`` a group of commands when only the invoked command's module is imported
    (pipeline/cli/__init__.py): with one command registered, typer would make it the whole program."""

_err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def warn(message: str) -> None:
    """A warning for the clerk on stderr, so --json output stays clean."""
    _err_console.print(f"edossier: warning: {message}", markup=False)

StoreOption = Annotated[
    str | None, typer.Option("--store", help="store URI, e.g. file:///srv/edossier (default from config)")
]
JsonOption = Annotated[bool, typer.Option("--json", help="print machine-readable JSON")]


class Split(str, Enum):
    auto = "auto"
    cover_sheets = "cover-sheets"
    none = "none"


SplitOption = Annotated[
    Split | None,
    typer.Option("--split", help="cut each input into documents: auto (cover sheets, else by content), "
                 "cover-sheets, or none (one file, one document); default: settings, auto"),
]


def split_setting(split: Split | None) -> dict[str, dict[str, str]]:
    """The settings override a command's --split makes; nothing when it was not given."""
    return {"classify": {"split": split.value}} if split is not None else {}


def settings_for(store: str | None = None, **overrides: Any) -> Settings:
    from edossier.config import load_settings  # pydantic-settings: not paid by commands that need no settings

    return load_settings(store=store, **overrides)


def print_json(value: object) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))

