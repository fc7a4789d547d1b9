"""``edossier get``, ``list`` and ``verify``: reading and checking stored dossiers."""

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
from edossier.pipeline.process import trust_roots
from edossier.pipeline.verify_case import verify_case
from edossier.storage import open_store
from edossier.storage.manifest import list_cases, published_versions, read_manifest


@app.command("get")
def get(
    case: str,
    version: Annotated[int | None, typer.Option("--version", help="version number (default: latest)")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="write the PDF here")] = None,
    store: StoreOption = None,
) -> None:
    """Copy a case's bound dossier PDF out of the store."""
    settings = settings_for(store)
    case_number = CaseNumber.parse(case)
    target = open_store(settings.store_uri, settings.storage)
    manifest = read_manifest(target, case_number, version)
    out = output or Path(f"{case_number.key}-v{manifest.version}.pdf")
    out.parent.mkdir(parents=True, exist_ok=True)
    target.get_file(manifest.dossier.key, out)
    record(target, settings.user, "download", case_number.normalized, {"dossier.pdf": manifest.dossier.sha256},
           {"version": manifest.version, "to": str(out)})
    console.print(str(out), markup=False)


@app.command("list")
def list_(store: StoreOption = None, json_out: JsonOption = False) -> None:
    """List the cases in the store with their versions."""
    settings = settings_for(store)
    target = open_store(settings.store_uri, settings.storage)
    rows = []
    for key in list_cases(target):
        case = CaseNumber.parse(key)
        versions = published_versions(target, case)
        manifest = read_manifest(target, case, versions[-1])
        pages = max((e["last_page"] for e in manifest.catalogue), default=0)
        rows.append({"case": key, "versions": versions, "latest": versions[-1], "pages": pages,
                     "updated": manifest.created})
    if json_out:
        print_json(rows)
        return
    if not rows:
        console.print("no dossiers stored", markup=False)
    for row in rows:
        console.print(f"{row['case']}  v{row['latest']}  {row['pages']} pages  {row['updated']}", markup=False)


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
