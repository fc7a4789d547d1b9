"""``edossier casenumber``: parse and normalise a case number (案号)."""

from __future__ import annotations

from edossier.casenumber import CaseNumber
from edossier.pipeline.cli.app import JsonOption, app, console, print_json


@app.command("casenumber")
def casenumber(text: str, json_out: JsonOption = False) -> None:
    """Check and normalise a case number; exit 2 with the reason if it is not one."""
    case = CaseNumber.parse(text)
    if json_out:
        print_json({"input": text, **case.as_dict()})
    else:
        console.print(case.normalized, markup=False)
