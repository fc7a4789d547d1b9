"""The dramatiq runner: the steps of ``pipeline/steps.py`` as messages, on any number of machines.

Each actor only schedules: it asks the batch state whether its piece is done,
runs the step (the same function ``edossier process`` runs), moves the bytes
through the store and records the outcome, then sends the next message.
Messages carry references only (state URI, batch id, case number, material and
page numbers); records carry hashes, and each machine's work area turns a hash
into a local file.  The last page of a document or the last document of a case
triggers the next step through a claim that only one message wins.  Hooks
(timing, audit) and the retry policy wrap every message from the middleware.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import dramatiq
from dramatiq.middleware import CurrentMessage
from pydantic import TypeAdapter

from edossier.casenumber import CaseNumber
from edossier.config import Settings, load_settings, with_shared
from edossier.errors import ImmutableObjectError, StageError
from edossier.ocr import OcrEngine, create_engine
from edossier.pipeline import steps
from edossier.pipeline.batch.state import BatchState, open_state
from edossier.pipeline.case_hold import holding_case
from edossier.pipeline.retry import publish_retrying
from edossier.pipeline.work import identity
from edossier.storage import Store, open_store
from edossier.storage.manifest import latest_version, read_manifest
from edossier.types import Document, OcrPage, SourceFile

log = logging.getLogger("edossier.batch")

QUEUE = "edossier-batch"
BIND_LEASE_S = 900.0


class BindingInProgress(StageError):
    """Another worker holds this case's binding lease; retried with backoff until it finishes or lapses."""


@dataclass(frozen=True)
class BatchContext:
    """One batch as this worker process sees it: the shared state, its settings over this machine's own."""

    state: BatchState
    batch: str
    source: Path
    settings: Settings
    store: Store

    @property
    def work_dir(self) -> Path:
        return self.settings.work_dir

    def case(self, case_no: str, version: int | None = None) -> steps.CaseContext:
        return steps.CaseContext.open(CaseNumber.parse(case_no), self.settings, self.store, version)

    @cached_property
    def engine(self) -> OcrEngine:
        return create_engine(self.settings.ocr)


_CONTEXT_LOCK = threading.Lock()


@cache
def _context(state_uri: str, batch: str) -> BatchContext:
    state = open_state(state_uri)
    source, recorded = state.batch(batch)
    # The batch's shared settings over this machine's own (read here, at the worker's edge, once per batch):
    # its secrets, credentials and data folder stay its own.
    settings = worker_settings(with_shared(load_settings(), recorded["settings"]))
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    return BatchContext(state, batch, source, settings, open_store(recorded["store_uri"], settings.storage))


def worker_settings(settings: Settings) -> Settings:
    """SETTINGS for one worker process, which is one CPU whatever the machine that started the batch had.

    One page at a time on one thread, cleaned up one at a time, its images encoded
    for binding in the worker's own thread: with one worker per core, a worker that
    cleaned two pages at once or encoded in a pool took its time from the other.
    """
    return settings.model_copy(update={
        "ocr": settings.ocr.model_copy(update={"jobs": 1, "threads": 1}),
        "bind": settings.bind.model_copy(update={"jobs": 1}),
    })


def context(state_uri: str, batch: str) -> BatchContext:
    with _CONTEXT_LOCK:
        return _context(state_uri, batch)


def _message_id() -> str:
    message = CurrentMessage.get_current_message()
    if message is None:
        raise StageError("batch steps run inside a dramatiq worker")
    return message.message_id


def _send(actor: str, *args: Any) -> None:
    dramatiq.get_broker().get_actor(actor).send(*args)


# -- actors -------------------------------------------------------------


def read_material(state_uri: str, batch: str, case_no: str, idx: int) -> None:
    """Read and clean up one file; its original and page images sealed in the store, its pages recorded."""
    ctx = context(state_uri, batch)
    if ctx.state.case_state(batch, case_no) != "pending":
        return
    record = ctx.state.material(batch, case_no, idx)
    if record.pages is None:
        material = steps.Material(path=ctx.source / record.path, declared_type=record.declared_type)
        source, pages = steps.read(material, ctx.settings, ctx.work_dir, None)
        pages = steps.clean_up(pages, ctx.settings, ctx.work_dir)
        for key, path, _ in steps.intake_objects(CaseNumber.parse(case_no), source, pages):
            ctx.store.put_file(key, path)
        ctx.state.record_pages(batch, case_no, idx, source, [identity(p) for p in pages])
    for page_no in ctx.state.undone_pages(batch, case_no, idx):
        _send("ocr_page", state_uri, batch, case_no, idx, page_no)
    _after_page(ctx, case_no, idx)


def ocr_page(state_uri: str, batch: str, case_no: str, idx: int, page_no: int) -> OcrPage | None:
    """OCR one page; the result is sealed at the key publishing names it by, so publishing it is free."""
    ctx = context(state_uri, batch)
    if ctx.state.case_state(batch, case_no) == "failed":
        return None  # another file of the case cannot be read: the case will not be bound, spare the OCR
    result = None
    if ctx.state.page_ocr_key(batch, case_no, idx, page_no) is None:
        record = ctx.state.material(batch, case_no, idx)
        if record.source is None or record.pages is None:
            raise StageError(f"case {case_no}: page {page_no + 1} of material {idx} OCRed before it was read")
        case = ctx.case(case_no)
        page = record.pages[page_no]
        result = steps.ocr(case, page, record.source, ctx.engine)
        key = None  # a blank page: flagged and bound, nothing to read
        if result is not None:
            key, body = steps.ocr_object(case.case, page, result)
            try:
                ctx.store.put_bytes(key, body)
            except ImmutableObjectError:
                pass  # an earlier attempt sealed its reading first: that one is the page's OCR from now on
        ctx.state.page_done(batch, case_no, idx, page_no, key)
    _after_page(ctx, case_no, idx)
    return result


FILE_DOCUMENTS = TypeAdapter(list[Document])
"""A material's documents as the batch state keeps them: one file may hold several (cataloguing)."""


def classify_document(state_uri: str, batch: str, case_no: str, idx: int) -> None:
    """One file becomes its documents, cut and classified from its OCR text."""
    ctx = context(state_uri, batch)
    record = ctx.state.material(batch, case_no, idx)
    if record.document is None:
        if record.source is None or record.pages is None:
            raise StageError(f"case {case_no}: material {idx} classified before it was read")
        ocr: list[OcrPage | None] = []
        for page in record.pages:
            key = ctx.state.page_ocr_key(batch, case_no, idx, page.index) if page.kind == "raster" else None
            ocr.append(OcrPage.model_validate_json(ctx.store.get_bytes(key)) if key else None)
        documents = steps.classify(ctx.case(case_no), record.source, record.pages, ocr, None)
        ctx.state.set_document(batch, case_no, idx, FILE_DOCUMENTS.dump_json(documents).decode())
    if ctx.state.claim_bind(batch, case_no, _message_id()):
        _send("bind_case", state_uri, batch, case_no)


def bind_case(state_uri: str, batch: str, case_no: str) -> steps.Published | None:
    """Bind, sign and publish the case once, under a lease; returns the publication for the Audit hook.

    Where this machine's data folder has the reader's queue, the case is held
    there while it is bound and published (``holding_case``: submissions of the
    case wait, terminals take their turn), waiting while a submission or another
    publication has it.  Elsewhere another writer may still take the version
    fixed for the batch: ``publish_retrying`` binds it again onto theirs
    (``_publish_fixed``).
    """
    ctx = context(state_uri, batch)
    if ctx.state.case_state(batch, case_no) != "pending":
        return None
    if not ctx.state.take_lease(batch, case_no, _message_id(), BIND_LEASE_S):
        raise BindingInProgress(f"case {case_no}: being bound by another worker")
    number = CaseNumber.parse(case_no)
    records = ctx.state.materials(batch, case_no)
    sources = [r.source for r in records if r.source]
    documents = [doc for r in records if r.document for doc in FILE_DOCUMENTS.validate_json(r.document)]
    with holding_case(ctx.settings, number.normalized, "filing",
                      wait=lambda line: log.warning("batch %s: %s", batch, line)):
        version = publish_retrying(lambda: _publish_fixed(ctx, case_no, sources, documents))
    if not ctx.state.finish_case(batch, case_no) or version is None:
        return None  # None: every file was in the case's last version already, nothing to publish
    summary = steps.summary_of(read_manifest(ctx.store, number, version))
    return steps.Published(summary, steps.publication_event(summary, sources, batch=batch))


def _publish_fixed(
    ctx: BatchContext, case_no: str, sources: list[SourceFile], documents: list[Document]
) -> int | None:
    """Publish DOCUMENTS as the version fixed for the case in the batch state; that version (None: nothing new).

    The number is fixed the first time, so a retry publishes the same version,
    and one killed after publishing, before recording it, finds it published: its
    manifest names this batch.  A version found published by anyone else (a
    submission, ``process`` or a correction at a terminal) was overtaken: the
    number is fixed anew after the latest version and the documents bound onto
    it, keeping what the other publication brought; files it already holds are
    not bound again.  A publication that lands while this one binds makes the
    manifest's write fail (ImmutableObjectError), and ``publish_retrying`` calls
    this again.
    """
    number = CaseNumber.parse(case_no)
    latest = latest_version(ctx.store, number)
    version = ctx.state.case_version(ctx.batch, case_no, latest + 1)
    if version <= latest:
        if read_manifest(ctx.store, number, version).provenance.get("batch") == ctx.batch:
            return version  # published, then killed before recording it
        log.warning("batch %s: case %s: version %d was published by another writer; binding onto version %d",
                    ctx.batch, case_no, version, latest)
        version = ctx.state.refix_version(ctx.batch, case_no, version, latest + 1)
    case = ctx.case(case_no, version)
    if not steps.new_documents(case, documents):
        return None  # every file was in the case's last version already
    journal = StateJournal(ctx.state, ctx.batch)
    with tempfile.TemporaryDirectory(dir=ctx.work_dir) as tmp:
        bound = steps.bind(case, documents, sources, Path(tmp), journal)
        steps.publish(case, steps.sign(case, bound), ctx.engine.cache_key(), journal, batch=ctx.batch)
    return version


@dataclass(frozen=True)
class StateJournal:
    """The batch's ``steps.Journal``: signed volumes noted in the shared state, so any machine's retry reuses them.

    Only the lease holder binds a case, and the version is fixed per case, so the
    notes are per (batch, case); fixing the version anew (overtaken) drops them.
    """

    state: BatchState
    batch: str

    def signed_volumes(self, case: CaseNumber, version: int) -> dict[str, dict[str, Any]]:
        return self.state.signed_volumes(self.batch, case.normalized)

    def note_signed(self, case: CaseNumber, version: int, volume: str, note: dict[str, Any]) -> None:
        self.state.note_signed(self.batch, case.normalized, volume, note)


def _after_page(ctx: BatchContext, case_no: str, idx: int) -> None:
    if ctx.state.claim_classify(ctx.batch, case_no, idx, _message_id()):
        _send("classify_document", ctx.state.uri, ctx.batch, case_no, idx)


ACTORS: tuple[Callable[..., object], ...] = (read_material, ocr_page, classify_document, bind_case)


def declare_actors(broker: dramatiq.Broker, queue: str = QUEUE) -> None:
    for fn in ACTORS:
        dramatiq.actor(actor_name=fn.__name__, queue_name=queue, broker=broker)(fn)
