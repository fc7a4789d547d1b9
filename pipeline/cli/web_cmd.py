"""``edossier serve`` and ``edossier users``: the web reader and its accounts."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from edossier.pipeline.cli.app import JsonOption, StoreOption, app, console, print_json, settings_for
from edossier.web.accounts import ROLES, open_accounts

users = typer.Typer(help="Personal accounts of the web reader (clerk, judge, archivist, lawyer).", no_args_is_help=True)
app.add_typer(users, name="users")

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from standard input instead of a prompt")
]


def _password(from_stdin: bool, prompt: str) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=True))


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option("--host", help="address to listen on (default from config)")] = None,
    port: Annotated[int | None, typer.Option("--port", help="port (default from config)")] = None,
    store: StoreOption = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="server processes sharing the port and all state")] = 1,
) -> None:
    """Run the web reader: sign-in, dossiers, search, verification badge, online submission."""
    import uvicorn

    from edossier.web.app import server_config, server_options

    settings = settings_for(store)
    if workers == 1:
        uvicorn.Server(server_config(settings, host, port)).run()
        return
    if store:
        os.environ["EDOSSIER_STORE"] = store  # each worker process reads its settings at its own edge
    # A worker imports the whole pipeline before it answers the supervisor's health check: uvicorn's
    # 5 s default kills and restarts it over and over on a busy machine.
    uvicorn.run("edossier.web.app:serve_app", factory=True, workers=workers, host=host or settings.web.host,
                port=port or settings.web.port, timeout_worker_healthcheck=120, **server_options(settings))


@users.command("add")
def add(
    name: str,
    role: Annotated[str, typer.Option("--role", help=f"one of: {', '.join(ROLES)}")],
    case: Annotated[list[str] | None, typer.Option("--case", help="admit a lawyer to this case (repeatable)")] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create an account; its initial password must be changed at first sign-in."""
    accounts = open_accounts(settings_for())
    user = accounts.add(name, role, _password(password_stdin, "initial password"), tuple(case or ()))
    console.print(f"added {user.name} ({user.role}); cases: {', '.join(sorted(user.cases)) or '-'}", markup=False)


@users.command("admit")
def admit(name: str, case: Annotated[list[str], typer.Option("--case", help="case number (repeatable)")]) -> None:
    """Admit a user (a lawyer) to more cases."""
    user = open_accounts(settings_for()).admit(name, tuple(case))
    console.print(f"{user.name}: cases {', '.join(sorted(user.cases))}", markup=False)


@users.command("passwd")
def passwd(name: str, password_stdin: PasswordStdin = False) -> None:
    """Reset a password; the user must choose a new one at the next sign-in, and is signed out."""
    open_accounts(settings_for()).reset_password(name, _password(password_stdin, "new initial password"))
    console.print(f"password of {name} reset; it must be changed at the next sign-in", markup=False)


@users.command("disable")
def disable(name: str) -> None:
    """Disable an account and end its sessions (accounts are never deleted: the audit trail names them)."""
    open_accounts(settings_for()).disable(name)
    console.print(f"disabled {name}", markup=False)


@users.command("backup")
def backup(target: Annotated[Path, typer.Argument(help="new file for the copy")]) -> None:
    """Copy the account database (users, admissions, sessions) consistently, even while the server runs."""
    open_accounts(settings_for()).backup(target)
    console.print(f"accounts copied to {target}", markup=False)


@users.command("list")
def list_users(json_out: JsonOption = False) -> None:
    """List accounts with role, admitted cases and state."""
    rows: list[dict[str, Any]] = [
        {"user": u.name, "role": u.role, "cases": sorted(u.cases), "disabled": disabled, "must_change": u.must_change}
        for u, disabled in open_accounts(settings_for()).users()
    ]
    if json_out:
        print_json(rows)
        return
    for row in rows:
        state = "disabled" if row["disabled"] else "must change password" if row["must_change"] else "active"
        console.print(f"{row['user']}  {row['role']}  {state}  {', '.join(row['cases']) or '-'}", markup=False)
