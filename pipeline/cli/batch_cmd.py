"""``edossier batch``, ``worker`` and ``status``: converting an archive, on one machine or many."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from edossier.ocr import cpu_count
from edossier.pipeline.batch import processes as worker_processes
from edossier.pipeline.cli.app import JsonOption, SplitOption, StoreOption, app, console, print_json, settings_for, split_setting

BrokerOption = Annotated[
    str | None, typer.Option("--broker", help="redis://host:6379 or amqp://user:pass@host:5672 (default: in-process)")
]
StateOption = Annotated[
    str | None, typer.Option("--state", help="batch state database, sqlite:///path (default under the data folder)")
]


@app.command("batch")
def batch(
    source: Annotated[Path, typer.Argument(help="folder tree of scans and PDFs")],
    cases: Annotated[Path, typer.Option("--cases", help="MAP.csv: path,case[,type,order]")],
    broker: BrokerOption = None,
    workers: Annotated[
        int, typer.Option("--workers", help="worker processes for the in-process run (0: one per CPU)")
    ] = 0,
    state: StateOption = None,
    split: SplitOption = None,
    store: StoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """Convert SOURCE into dossiers; with --broker, enqueue and print the batch id; rerun to resume."""
    from edossier.pipeline.batch.run import convert_in_process, start_batch

    settings = settings_for(store, **split_setting(split))
    workers = workers or cpu_count()
    if broker is not None:
        batch_id, batch_state = start_batch(source, cases, settings, broker, state)
        if json_out:
            print_json({"batch": batch_id, "state": batch_state.uri, "broker": broker})
        else:
            console.print(f"batch {batch_id} enqueued; run `edossier worker --broker {broker}` on any machine, "
                          f"then `edossier status {batch_id} --state {batch_state.uri}`", markup=False)
        return
    if json_out:
        status = convert_in_process(source, cases, settings, workers, state)
        print_json(status)
    else:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), console=console) as bar:
            task = bar.add_task("pages", total=None, rate="")

            def show(status: dict[str, Any]) -> None:
                rate = status["pages_per_second"]
                bar.update(task, description=f"batch {status['batch']}", total=status["pages"]["total"] or None,
                           completed=status["pages"]["done"], rate=f"{rate:.2f} pages/s" if rate else "")

            status = convert_in_process(source, cases, settings, workers, state, show)
        _print_status(status)
    if status["cases"]["failed"]:
        raise typer.Exit(1)


@app.command("worker")
def worker(
    broker: Annotated[str, typer.Option("--broker", help="redis://… or amqp://… (the batch's broker)")],
    processes: Annotated[
        int, typer.Option("--processes", help="worker processes on this machine, one page each (0: one per CPU)")
    ] = 0,
) -> None:
    """Work on every batch queued on BROKER until stopped (SIGTERM or Ctrl-C)."""
    processes = processes or cpu_count()
    if processes > 1:  # the children import the pipeline, each on its own CPU; this process waits for them
        worker_processes.supervise(broker, processes)
        return
    import cv2  # this process is the worker: one CPU, as each spawned one is (see run_worker)

    from edossier.pipeline.batch.run import run_worker

    cv2.setNumThreads(1)
    run_worker(broker)


@app.command("status")
def status(
    batch_id: Annotated[str, typer.Argument(help="batch id printed by `edossier batch`")],
    state: StateOption = None,
    json_out: JsonOption = False,
) -> None:
    """Cases done, failed and pending, pages per second and the time still needed."""
    from edossier.pipeline.batch.state import batch_status, default_state_uri, open_state

    batch_state = open_state(state or default_state_uri(settings_for()))
    result = batch_status(batch_state, batch_id)
    if json_out:
        print_json(result)
    else:
        _print_status(result)


def _print_status(status: dict[str, Any]) -> None:
    cases, pages = status["cases"], status["pages"]
    rate = status["pages_per_second"]
    eta = status["eta_seconds"]
    console.print(
        f"batch {status['batch']}: cases {cases['done']} done, {cases['failed']} failed, {cases['pending']} pending; "
        f"pages {pages['done']}/{pages['total']}{'' if pages['total_known'] else '+'}"
        f"{f'; {rate:.2f} pages/s' if rate else ''}{f'; ETA {eta:.0f} s' if eta else ''}",
        markup=False,
    )
    for failure in status["failed"]:
        console.print(f"  failed: {failure['case']} ({failure['actor']}): {failure['reason']}", markup=False)
