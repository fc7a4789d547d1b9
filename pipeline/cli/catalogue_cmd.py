"""``edossier catalogue``: a dossier's catalogue with its confidences, and a clerk's corrections of it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from edossier.casenumber import CaseNumber
from edossier.pipeline.case_hold import holding_case
from edossier.pipeline.cli.app import JsonOption, StoreOption, app, console, print_json, settings_for

if TYPE_CHECKING:
    from edossier.pipeline.recatalogue import Correction


@app.command("catalogue")
def catalogue_cmd(
    case: Annotated[str, typer.Argument(help="case number (案号)")],
    split_at: Annotated[str | None, typer.Option(
        "--split-at", metavar="DOC:PAGE", help="split document DOC at PAGE (the volume page, as stamped on the sheet)"
    )] = None,
    merge: Annotated[str | None, typer.Option(
        "--merge", metavar="DOC,DOC", help="merge document DOC with the next one (DOC,DOC+1)"
    )] = None,
    retitle: Annotated[str | None, typer.Option("--retitle", metavar="DOC", help="give document DOC a new title")] = None,
    title: Annotated[str | None, typer.Argument(help="the new title (with --retitle)")] = None,
    doc_type: Annotated[str | None, typer.Option("--type", help="the document's correct type (with --retitle)")] = None,
    move: Annotated[str | None, typer.Option(
        "--move", metavar="DOC", help="move document DOC to the other volume (正卷 to 副卷 binds the 正卷 anew)"
    )] = None,
    store: StoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """List the catalogue with its confidences (待复核 marked), or publish a correction as a new signed version.

    DOC is the document's number in the list (正卷 first, then 副卷).
    """
    from edossier.pipeline.recatalogue import catalogue_rows, correct_catalogue

    settings = settings_for(store)
    correction = _correction(split_at, merge, retitle, title, doc_type, move)
    if correction is not None:
        with holding_case(settings, CaseNumber.parse(case).normalized, "correction"):  # as the reader's corrections do
            done = correct_catalogue(case, correction, settings)
        if json_out:
            print_json({"case": done.summary.case, "version": done.summary.version, "corrected": list(done.changed),
                        **done.event.detail})
            return
        console.print(f"case {done.summary.case}: version {done.summary.version} published "
                      f"({done.event.detail['action']}; documents {', '.join(map(str, done.changed))})", markup=False)
    listing = catalogue_rows(case, settings)
    if json_out:
        print_json(listing)
        return
    _print(listing)


def _correction(split_at: str | None, merge: str | None, retitle: str | None, title: str | None,
                doc_type: str | None, move: str | None) -> Correction | None:
    from edossier.pipeline.recatalogue import Correction

    chosen = [o for o in (split_at, merge, retitle, move) if o is not None]
    if len(chosen) > 1:
        raise typer.BadParameter("give one of --split-at, --merge, --retitle, --move")
    if (title is not None or doc_type is not None) and retitle is None:
        raise typer.BadParameter("a title or --type goes with --retitle DOC")
    if split_at is not None:
        doc, _, page = split_at.partition(":")
        return Correction("split", _number(doc, "--split-at DOC:PAGE"), page=_number(page, "--split-at DOC:PAGE"))
    if merge is not None:
        first, _, second = merge.partition(",")
        n = _number(first, "--merge DOC,DOC")
        if _number(second, "--merge DOC,DOC") != n + 1:
            raise typer.BadParameter("--merge takes two neighbouring documents, e.g. --merge 3,4")
        return Correction("merge", n)
    if retitle is not None:
        if title is None and doc_type is None:
            raise typer.BadParameter("--retitle DOC needs a new title, --type, or both")
        return Correction("retitle", _number(retitle, "--retitle DOC"), title=title, type=doc_type)
    if move is not None:
        return Correction("move", _number(move, "--move DOC"))
    return None


def _number(text: str, usage: str) -> int:
    if not text.strip().isdigit():
        raise typer.BadParameter(f"{usage}: {text!r} is not a number")
    return int(text)


def _print(listing: dict[str, Any]) -> None:
    console.print(f"{listing['case']} version {listing['version']} "
                  f"(待复核 below boundary confidence {listing['review_below']})", markup=False)
    for row in listing["documents"]:
        pages = f"{row['first_page']}-{row['last_page']}"
        boundary = "-" if row["boundary_confidence"] is None else f"{row['boundary_confidence']:.2f}"
        review = "  待复核" if row["needs_review"] else ""
        if row["moved_to"]:
            review += f"  已移入{'副卷' if row['moved_to'] == 'secondary' else '正卷'}"
        volume = "副卷" if row["volume"] == "secondary" else "正卷"
        console.print(f"{row['number']:>3}  {volume} p.{pages:<9} {row['type']:<8} {row['title']}  "
                      f"(type {row['confidence']:.2f}, boundary {boundary}){review}", markup=False)
