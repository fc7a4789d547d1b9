"""The in-process runner: a case's materials in, a signed dossier version out, in this process.

It only orders the steps of ``steps.py`` and runs each through the hooks:
every input is read first (bad input stops here, nothing stored), each page
cleaned up and OCRed on the other cores as soon as it is read
(``page_flow.read_overlapped``), then each file classified, the new documents
bound, signed and published.  ``edossier process``, ``scan``,
``watch`` and web submission all run cases through ``process_case``.
It does not retry: the clerk sees the error at once, and rerunning the same
command resumes (everything done is named by content hash and reused).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from edossier.bind.assemble import CoverFacts
from edossier.casenumber import CaseNumber
from edossier.config import Settings
from edossier.errors import StageError
from edossier.ocr import OcrEngine, cpu_count, create_engine
from edossier.pipeline import steps
from edossier.pipeline.hooks import Audit, Hook, Progress, StepRun, Timing, run_step
from edossier.pipeline.page_flow import read_overlapped
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
    """Read every input first (bad input stops here, nothing stored), then classify, bind, sign, publish.

    Pages are cleaned up and OCRed while the next ones are read; an input that
    cannot be read still stops the run before anything is stored, and the OCR
    already done is only in the work folder's cache (by page hash), for the rerun.

    COVER: the facts a court stated at registration, for a first version's cover.
    """
    case = CaseNumber.parse(case_text)
    store = store or open_store(settings.store_uri, settings.storage)
    ctx = CaseContext.open(case, settings, store)
    hooks: list[Hook] = [Timing(), Audit(), *([Progress(progress)] if progress else [])]

    def run(step: str, what: str) -> StepRun:
        return StepRun(step, case.normalized, what, store, settings.user)

    engine = engine or create_engine(settings.ocr)  # its models load on another core while the first page is read
    known = ctx.known_sources

    def read(material: Material, each: Callable[[SourceFile, Page], None]) -> tuple[SourceFile, list[Page]]:
        source, pages = run_step(hooks, run("read", material.path.name), steps.read, material, settings,
                                 settings.work_dir, password, each)
        if warn and (removed := steps.removed_content(source, pages)):
            warn(removed)
        return source, pages

    def clean_up(material: Material, page: Page) -> Page:
        if page.source_sha256 in known:
            return page  # in the case already: bound from its earlier version, its pages not cleaned up again
        return run_step(hooks, run("clean up", f"page {page.index + 1} of {material.path.name}"), steps.clean_up_page,
                        page, settings, settings.work_dir, material.page_flags)

    def ocr(source: SourceFile, page: Page) -> OcrPage | None:
        if source.sha256 in known:
            return None  # in the case already: bound from its earlier version, not read again
        try:
            return run_step(hooks, run("ocr", f"page {page.index + 1} of {source.path.name}"), steps.ocr, ctx, page,
                            source, engine)
        except StageError as exc:
            raise StageError(f"{source.path}: {exc}") from exc

    # Every input is read before anything is stored; each page is cleaned up and OCRed as soon as it is read.
    read_files = read_overlapped(materials, read, clean_up, ocr, settings.ocr.jobs or cpu_count())
    fresh = [file for file in read_files if file.source.sha256 not in known]
    if ctx.previous and not fresh:
        return steps.summary_of(ctx.previous)

    documents = []
    for file in fresh:
        documents.extend(run_step(hooks, run("classify", file.source.path.name), steps.classify, ctx, file.source,
                                  file.pages, file.ocr, file.material.title))
    sources = [file.source for file in fresh]
    with tempfile.TemporaryDirectory(dir=settings.work_dir) as tmp:
        journal = steps.FileJournal(settings.work_dir)
        bound = run_step(hooks, run("bind", f"version {ctx.version}"), steps.bind, ctx, documents, sources, Path(tmp),
                         journal, cover)
        signed = run_step(hooks, run("sign", f"version {ctx.version}"), steps.sign, ctx, bound)
        published = run_step(hooks, run("publish", f"version {ctx.version}"), steps.publish, ctx, signed,
                             engine.cache_key(), journal)
    return published.summary

