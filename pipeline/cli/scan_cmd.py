"""``edossier scan``, ``edossier watch`` and ``edossier coversheet``: the filing window."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from edossier.classify.doctypes import load_doctypes
from edossier.errors import UnsupportedInputError
from edossier.ingest.batch_split import PageCheck
from edossier.ingest.coversheet import make_cover_sheet
from edossier.pipeline.cli.app import JsonOption, SplitOption, StoreOption, app, console, print_json, settings_for, split_setting
from edossier.pipeline.filing import BatchResult
from edossier.pipeline.scan import scan_to_case
from edossier.pipeline.watch import drain_folder
from edossier.scanners.devices import DeviceAddressError, open_device
from edossier.scanners.hot_folder import HotFolder
from edossier.scanners.sane_scanner import list_devices
from edossier.storage import open_store

DeviceOption = Annotated[
    str, typer.Option("--device", help="sane:test, sane:<device>, escl:http://host:port/eSCL or folder:/path")
]


@app.command("scan")
def scan(
    device: DeviceOption,
    case: Annotated[str, typer.Option("--case", help="case number (案号)")],
    declared_pages: Annotated[
        int | None, typer.Option("--declared-pages", min=1, help="pages the clerk counted (cover sheets excluded)")
    ] = None,
    resume: Annotated[bool, typer.Option("--resume", help="continue the case's batch stopped by a jam")] = False,
    split: SplitOption = None,
    store: StoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """Scan a batch from DEVICE into the case's next dossier version, cut into its documents."""
    settings = settings_for(store, **split_setting(split))
    progress = None if json_out else (lambda message: console.print(f"  {message}", markup=False))
    with nullcontext() if json_out else console.status(f"scanning from {device}…"):
        results = scan_to_case(
            device,
            case,
            settings,
            declared_pages=declared_pages,
            resume=resume,
            store=open_store(settings.store_uri, settings.storage),
            progress=progress,
            on_page=None if json_out else _show_page,
        )
    _print_results(results, json_out)


@app.command("devices")
def devices(
    device: Annotated[str | None, typer.Option("--device", help="show this device's options")] = None,
    json_out: JsonOption = False,
) -> None:
    """List the SANE scanners this machine sees, or one device's options."""
    settings = settings_for()
    if device is None:
        found = list_devices(settings.scan.sane_config_dir)
        if json_out:
            print_json(found)
        for name in [] if json_out else found:
            console.print(name, markup=False)
        return
    opened = open_device(device, settings.scan)
    if isinstance(opened, HotFolder):
        raise DeviceAddressError(f"{device}: a hot folder has no options")
    with opened as scanner:
        options = scanner.options()
    if json_out:
        print_json([asdict(o) for o in options])
        return
    for option in options:
        allowed = ""
        if option.choices:
            allowed = f"  [{', '.join(map(str, option.choices))}]"
        elif option.range:
            allowed = f"  [{option.range[0]:g}..{option.range[1]:g}]"
        value = "" if option.value is None else f" = {option.value}{option.unit}"
        console.print(f"{option.name}{value}{allowed}", markup=False)


@app.command("watch")
def watch(
    device: Annotated[str, typer.Argument(help="hot folder: folder:/path")],
    case: Annotated[
        str | None, typer.Option("--case", help="case for files without cover sheets (default: cover sheets name it)")
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="take the files waiting now, then stop")] = False,
    split: SplitOption = None,
    store: StoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """Take files from a hot folder as they arrive, until interrupted (Ctrl-C)."""
    if not device.startswith("folder:"):
        raise DeviceAddressError(f"{device}: watch takes a hot folder (folder:/path); use `edossier scan` for scanners")
    settings = settings_for(store, **split_setting(split))
    folder = open_device(device, settings.scan)
    assert isinstance(folder, HotFolder)
    progress = None if json_out else (lambda message: console.print(message, markup=False))
    if progress:
        progress(f"watching {folder.root} (Ctrl-C to stop)")
    results = drain_folder(
        folder,
        settings,
        case_text=case,
        store=open_store(settings.store_uri, settings.storage),
        progress=progress,
        keep_watching=lambda: not once,
    )
    _print_results(results, json_out)


@app.command("coversheet")
def coversheet(
    case: Annotated[str, typer.Option("--case", help="case number (案号)")],
    doc_type: Annotated[str, typer.Option("--type", help="document type, e.g. 起诉状")],
    output: Annotated[Path, typer.Option("-o", "--output", help="PDF to write")],
    title: Annotated[str | None, typer.Option("--title", help="document title for the catalogue")] = None,
    pages: Annotated[int | None, typer.Option("--pages", min=1, help="pages the document has (checked on scan)")] = None,
    json_out: JsonOption = False,
) -> None:
    """Print a separator sheet (QR code and text) that starts a document of TYPE in a scan batch."""
    labels = [t.label for t in load_doctypes()]
    if doc_type not in labels:
        raise UnsupportedInputError(doc_type, f"is not a document type; use one of {' '.join(labels)}")
    sheet = make_cover_sheet(case, doc_type, title, pages, output)
    if json_out:
        print_json({"output": str(output), "case": sheet.case, "type": sheet.type, "title": sheet.title, "pages": sheet.pages})
        return
    console.print(f"cover sheet for {sheet.case} {sheet.type}: {output}", markup=False)


def _show_page(check: PageCheck) -> None:
    notes = []
    if check.cover is not None:
        notes.append(f"cover sheet: {check.cover.type}" + (f" 《{check.cover.title}》" if check.cover.title else ""))
    if check.damaged_cover:
        notes.append(f"FLAG {check.damaged_cover}")
    if check.blank:
        notes.append("FLAG blank")
    if check.same_as_previous:
        notes.append("FLAG same as previous page (double feed?)")
    console.print(f"  page {check.number}" + (f": {'; '.join(notes)}" if notes else ""), markup=False)


def _print_results(results: list[BatchResult], json_out: bool) -> None:
    if json_out:
        print_json([_as_json(r) for r in results])
        return
    for result in results:
        split = result.split
        if split is None:
            for version in result.versions:
                console.print(f"{result.device}: born-digital file filed whole; case {version.case}: "
                              f"version {version.version}, {version.pages} pages", markup=False)
            continue
        console.print(
            f"{result.device}: {split.pages_received} pages received, {len(split.documents)} documents, "
            f"{len(split.flags)} flags",
            markup=False,
        )
        for flag in split.flags:
            console.print(f"  FLAG {flag.message}", markup=False)
        for version in result.versions:
            console.print(f"case {version.case}: version {version.version}, {version.pages} pages", markup=False)
        console.print(f"QC report: {result.report}", markup=False)


def _as_json(result: BatchResult) -> dict[str, object]:
    split = result.split
    versions = [{"case": v.case, "version": v.version, "pages": v.pages} for v in result.versions]
    if split is None:
        return {"device": result.device, "born_digital": True, "versions": versions, "report": None}
    return {
        "device": result.device,
        "pages_received": split.pages_received,
        "documents": [
            {
                "type": d.cover.type if d.cover else None,
                "title": d.cover.title if d.cover else None,
                "case": d.cover.case if d.cover else None,
                "batch_pages": [p.number for p in d.pages],
                "flags": [f.kind for f in d.flags],
            }
            for d in split.documents
        ],
        "not_bound": [p.number for p in split.left_out],
        "flags": [{"kind": f.kind, "page": f.page, "message": f.message} for f in split.flags],
        "versions": versions,
        "report": str(result.report),
    }
