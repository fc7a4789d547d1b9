"""``edossier filings list|show|accept|reject`` and ``edossier service list``: the clerk's desk from a shell.

The same desk as the web reader (web/casework.py), on the same records and
store: an acceptance binds version 1 here, in the foreground, and the filer
sees the result in the browser.  The acting clerk is the configured user.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from edossier.pipeline.cli.app import JsonOption, StoreOption, app, console, print_json, settings_for
from edossier.storage import open_store
from edossier.storage.audit import AuditLog
from edossier.web.accounts import User, open_accounts
from edossier.web.casework import STATE_NAMES, Casework
from edossier.web.records import FILING_STATES, Filing

filings = typer.Typer(help="Online filings (网上立案): list, read, accept with a case number, or reject.",
                      no_args_is_help=True)
service = typer.Typer(help="Electronic service (e键送达): what was served and what is still undelivered.",
                      no_args_is_help=True)
app.add_typer(filings, name="filings")
app.add_typer(service, name="service")


@contextmanager
def _desk(store: str | None) -> Iterator[tuple[Casework, User]]:
    """The desk, and the clerk it acts as (the configured user, who must hold a clerk account)."""
    settings = settings_for(store)
    backend = open_store(settings.store_uri, settings.storage)
    accounts = open_accounts(settings)
    desk = Casework(settings, backend, AuditLog(backend), accounts, background=False)
    try:
        yield desk, accounts.user(settings.user)
    finally:
        desk.close()
        accounts.close()


def _when(timestamp: float | None) -> str:
    return dt.datetime.fromtimestamp(timestamp).isoformat(" ", "seconds") if timestamp else "-"


def _line(filing: Filing) -> str:
    case = f"  {filing.case}" if filing.case else ""
    return f"{filing.id}  {STATE_NAMES[filing.state]}  {_when(filing.created)}  {filing.filer}  {filing.case_type}  {filing.cause}{case}"


@filings.command("list")
def list_filings(
    status: Annotated[str | None, typer.Option("--status", help=f"one of: {', '.join(FILING_STATES)}")] = None,
    store: StoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """Filings, newest first (all of them, or those in one state)."""
    with _desk(store) as (desk, clerk):
        rows = desk.filings(clerk, status)
    if json_out:
        print_json([f.as_dict() for f in rows])
        return
    for filing in rows:
        console.print(_line(filing), markup=False)


@filings.command("show")
def show(filing_id: str, store: StoreOption = None, json_out: JsonOption = False) -> None:
    """One filing: court, case type, 案由, parties, claims, materials and history."""
    with _desk(store) as (desk, clerk):
        filing = desk.filing_for(clerk, filing_id)
    if json_out:
        print_json(filing.as_dict())
        return
    lines = [
        _line(filing),
        f"受理法院：{filing.court}",
        f"案由：{filing.cause}",
        f"当事人：{'；'.join(f'{p.role}：{p.name}' for p in filing.parties)}",
        f"诉讼请求：{filing.claims}",
        *(f"材料 {n}：{m.name}（{m.doc_type or '自动识别'}，{m.size} 字节，sha256 {m.sha256}）"
          for n, m in enumerate(filing.materials, 1)),
        *(f"{_when(h['time'])}  {h['user']}  {STATE_NAMES.get(h['state'], h['state'])}  {h.get('reason') or h.get('case') or ''}"
          for h in filing.history),
    ]
    for line in lines:
        console.print(line, markup=False)


@filings.command("accept")
def accept(
    filing_id: str,
    case: Annotated[str, typer.Option("--case", help="the new case number (案号)")],
    store: StoreOption = None,
) -> None:
    """Register the case: bind, sign and publish its dossier version 1 from the materials; admit the filer."""
    with _desk(store) as (desk, clerk):
        filing = desk.accept(clerk, filing_id, case)
    if filing.state != "accepted":
        raise typer.Exit(_failed(filing))
    console.print(f"{filing.id}: 已立案 {filing.case}，卷宗第{filing.version}版；{filing.filer} 可阅本案", markup=False)


def _failed(filing: Filing) -> int:
    console.print(f"{filing.id}: {STATE_NAMES[filing.state]}：{filing.reason}", markup=False)
    return 6


@filings.command("reject")
def reject(
    filing_id: str,
    reason: Annotated[str, typer.Option("--reason", help="what the filer must correct (补正)")],
    store: StoreOption = None,
) -> None:
    """Send the filing back with a reason the filer sees; nothing is published."""
    with _desk(store) as (desk, clerk):
        filing = desk.reject(clerk, filing_id, reason)
    console.print(f"{filing.id}: 已退回补正：{filing.reason}", markup=False)


@service.command("list")
def list_service(
    case: Annotated[str | None, typer.Option("--case", help="only this case")] = None,
    undelivered: Annotated[bool, typer.Option("--undelivered", help="only what is not yet opened")] = False,
    store: StoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """Served documents, newest first, with their state and how long they have waited."""
    with _desk(store) as (desk, clerk):
        rows = desk.services(clerk, case=case, undelivered=undelivered)
    if json_out:
        print_json([s.as_dict() for s in rows])
        return
    now = dt.datetime.now().timestamp()
    for s in rows:
        waited = dt.timedelta(seconds=int((s.delivered or now) - s.created))
        console.print(f"{s.id}  {STATE_NAMES[s.state]}  {s.case}  {s.title}（{s.doc_type}） → {s.recipient}  "
                      f"发送 {_when(s.created)}  历时 {waited}", markup=False)
