"""``edossier fixity`` and ``export-bag``: proving and handing over what the store holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from edossier.casenumber import CaseNumber
from edossier.errors import ExitCode
from edossier.pipeline.cli.app import JsonOption, StoreOption, app, console, print_json, settings_for
from edossier.storage import open_store
from edossier.storage.bag import export_bag
from edossier.storage.fixity import check_all, check_case, orphans


@app.command("fixity")
def fixity(
    case: Annotated[str | None, typer.Argument(help="case number (案号)")] = None,
    all_cases: Annotated[bool, typer.Option("--all", help="check every case in the store")] = False,
    orphan_objects: Annotated[
        bool, typer.Option("--orphans", help="only list stored objects that no manifest names (of CASE, or all)")
    ] = False,
    store: StoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """Re-hash every stored object of a case (or all); exit 12 on any mismatch or missing object."""
    if (case is None) == (not all_cases) and not orphan_objects:
        raise typer.BadParameter("give a case number or --all, not both")
    settings = settings_for(store)
    target = open_store(settings.store_uri, settings.storage)
    if orphan_objects:
        keys = orphans(target, CaseNumber.parse(case) if case else None)
        if json_out:
            print_json(keys)
        else:
            for key in keys:
                console.print(key, markup=False)
            console.print(f"{len(keys)} stored objects in no manifest", markup=False)
        return
    reports = check_all(target) if all_cases else [check_case(target, CaseNumber.parse(case or ""))]
    if json_out:
        print_json([report.as_dict() for report in reports])
    for report in [] if json_out else reports:
        state = "OK" if report.ok else "FAILED"
        console.print(
            f"{report.case}: {state}  versions {report.versions}, {report.objects_checked} objects re-hashed"
            + (f", {report.unreferenced} in no version" if report.unreferenced else ""),
            markup=False,
        )
        for problem in report.problems:
            console.print(f"  {problem.key}: {problem.problem}", markup=False)
    if not all(report.ok for report in reports):
        raise typer.Exit(int(ExitCode.integrity))


@app.command("export-bag")
def export_bag_cmd(
    case: str,
    output: Annotated[Path, typer.Option("-o", "--output", help="folder for the bag (absent or empty)")],
    store: StoreOption = None,
) -> None:
    """Export a case's published versions as a validated BagIt bag for an archive."""
    settings = settings_for(store)
    bag = export_bag(open_store(settings.store_uri, settings.storage), CaseNumber.parse(case), output)
    console.print(f"{output}: valid bag, {bag.info.get('Payload-Oxum')} (bytes.files)", markup=False)
