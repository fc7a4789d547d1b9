"""``edossier audit [CASE]`` lists the trail; ``edossier audit verify`` checks it."""

from __future__ import annotations

from typing import Annotated

import typer

from edossier.casenumber import CaseNumber
from edossier.errors import ExitCode
from edossier.pipeline.audit_trail import verify_trail
from edossier.pipeline.cli.app import JsonOption, StoreOption, app, console, print_json, settings_for
from edossier.storage import Store, open_store
from edossier.storage.audit import AuditLog


@app.command("audit")
def audit(
    target: Annotated[
        str | None, typer.Argument(help="a case number to list its entries, or 'verify' to check the chain")
    ] = None,
    store: StoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """The audit trail: who did what, when, to which case; 'verify' exits 12 if it was tampered with."""
    settings = settings_for(store)
    log_store = open_store(settings.store_uri, settings.storage)
    if target == "verify":
        _verify(log_store, json_out)
    else:
        _list(log_store, CaseNumber.parse(target).normalized if target else None, json_out)


def _list(store: Store, case: str | None, json_out: bool) -> None:
    entries = [e for e in AuditLog(store).entries() if case is None or e.case == case]
    if json_out:
        print_json([{**e.__dict__, "digest": e.digest} for e in entries])
        return
    for e in entries:
        console.print(f"{e.sequence:>6}  {e.time}  {e.user:<12} {e.action:<10} {e.case or '-'}  {e.client or ''}", markup=False)


def _verify(store: Store, json_out: bool) -> None:
    problems = verify_trail(store)
    if json_out:
        print_json({"valid": not problems, "problems": problems})
    else:
        console.print("audit trail intact" if not problems else "audit trail BROKEN", markup=False)
        for problem in problems:
            console.print(f"  {problem}", markup=False)
    if problems:
        raise typer.Exit(int(ExitCode.integrity))
