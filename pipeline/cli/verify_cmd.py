"""``edossier verify``: check a dossier PDF's signatures, or a stored case's hashes and signatures.

Apart from ``get`` and ``list`` because checking signatures loads pyHanko and the
binding stage (~0.4 s), which reading the store does not need.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from edossier.bind.verify import verify_pdf
from edossier.casenumber import CaseNumber
from edossier.errors import ExitCode
from edossier.pipeline.cli.app import JsonOption, StoreOption, app, console, print_json, settings_for
from edossier.pipeline.audit_trail import record
from edossier.pipeline.steps import trust_roots
from edossier.pipeline.verify_case import verify_case
from edossier.storage import open_store


@app.command("verify")
def verify(
    pdf: Annotated[Path | None, typer.Argument(help="a dossier PDF")] = None,
    case: Annotated[str | None, typer.Option("--case", help="verify the stored case: every version")] = None,
    at: Annotated[str | None, typer.Option("--at", help="validate as of this date (YYYY-MM-DD or ISO time), "
                                           "offline, with only what the file carries")] = None,
    store: StoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """Check every signature (and with --case the stored hashes); exit 0 only when all is valid."""
    settings = settings_for(store)
    moment = _moment(at)
    if pdf is None:
        if case is None:
            raise typer.BadParameter("give a PDF or --case")
        case_number = CaseNumber.parse(case)
        target = open_store(settings.store_uri, settings.storage)
        result = verify_case(target, case_number, trust_roots(settings), at=moment)
        reports = [(f"{result['case']} {role}", r) for role, r in result.get("volumes", {}).items()]
        record(target, settings.user, "verify", case_number.normalized, {},
               {"versions": result.get("versions", []), "valid": result["valid"]})
    else:
        report = verify_pdf(pdf, trust_roots(settings), at=moment).as_dict()
        result = report
        reports = [(str(pdf), report)]
    if json_out:
        print_json(result)
    else:
        for name, report in reports:
            console.print(f"{name}: {'VALID' if report['valid'] else 'INVALID'}", markup=False)
            for sig in report["signatures"]:
                console.print(
                    f"  {sig['field']} ({sig['level'] or sig['kind']}): signer {sig['signer']}; "
                    f"intact={sig['intact']} trusted={sig['trusted']} coverage={sig['coverage']} "
                    f"changes after it: {sig['modification_level']}; provable until {sig['provable_until']}",
                    markup=False,
                )
            for problem in report["problems"]:
                console.print(f"  problem: {problem}", markup=False)
        if pdf is None:
            for problem in result["problems"]:
                console.print(f"problem: {problem}", markup=False)
    if not result["valid"]:
        raise typer.Exit(int(ExitCode.invalid_signature))


def _moment(text: str | None) -> dt.datetime | None:
    """--at as an aware time: a date means the end of that day (UTC)."""
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"--at {text!r}: expected a date like 2046-12-31 or an ISO time") from None
    if len(text) <= 10:
        moment = moment.replace(hour=23, minute=59, second=59)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
