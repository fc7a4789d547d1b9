"""The in-process runner: a case's materials in, a signed dossier version out, in this process.

It only orders the steps of ``steps.py`` and runs each through the hooks:
every input is read and cleaned up first (bad input stops here, nothing
stored), then pages are OCRed in parallel, each file classified, the new
documents bound, signed and published.  ``edossier process``, ``scan``,
``watch`` and web submission all run cases through ``process_case``.
It does not retry: the clerk sees the error at once, and rerunning the same
command resumes (everything done is named by content hash and reused).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from edossier.bind.assemble import CoverFacts
from edossier.casenumber import CaseNumber
from edossier.config import Settings
from edossier.errors import StageError
from edossier.ocr import OcrEngine, cpu_count, create_engine
from edossier.pipeline import steps
from edossier.pipeline.hooks import Audit, Hook, Progress, StepRun, Timing, run_step
from edossier.pipeline.steps import (  # re-exported: web/, bench/ and tests import them from the runner
    CaseContext,
    Material,
    bind_and_sign,
    make_document,
    publish_version,
    read_material,
    trust_roots,
    volume_key,
)
from edossier.storage import Store, open_store
from edossier.types import DossierVersion, OcrPage, Page, SourceFile

__all__ = ["Material", "bind_and_sign", "make_document", "process_case", "publish_version", "read_material",
           "trust_roots", "volume_key"]

Say = Callable[[str], None]


def process_case(
    materials: Sequence[Material],
    case_text: str,
    settings: Settings,
    *,
    store: Store | None = None,
    password: str | None = None,
    progress: Say | None = None,
    warn: Say | None = None,
    engine: OcrEngine | None = None,
    cover: CoverFacts = CoverFacts(),
) -> DossierVersion:
    """Read every input first (bad input stops here, nothing stored), then OCR, classify, bind, sign, publish.

    COVER: the facts a court stated at registration, for a first version's cover.
    """
    case = CaseNumber.parse(case_text)
    store = store or open_store(settings.store_uri, settings.storage)
    ctx = CaseContext.open(case, settings, store)
    hooks: list[Hook] = [Timing(), Audit(), *([Progress(progress)] if progress else [])]

    def run(step: str, what: str) -> StepRun:
        return StepRun(step, case.normalized, what, store, settings.user)

    engine = engine or create_engine(settings.ocr)  # its models load on another core while the inputs are read
    read = []
    for material in materials:
        source, pages = run_step(hooks, run("read", material.path.name), steps.read, material, settings,
                                 settings.work_dir, password)
        pages = run_step(hooks, run("clean up", material.path.name), steps.clean_up, pages, settings,
                         settings.work_dir, material.page_flags)
        if warn and (removed := steps.removed_content(source, pages)):
            warn(removed)
        read.append((material, source, pages))
    fresh = [(m, src, pages) for m, src, pages in read if src.sha256 not in ctx.known_sources]
    if ctx.previous and not fresh:
        return steps.summary_of(ctx.previous)

    documents = []
    for material, source, pages in fresh:
        ocr = _ocr(hooks, run, ctx, source, pages, engine)
        documents.extend(run_step(hooks, run("classify", source.path.name), steps.classify, ctx, source, pages, ocr,
                                  material.title))
    sources = [src for _, src, _ in fresh]
    with tempfile.TemporaryDirectory(dir=settings.work_dir) as tmp:
        journal = steps.FileJournal(settings.work_dir)
        bound = run_step(hooks, run("bind", f"version {ctx.version}"), steps.bind, ctx, documents, sources, Path(tmp),
                         journal, cover)
        signed = run_step(hooks, run("sign", f"version {ctx.version}"), steps.sign, ctx, bound)
        published = run_step(hooks, run("publish", f"version {ctx.version}"), steps.publish, ctx, signed,
                             engine.cache_key(), journal)
    return published.summary


def _ocr(
    hooks: Sequence[Hook],
    run: Callable[[str, str], StepRun],
    ctx: CaseContext,
    source: SourceFile,
    pages: Sequence[Page],
    engine: OcrEngine,
) -> list[OcrPage | None]:
    """The OCR step on every page of one file, as many at once as the settings allow."""

    def one(page: Page) -> OcrPage | None:
        return run_step(hooks, run("ocr", f"page {page.index + 1} of {source.path.name}"), steps.ocr, ctx, page,
                        source, engine)

    try:
        with ThreadPoolExecutor(max_workers=max(1, ctx.settings.ocr.jobs or cpu_count())) as pool:
            return list(pool.map(one, pages))
    except StageError as exc:
        raise StageError(f"{source.path}: {exc}") from exc
