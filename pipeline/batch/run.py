"""Starting, resuming, running and watching a batch.

``start_batch`` records the plan and enqueues whatever is not done yet (all of
it the first time; the rest after a crash), so the same command both starts and
resumes.  ``run_in_process`` is the embedded default: the SQLite broker and N
worker processes on this machine, replaced if one dies, until every case is
done or failed.  ``batch_status`` (state.py) reads only the state, so it works from any
machine that can reach it.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from edossier.config import Settings, shareable_settings
from edossier.pipeline.batch.brokers import open_broker
from edossier.pipeline.batch.plan import batch_id, read_plan
from edossier.pipeline.batch.processes import spawn_worker
from edossier.pipeline.batch.state import BatchState, batch_status, default_state_uri, open_state
from edossier.pipeline.audit_trail import record
from edossier.storage import open_store

POLL_S = 0.5


def embedded_broker_url(settings: Settings) -> str:
    return f"sqlite://{(settings.data_dir / 'batch' / 'queue.sqlite').resolve()}"


def start_batch(source: Path, case_map: Path, settings: Settings, broker_url: str,
                state_uri: str | None = None) -> tuple[str, BatchState]:
    """Plan (or find) the batch and enqueue everything it still needs; returns its id at once."""
    plan = read_plan(source, case_map)
    batch = batch_id(source, case_map)
    state = open_state(state_uri or default_state_uri(settings))
    # Only what every machine may know: each worker takes secrets and credentials from its own configuration.
    recorded = {"store_uri": settings.store_uri, "user": settings.user, "settings": shareable_settings(settings)}
    state.create(batch, source.resolve(), recorded, plan)
    broker = open_broker(broker_url)
    sent = enqueue_pending(broker, state, batch)
    record(open_store(settings.store_uri, settings.storage), settings.user, "batch.start", None, {},
           {"batch": batch, "cases": len(plan), "messages": sent})
    return batch, state


def enqueue_pending(broker: dramatiq.Broker, state: BatchState, batch: str) -> int:
    """One message for the next step of every unfinished piece; steps already done are skipped by the actors."""
    sent = 0

    def send(actor: str, *args: Any) -> None:
        nonlocal sent
        broker.get_actor(actor).send(state.uri, batch, *args)
        sent += 1

    for case_no, case_state in state.cases(batch):
        if case_state != "pending":
            continue
        materials = state.materials(batch, case_no)
        for m in materials:
            if m.pages is None:
                send("read_material", case_no, m.idx)
            elif m.document is None:
                undone = state.undone_pages(batch, case_no, m.idx)
                for page_no in undone:
                    send("ocr_page", case_no, m.idx, page_no)
                if not undone:
                    send("classify_document", case_no, m.idx)
        if all(m.document is not None for m in materials):
            send("bind_case", case_no)
    return sent


def convert_in_process(source: Path, case_map: Path, settings: Settings, workers: int,
                       state_uri: str | None = None,
                       on_progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """The embedded default: start or resume the batch on this machine's own queue and run it to the end."""
    url = embedded_broker_url(settings)
    open_broker(url).flush_all()  # this queue serves this run alone; what is left to do comes from the state
    batch, state = start_batch(source, case_map, settings, url, state_uri)
    return run_in_process(state, batch, url, workers, on_progress)


def run_in_process(state: BatchState, batch: str, broker_url: str, workers: int,
                   on_progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """N worker processes on the embedded broker until the batch is finished; a dead one is replaced."""
    procs = [spawn_worker(broker_url) for _ in range(max(1, workers))]
    try:
        while True:
            status = batch_status(state, batch)
            if on_progress:
                on_progress(status)
            if status["finished"]:
                return status
            for i, proc in enumerate(procs):
                if proc.poll() is not None:
                    procs[i] = spawn_worker(broker_url)
            time.sleep(POLL_S)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _not_about_results(entry: logging.LogRecord) -> bool:
    """Actors return what they made to the hooks (the Audit hook); dramatiq would warn that no result store keeps it."""
    return "returned a value that is not None" not in entry.getMessage()


def run_worker(broker_url: str) -> None:
    """Consume batch messages in this process until SIGTERM or Ctrl-C (several processes: ``processes.supervise``).

    A worker process is one CPU: it OCRs one page at a time on one thread (the
    batch's settings are overridden so, see ``actors``); spawned workers keep
    OpenCV to one thread too.  Parallelism comes from processes, one per CPU: pools sized to
    the whole machine in every process fought over the cores (Tesseract's OpenMP
    threads spin-waiting made a page 16x slower with two workers on two cores).
    """
    logging.getLogger("dramatiq.worker.WorkerThread").addFilter(_not_about_results)
    broker = open_broker(broker_url)
    # One message in hand per process (dramatiq's default is two per thread): a page waits for
    # whichever worker is free next, rather than behind another page in a busy worker's hand.
    # dramatiq's Redis consumer polls with a back-off that grows up to the worker timeout while
    # its hand is full; at 500 ms it took ~0.15 s after each ack to fetch the next message (13%
    # of a page), hence 50 ms there.  (RabbitMQ pushes the next message on ack and keeps 500 ms:
    # its consumer stopped consuming with 50 ms in a test run.)
    timeout = 50 if isinstance(broker, RedisBroker) else 500
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=timeout)
    worker.queue_prefetch = 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    worker.start()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop(timeout=60_000)
        broker.close()
