"""``edossier get`` and ``list``: reading stored dossiers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from edossier.casenumber import CaseNumber
from edossier.pipeline.cli.app import JsonOption, StoreOption, app, console, print_json, settings_for
from edossier.pipeline.audit_trail import record
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
