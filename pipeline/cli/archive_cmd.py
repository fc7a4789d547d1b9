"""``edossier archive CASE`` and ``edossier archive renew``: electronic archiving (docs/archive.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from edossier.errors import ExitCode
from edossier.pipeline.archive import archive_case, renew_archives
from edossier.pipeline.cli.app import JsonOption, StoreOption, app, console, print_json, settings_for

RENEW = "renew"


@app.command("archive")
def archive(
    target: Annotated[str, typer.Argument(help="case number (案号) to archive, or 'renew'")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="folder for the handover bag (absent or empty)")
    ] = None,
    fonds: Annotated[str | None, typer.Option("--fonds", help="全宗号 (default: archive.fonds)")] = None,
    retention: Annotated[str | None, typer.Option("--retention", help="保管期限 (default: archive.retention)")] = None,
    classification: Annotated[
        str | None, typer.Option("--classification", help="密级 (default: archive.classification)")
    ] = None,
    margin: Annotated[int | None, typer.Option("--margin", help="renew: days before the newest timestamp "
                                               "certificate expires (default: archive.renew_margin_days)")] = None,
    store: StoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """Archive a case (archivist only: seal at B-LTA, 四性检测, handover bag), or renew archive timestamps."""
    settings = settings_for(store)
    if target == RENEW:
        renewed = renew_archives(settings, margin_days=margin)
        if json_out:
            print_json(renewed)
        for row in [] if json_out else renewed:
            if "busy" in row:
                console.print(f"{row['case']}: not looked at now: {row['busy']}", markup=False)
                continue
            console.print(f"{row['case']}: renewed {', '.join(row['volumes'])} as version {row['version']}; "
                          f"provable until {', '.join(row['provable_until'].values())}", markup=False)
        if not renewed and not json_out:
            console.print("nothing due", markup=False)
        if any("busy" in row for row in renewed):  # cron mails it; the next run renews what was left
            raise typer.Exit(ExitCode.conflict)
        return
    if output is None:
        raise typer.BadParameter("give the handover folder with -o")
    result = archive_case(target, settings, output, fonds=fonds, retention=retention, classification=classification)
    if json_out:
        print_json(result)
        return
    console.print(f"{result['case']}: archived as version {result['version']} ({result['archival_code']}, "
                  f"{result['items']} documents, {result['pages']} pages); handover bag {result['package']}",
                  markup=False)
