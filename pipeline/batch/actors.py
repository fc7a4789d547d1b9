"""The batch steps as dramatiq actors: read a material, OCR a page, classify a document, bind a case.

Each actor is a thin shell around the step functions of ``pipeline/process.py``
(one function serves ``edossier process`` and every batch worker).  Messages
carry references only (state URI, batch id, case number, material and page
numbers); bytes travel through the store, under the same content-addressed keys
the published version uses, so a redone step seals nothing new.  Each step first
asks the state whether it is already done, and the last page of a document or
the last document of a case triggers the next step through a claim that only one
message wins.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any

import dramatiq
from dramatiq.middleware import CurrentMessage

from edossier.casenumber import CaseNumber
from edossier.config import Settings, load_settings, with_shared
from edossier.errors import ImmutableObjectError, StageError
from edossier.ocr import OcrEngine, create_engine
from edossier.pipeline import process
from edossier.pipeline.batch.state import BatchState, open_state
from edossier.storage import Store, open_store
from edossier.storage import layout
from edossier.storage.manifest import latest_version
from edossier.types import Document, OcrPage, Page, SourceFile

QUEUE = "edossier-batch"
BIND_LEASE_S = 900.0


class BindingInProgress(StageError):
    """Another worker holds this case's binding lease; retried with backoff until it finishes or lapses."""


@dataclass(frozen=True)
class BatchContext:
    state: BatchState
    batch: str
    source: Path
    settings: Settings
    store: Store
    engine: OcrEngine

    @property
    def work_dir(self) -> Path:
        return self.settings.work_dir


_CONTEXT_LOCK = threading.Lock()


@cache
def _context(state_uri: str, batch: str) -> BatchContext:
    state = open_state(state_uri)
    source, recorded = state.batch(batch)
    # The batch's shared settings over this machine's own: its secrets, credentials and data folder stay its own.
    settings = with_shared(load_settings(), recorded["settings"])
    # One page at a time on one thread, whatever the machine that started the batch had: see run_worker.
    settings = settings.model_copy(update={"ocr": settings.ocr.model_copy(update={"jobs": 1, "threads": 1})})
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    return BatchContext(state, batch, source, settings, open_store(recorded["store_uri"], settings.storage), create_engine(settings.ocr))


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


def _local_page(ctx: BatchContext, case: CaseNumber, page: Page) -> Page:
    """The page with its image in this machine's work folder, fetched from the store if another machine read it."""
    if page.kind != "raster":
        return page
    local = ctx.work_dir / "pages" / f"{page.sha256}.png"
    if not local.exists():
        local.parent.mkdir(parents=True, exist_ok=True)
        ctx.store.get_file(layout.page_key(case, page.sha256), local)
    return page.model_copy(update={"image": local, "recognition_image": local})


# -- steps --------------------------------------------------------------


def read_step(state_uri: str, batch: str, case_no: str, idx: int) -> None:
    """Intake of one material: original and page images sealed in the store, pages recorded, OCR sent."""
    ctx = context(state_uri, batch)
    if ctx.state.case_state(batch, case_no) != "pending":
        return
    record = ctx.state.material(batch, case_no, idx)
    case = CaseNumber.parse(case_no)
    if record.pages is None:
        material = process.Material(path=ctx.source / record.path, declared_type=record.declared_type)
        source, pages = process.read_material(material, ctx.settings, ctx.work_dir, None)
        ctx.store.put_file(layout.original_key(case, source.sha256, source.path.suffix), source.path)
        for page in pages:
            if page.image is not None:
                ctx.store.put_file(layout.page_key(case, page.sha256), page.image)
        ctx.state.record_pages(batch, case_no, idx, source, pages)
    for page_no in ctx.state.undone_pages(batch, case_no, idx):
        _send("ocr_page", state_uri, batch, case_no, idx, page_no)
    _after_page(ctx, case_no, idx)


def ocr_step(state_uri: str, batch: str, case_no: str, idx: int, page_no: int) -> None:
    """OCR one page; the result is sealed at its final key, so publishing it later is free."""
    ctx = context(state_uri, batch)
    if ctx.state.case_state(batch, case_no) == "failed":
        return  # another file of the case cannot be read: the case will not be bound, spare the OCR
    if ctx.state.page_ocr_key(batch, case_no, idx, page_no) is None:
        case = CaseNumber.parse(case_no)
        pages = ctx.state.material(batch, case_no, idx).pages or ()
        page = _local_page(ctx, case, pages[page_no])
        [result] = process.ocr_pages([page], ctx.engine, ctx.work_dir, jobs=1,
                                     then=partial(process.encode_for_binding, settings=ctx.settings))
        key = None  # a blank page: flagged and bound, nothing to read
        if result is not None:
            key = layout.ocr_key(case, page.sha256, f"{result.engine}-{result.engine_version}")
            try:
                ctx.store.put_bytes(key, result.model_dump_json().encode())
            except ImmutableObjectError:
                pass  # an earlier attempt sealed its reading first: that one is the page's OCR from now on
        ctx.state.page_done(batch, case_no, idx, page_no, key)
    _after_page(ctx, case_no, idx)


def classify_step(state_uri: str, batch: str, case_no: str, idx: int) -> None:
    """One material becomes one document, classified from its OCR text."""
    ctx = context(state_uri, batch)
    record = ctx.state.material(batch, case_no, idx)
    if record.document is None:
        if record.source is None or record.pages is None:
            raise StageError(f"case {case_no}: material {idx} classified before it was read")
        ocr: list[OcrPage | None] = []
        for page in record.pages:
            key = ctx.state.page_ocr_key(batch, case_no, idx, page.index) if page.kind == "raster" else None
            ocr.append(OcrPage.model_validate_json(ctx.store.get_bytes(key)) if key else None)
        document = process.make_document(record.source, record.pages, ocr, ctx.settings)
        ctx.state.set_document(batch, case_no, idx, document.model_dump_json())
    if ctx.state.claim_bind(batch, case_no, _message_id()):
        _send("bind_case", state_uri, batch, case_no)


def bind_step(state_uri: str, batch: str, case_no: str) -> dict[str, Any] | None:
    """Bind, sign and publish the case once, under a lease.

    A binder killed before the manifest leaves at most sealed objects no manifest names (the PDF is
    named by its content, so the next binder's PDF does not collide with it); the version number is
    fixed in the state, so the retry publishes the same version.
    """
    ctx = context(state_uri, batch)
    if ctx.state.case_state(batch, case_no) != "pending":
        return None
    if not ctx.state.take_lease(batch, case_no, _message_id(), BIND_LEASE_S):
        raise BindingInProgress(f"case {case_no}: being bound by another worker")
    case = CaseNumber.parse(case_no)
    version = ctx.state.case_version(batch, case_no, latest_version(ctx.store, case) + 1)
    records = ctx.state.materials(batch, case_no)
    sources = [_local_source(ctx, case, r.source) for r in records if r.source]
    if latest_version(ctx.store, case) < version:  # else: published, then killed before recording it
        new_docs = process.fetch_documents(
            ctx.store, case, [Document.model_validate_json(r.document) for r in records if r.document], ctx.work_dir
        )
        if not process.bind_and_publish(ctx.store, case, version, new_docs, sources, ctx.settings,
                                        ctx.engine.cache_key(), [r.path for r in records], batch=batch):
            ctx.state.finish_case(batch, case_no)
            return None  # every file was in the case's last version already: nothing to publish
    if not ctx.state.finish_case(batch, case_no):
        return None
    event = process.publication_event(process._summary(ctx.store, case, version), sources)
    return event | {"detail": event["detail"] | {"batch": batch}}


def _local_source(ctx: BatchContext, case: CaseNumber, source: SourceFile) -> SourceFile:
    """The original as a local file (its bytes are in the store since intake), for publishing."""
    if source.path.exists():
        return source
    local = ctx.work_dir / "originals" / f"{source.sha256}{source.path.suffix}"
    if not local.exists():
        local.parent.mkdir(parents=True, exist_ok=True)
        ctx.store.get_file(layout.original_key(case, source.sha256, source.path.suffix), local)
    return source.model_copy(update={"path": local})


def _after_page(ctx: BatchContext, case_no: str, idx: int) -> None:
    if ctx.state.claim_classify(ctx.batch, case_no, idx, _message_id()):
        _send("classify_document", ctx.state.uri, ctx.batch, case_no, idx)


STEPS = {
    "read_material": read_step,
    "ocr_page": ocr_step,
    "classify_document": classify_step,
    "bind_case": bind_step,
}


def declare_actors(broker: dramatiq.Broker) -> None:
    for name, fn in STEPS.items():
        dramatiq.actor(fn, actor_name=name, queue_name=QUEUE, broker=broker)
