"""Catalogue corrections (编目更正): a clerk splits, merges, retitles, retypes or moves documents of a published dossier.

Cataloguing by content (pipeline/cataloguing.py) is sometimes wrong or unsure;
a clerk sets it right from ``edossier catalogue`` or the web reader.  Each
correction is a new signed version, like any other: the dossier grows and
nothing is rewritten.  No page is bound again, since the pages are sealed
where earlier versions put them and the store keeps them by hash: the volume
concerned gets a correction sheet (bind/correction.py) and an outline whose
bookmarks name the documents as corrected, and the manifest lists the
corrected catalogue and documents.  The other volume keeps its bytes.

Moving a paper between the volumes (``move``) binds pages again, because the
副卷 is the court's own and the 正卷 is what parties and their lawyers read:

- 副卷 → 正卷: the document's pages are bound into the 正卷 as an addition, and
  the 副卷, which keeps them (it is internal), gets a correction sheet whose row
  marks the document moved (``DocumentEntry.moved_to``).
- 正卷 → 副卷: every version's 正卷 begins with the previous one's bytes, so an
  addition would leave the pages inside what a lawyer downloads.  The 正卷 is
  bound anew without them (a fresh signed volume, renumbered), and the pages are
  added to the 副卷.  The manifest's provenance (``rebound``) says which version
  it replaces, why, and which earlier versions' 正卷 hold the moved pages: those
  stay in the write-once store for the court, but the reader no longer serves
  them, nor their search hits, to anyone outside the court (web/volumes.py
  ``withheld_from_parties``); ``verify --case`` accepts the new start there.

The version runs through the same ``sign`` and ``publish`` steps and hooks as
``process``; its audit entry (``recatalogue``) names the user, the action and
the documents.  Each correction is also sealed in the store as training data
(storage/corrections.py): a type a clerk set is an example for
``train-classifier``; a boundary a clerk drew or removed is a stack for the
boundary model (``boundary_samples``, read by ``python -m bench.stacks train``).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from edossier.bind.assemble import Continuation, DossierMetadata
from edossier.bind.correction import assemble_correction, corrected_outline
from edossier.bind.front_matter import CatalogueRow
from edossier.bind.pdfa import page_count
from edossier.bind.volumes import VOLUME_NAMES, VOLUMES, Volume, volume_file_name
from edossier.casenumber import CaseNumber
from edossier.classify.cataloguing import find_author, find_date, find_title
from edossier.classify.doctypes import load_doctypes
from edossier.classify.page_reading import read_page
from edossier.config import Settings
from edossier.errors import EdossierError, ExitCode, ImmutableObjectError, NotFoundError
from edossier.pipeline import steps
from edossier.pipeline.hooks import Audit, AuditEvent, Hook, StepRun, Timing, run_step
from edossier.pipeline.steps import Binding, BoundVolume, CaseContext, PreviousVolume, SignedVolume
from edossier.storage import Store, open_store
from edossier.storage.corrections import list_corrections, put_correction
from edossier.storage.manifest import latest_version, published_versions, read_manifest
from edossier.storage.manifest import Manifest
from edossier.types import (
    Classification,
    Document,
    DocumentEntry,
    DossierVersion,
    OcrPage,
    Page,
    SourceFile,
    needs_review,
)

Action = Literal["split", "merge", "retitle", "move"]
CLERK = "clerk"
"""how a document a clerk has cut or named is marked (``Classification.method``)."""


class CorrectionRefused(EdossierError):
    """A correction that cannot be made as asked; CHINESE says why to the clerk in the reader."""

    exit_code = ExitCode.bad_argument

    def __init__(self, message: str, chinese: str) -> None:
        super().__init__(message)
        self.chinese = chinese


@dataclass(frozen=True)
class Correction:
    """What the clerk asks for.  DOCUMENT is the 1-based position in the version's catalogue (正卷 first, then
    副卷, as ``edossier catalogue`` lists it); PAGE (split) is the volume page, as stamped on the sheet, that starts
    the new document; TITLE and TYPE (retitle) are the document's corrected title and type, either may stay;
    ``move`` takes the document to the other volume."""

    action: Action
    document: int
    page: int | None = None
    title: str | None = None
    type: str | None = None


@dataclass(frozen=True)
class Plan:
    """The corrected version before it is bound: every document and entry, and what the correction sheet says."""

    volume: Volume
    documents: tuple[Document, ...]
    entries: tuple[DocumentEntry, ...]
    changed: tuple[int, ...]
    """0-based positions in the new catalogue of the documents the correction made or changed."""
    rows_remark: str
    what: tuple[str, ...]
    detail: dict[str, Any]
    training: dict[str, Any] = field(default_factory=dict)
    move_to: Volume | None = None
    """a move: the volume the document goes to (VOLUME is the one it leaves)."""
    sheet: tuple[int, ...] | None = None
    """0-based positions of the rows the correction sheet lists (None: CHANGED)."""


@dataclass(frozen=True)
class Corrected:
    """The published correction: the new version, and the audit event the Audit hook records."""

    summary: DossierVersion
    event: AuditEvent
    changed: tuple[int, ...]
    """1-based catalogue positions of the corrected documents in the new version."""


def correct_catalogue(
    case_text: str,
    correction: Correction,
    settings: Settings,
    *,
    store: Store | None = None,
    seen_version: int | None = None,
) -> Corrected:
    """Publish CORRECTION of CASE's latest version as its next version, acting as ``settings.user``.

    SEEN_VERSION: the version the clerk looked at (the reader); a newer one refuses the correction.
    """
    case = CaseNumber.parse(case_text)
    store = store or open_store(settings.store_uri, settings.storage)
    ctx = CaseContext.open(case, settings, store)
    previous = ctx.previous
    if previous is None:
        raise NotFoundError(f"case {case}: no dossier to correct")
    if seen_version is not None and seen_version != previous.version:
        raise CorrectionRefused(f"case {case}: version {previous.version} is the latest, not {seen_version}",
                                f"卷宗已有第{previous.version}版，请打开最新版本后再更正")
    if previous.provenance.get("archived"):
        raise CorrectionRefused(f"case {case}: version {previous.version} is archived",
                                "卷宗已归档，编目不能再更正")
    entries = [DocumentEntry.model_validate(e) for e in previous.catalogue]
    plan = plan_correction(correction, ctx.previous_documents, entries, settings)
    hooks: list[Hook] = [Timing(), Audit()]

    def run(step: str) -> StepRun:
        return StepRun(step, case.normalized, f"version {ctx.version} ({correction.action})", store, settings.user)

    with tempfile.TemporaryDirectory(dir=settings.work_dir) as tmp:
        journal = steps.FileJournal(settings.work_dir)
        bound = run_step(hooks, run("bind"), bind_correction, ctx, plan, Path(tmp), journal)
        signed = run_step(hooks, run("sign"), steps.sign, ctx, bound)
        try:
            return run_step(hooks, run("publish"), publish_correction, ctx, signed, plan, journal)
        except ImmutableObjectError as exc:
            # another version (a submission, another clerk) took the number meanwhile: the clerk's numbers and
            # pages were those of the version before it, so the correction is not made on the new one blindly
            latest = latest_version(store, case)
            if latest == previous.version:
                raise
            raise CorrectionRefused(f"case {case}: version {latest} was published meanwhile ({exc})",
                                    f"卷宗刚生成了第{latest}版，请打开最新版本后再更正") from exc


def plan_correction(
    correction: Correction, documents: Sequence[Document], entries: Sequence[DocumentEntry], settings: Settings
) -> Plan:
    """The version's DOCUMENTS and ENTRIES as CORRECTION leaves them (refused when it cannot be made)."""
    if len(documents) != len(entries):
        raise CorrectionRefused("the manifest's documents and catalogue differ in length", "卷宗目录与文件不一致，无法更正")
    n = correction.document
    if not 1 <= n <= len(documents):
        raise CorrectionRefused(f"no document {n} (the catalogue has 1-{len(documents)})",
                                f"目录中没有第{n}件（共{len(documents)}件）")
    i = n - 1
    number = _in_volume(documents, i)
    if correction.action == "split":
        return _split(correction, documents, entries, i, number, settings)
    if correction.action == "merge":
        return _merge(documents, entries, i, number)
    if correction.action == "move":
        return _move(documents, entries, i, number)
    return _retitle(correction, documents, entries, i, number)


def _split(correction: Correction, documents: Sequence[Document], entries: Sequence[DocumentEntry], i: int,
           number: int, settings: Settings) -> Plan:
    doc, entry = documents[i], entries[i]
    page = correction.page
    if page is None or not entry.first_page < page <= entry.last_page:
        where = f"第{entry.first_page}页" if entry.first_page == entry.last_page else \
            f"第{entry.first_page}–{entry.last_page}页"
        raise CorrectionRefused(
            f"document {i + 1} covers pages {entry.first_page}-{entry.last_page}: cannot split at page {page}",
            f"第{i + 1}件在{where}，拆分页须在其首页之后、末页之内")
    cut = page - entry.first_page
    ocr = _ocr(doc)
    head = _described(doc, doc.pages[:cut], ocr[:cut], settings, keep=True)
    tail = _described(doc, doc.pages[cut:], ocr[cut:], settings, keep=False)
    remark = f"由原第{number}件拆分"
    first = _entry(head, entry.first_page, page - 1, entry.volume, remark)
    second = _entry(tail, page, entry.last_page, entry.volume, remark)
    return Plan(
        volume=doc.volume,
        documents=(*documents[:i], head, tail, *documents[i + 1:]),
        entries=(*entries[:i], first, second, *entries[i + 1:]),
        changed=(i, i + 1),
        rows_remark=remark,
        what=(f"拆分：原第{number}件自卷内第{page}页起分为第{number}、{number + 1}件，", "其后各件序号顺延。"),
        detail={"action": "split", "document": i + 1, "page": page, "title": doc.title,
                "documents": [head.title, tail.title]},
        training={"pages": _training_pages(doc.pages, ocr), "starts": [cut]},
    )


def _merge(documents: Sequence[Document], entries: Sequence[DocumentEntry], i: int, number: int) -> Plan:
    if i + 1 >= len(documents) or documents[i + 1].volume != documents[i].volume:
        raise CorrectionRefused(f"document {i + 1} is the last of its volume: nothing to merge it with",
                                f"第{i + 1}件是本卷最后一件，没有可与之合并的下一件")
    doc, after = documents[i], documents[i + 1]
    entry, following = entries[i], entries[i + 1]
    if following.first_page != entry.last_page + 1:
        raise CorrectionRefused(
            f"documents {i + 1} and {i + 2} are not bound next to each other (pages {entry.last_page}, "
            f"{following.first_page})",
            f"第{i + 1}件与第{i + 2}件之间隔有目录或备考表（分属不同版本装订），不能合并")
    if doc.source_sha256 != after.source_sha256:
        raise CorrectionRefused(f"documents {i + 1} and {i + 2} come from different input files",
                                f"第{i + 1}件与第{i + 2}件来自不同的原始文件，不能合并")
    ocr = (*_ocr(doc), *_ocr(after))
    pages = (*doc.pages, *after.pages)
    readings = [read_page(o, p.text) for p, o in zip(pages, ocr, strict=True)]
    date, author = find_date(readings), find_author(readings)
    merged = doc.model_copy(update={
        "pages": pages, "ocr": ocr, "date": date.value, "author": author.value, "boundary_confidence": 1.0,
        "found_confidence": {**doc.found_confidence, "date": date.confidence, "author": author.confidence},
        "remark": "",
    })
    remark = f"由原第{number}、{number + 1}件合并"
    return Plan(
        volume=doc.volume,
        documents=(*documents[:i], merged, *documents[i + 2:]),
        entries=(*entries[:i], _entry(merged, entry.first_page, following.last_page, entry.volume, remark),
                 *entries[i + 2:]),
        changed=(i,),
        rows_remark=remark,
        what=(f"合并：原第{number}、{number + 1}件合为第{number}件，", "其后各件序号依次提前。"),
        detail={"action": "merge", "document": i + 1, "documents": [doc.title, after.title], "title": merged.title},
        training={"pages": _training_pages(pages, ocr), "starts": []},
    )


def _retitle(correction: Correction, documents: Sequence[Document], entries: Sequence[DocumentEntry], i: int,
             number: int) -> Plan:
    doc, entry = documents[i], entries[i]
    title = (correction.title or "").strip() or doc.title
    label = (correction.type or "").strip() or doc.classification.type
    if len(title) > 80:
        raise CorrectionRefused("a title has at most 80 characters", "题名不能超过80个字")
    known = {t.label: "secondary" if t.volume == "secondary" else "main" for t in load_doctypes()}
    if label not in known:
        raise CorrectionRefused(f"unknown document type {label!r}", f"未知的文书类型“{label}”")
    volume = known[label]
    if volume != doc.volume:
        raise CorrectionRefused(
            f"type {label} belongs to the other volume; its pages are sealed in this one",
            f"“{label}”属于{VOLUME_NAMES[volume]}，而本件已装订在{VOLUME_NAMES[doc.volume]}，不能在此改类型")
    if title == doc.title and label == doc.classification.type:
        raise CorrectionRefused("the title and type are unchanged", "题名与类型均未改变，无需更正")
    retyped = label != doc.classification.type
    classification = Classification(type=label, confidence=1.0, needs_review=False, method=CLERK, title=title) \
        if retyped else doc.classification
    fixed = doc.model_copy(update={"title": title, "classification": classification})
    remark = "；".join(filter(None, [f"原题名：{doc.title}" if title != doc.title else "",
                                    f"原类型：{doc.classification.type}" if retyped else ""]))
    training = {"text": doc.text, "old_type": doc.classification.type, "new_type": label} if retyped else {}
    return Plan(
        volume=doc.volume,
        documents=(*documents[:i], fixed, *documents[i + 1:]),
        entries=(*entries[:i], _entry(fixed, entry.first_page, entry.last_page, entry.volume, remark), *entries[i + 1:]),
        changed=(i,),
        rows_remark=remark,
        what=(f"更正第{number}件的{'题名与类型' if retyped and title != doc.title else '类型' if retyped else '题名'}。",),
        detail={"action": "retitle", "document": i + 1, "old_title": doc.title, "title": title,
                "old_type": doc.classification.type, "type": label},
        training=training,
    )


def _move(documents: Sequence[Document], entries: Sequence[DocumentEntry], i: int, number: int) -> Plan:
    """Document I to the other volume: at the end of it (an addition); the 副卷 keeps its row, marked moved."""
    doc, entry = documents[i], entries[i]
    leaves: Volume = doc.volume
    goes: Volume = "secondary" if leaves == "main" else "main"
    if entry.moved_to is not None:
        raise CorrectionRefused(f"document {i + 1} was moved to the {entry.moved_to} volume already",
                                f"第{i + 1}件已移入{VOLUME_NAMES[entry.moved_to]}，此处仅为记录")
    source, target = VOLUME_NAMES[leaves], VOLUME_NAMES[goes]
    sheet: tuple[int, ...] | None = None
    moved = doc.model_copy(update={"volume": goes, "remark": f"由{source}第{number}件移入"})
    if leaves == "main":  # the 正卷 is bound anew without it
        kept = [d for n, d in enumerate(documents) if n != i]
        new_documents = (*[d for d in kept if d.volume == "main"], *[d for d in kept if d.volume == "secondary"], moved)
        new_entries = tuple(e for n, e in enumerate(entries) if n != i and e.volume == "main") + tuple(
            e for e in entries if e.volume == "secondary") + (_entry(moved, 0, 0, goes, moved.remark),)
        what: tuple[str, ...] = (f"移卷：原正卷第{number}件移入副卷，正卷重新装订，不含该件。",)
    else:  # added to the 正卷; the 副卷 keeps its pages and marks the row
        marked = entry.model_copy(update={"moved_to": goes, "remark": f"已移入{target}"})
        new_documents = (*[d for d in documents if d.volume == "main"], moved,
                         *[d for d in documents if d.volume == "secondary"])
        new_entries = (*[e for e in entries if e.volume == "main"], _entry(moved, 0, 0, goes, moved.remark),
                       *[marked if e is entry else e for e in entries if e.volume == "secondary"])
        sheet = (new_entries.index(marked),)
        what = (f"移卷：原副卷第{number}件移入正卷（装订于正卷之末），", "其页仍保留于副卷，本目录注明已移出。")
    return Plan(
        volume=leaves,
        documents=new_documents,
        entries=new_entries,
        changed=(next(n for n, d in enumerate(new_documents) if d is moved),),
        rows_remark=f"已移入{target}",
        what=what,
        detail={"action": "move", "document": i + 1, "title": doc.title, "from": leaves, "to": goes},
        move_to=goes,
        sheet=sheet,
    )


def volume_types(volume: str) -> list[str]:
    """The types a document bound in VOLUME may be given: those of its own volume (classify/doctypes.toml)."""
    return [t.label for t in load_doctypes() if ("secondary" if t.volume == "secondary" else "main") == volume]


def _ocr(doc: Document) -> tuple[OcrPage | None, ...]:
    return doc.ocr or (None,) * len(doc.pages)


def _described(doc: Document, pages: Sequence[Page], ocr: Sequence[OcrPage | None], settings: Settings,
               keep: bool) -> Document:
    """DOC cut down to PAGES: its date and 责任者 read again; title and type kept (KEEP) or read from the pages.

    A part the clerk cut off is typed and titled as cataloguing would have done it
    (classifier, printed title), so it may still need review; its boundary is sure.
    """
    readings = [read_page(o, p.text) for p, o in zip(pages, ocr, strict=True)]
    date, author = find_date(readings), find_author(readings)
    found = dict(doc.found_confidence) | {"date": date.confidence, "author": author.confidence}
    update: dict[str, Any] = {"pages": tuple(pages), "ocr": tuple(ocr), "date": date.value, "author": author.value,
                              "boundary_confidence": 1.0, "remark": ""}
    if not keep:
        classification = steps.classify_document("\n".join(r.text for r in readings), None, settings)
        title = find_title(readings, classification)
        found["title"] = title.confidence
        update |= {"classification": classification, "title": title.value or classification.type}
    return doc.model_copy(update=update | {"found_confidence": found})


def _entry(doc: Document, first: int, last: int, volume: Volume, remark: str) -> DocumentEntry:
    return DocumentEntry(title=doc.title, type=doc.classification.type, confidence=round(doc.classification.confidence, 3),
                         first_page=first, last_page=last, needs_review=doc.classification.needs_review,
                         volume=volume, remark=remark)


def _in_volume(documents: Sequence[Document], i: int) -> int:
    """The number document I has in its volume's printed catalogue (each volume numbers from 1)."""
    return sum(1 for d in documents[:i] if d.volume == documents[i].volume) + 1


def _training_pages(pages: Sequence[Page], ocr: Sequence[OcrPage | None]) -> list[dict[str, Any]]:
    return [{"text": p.text, "ocr": o.model_dump(mode="json") if o else None} for p, o in zip(pages, ocr, strict=True)]


# -- the steps ---------------------------------------------------------------------


def bind_correction(ctx: CaseContext, plan: Plan, out_dir: Path, journal: steps.Journal | None = None) -> Binding:
    """The correction sheet as an addition to the corrected volume (unsigned); the other volume as it is.

    The same correction by the same clerk that the JOURNAL says was signed and
    sealed for this version already (a correction cut short before its manifest)
    takes that PDF back from the store: signed again it would differ, and the
    first would stay in the write-once store named by no version.
    """
    if ctx.previous is None:
        raise NotFoundError(f"case {ctx.case}: no dossier to correct")
    before = [DocumentEntry.model_validate(e) for e in ctx.previous.catalogue]
    made: dict[str, object] = {"correction": plan.detail}
    sealed = journal.signed_volumes(ctx.case, ctx.version) if journal else {}
    if plan.move_to is not None:
        return _bound_move(ctx, plan, before, out_dir, sealed)
    volumes: list[BoundVolume | SignedVolume] = []
    for volume in VOLUMES:
        earlier = tuple(e for e in before if e.volume == volume)
        if volume == plan.volume and (noted := steps.sealed_before(ctx, sealed.get(volume), volume, out_dir,
                                                                   documents=[], provenance=made,
                                                                   user=ctx.settings.user)):
            volumes.append(noted)
            continue
        previous = steps.previous_volume(ctx, volume, earlier, out_dir)
        if previous is None:
            continue
        if volume != plan.volume:
            volumes.append(SignedVolume(volume, previous.pdf, earlier))  # unchanged: the same bytes again
            continue
        volumes.append(_bound_sheet(ctx, plan, previous, out_dir))
    return Binding(plan.documents, (), tuple(volumes), provenance=made)


def _bound_move(ctx: CaseContext, plan: Plan, before: Sequence[DocumentEntry], out_dir: Path,
                sealed: dict[str, dict[str, Any]]) -> Binding:
    """A move's volumes: the moved pages added to the volume they go to; the 副卷 they leave gets a correction
    sheet, the 正卷 they leave is bound anew without them (see the module's docstring)."""
    assert ctx.previous is not None and plan.move_to is not None
    moved = plan.documents[plan.changed[0]]
    made: dict[str, object] = {"correction": plan.detail}
    if plan.volume == "main":
        made["rebound"] = {"main": {
            "replaces_version": ctx.previous.version,
            "reason": f"《{moved.title}》移入副卷：正卷重新装订，不含其页；此前含其页的正卷版本不再向诉讼参与人提供",
            "withheld_from_parties": _versions_holding(ctx, moved),
        }}
    volumes: list[BoundVolume | SignedVolume] = []
    for volume in VOLUMES:
        noted = steps.sealed_before(ctx, sealed.get(volume), volume, out_dir, documents=[], provenance=made,
                                    user=ctx.settings.user)
        earlier = tuple(e for e in before if e.volume == volume)
        if noted is not None:
            volumes.append(noted)
        elif volume == plan.move_to:
            previous = steps.previous_volume(ctx, volume, earlier, out_dir)
            volumes.append(steps.bind_volume([_local(ctx, moved)], ctx.case, ctx.version, ctx.settings, out_dir,
                                             previous))
        elif volume == "main":  # the 正卷 it leaves, bound anew: its rows as printed become the documents' remarks
            leaving = plan.detail["document"] - 1
            kept = [_local(ctx, d.model_copy(update={"remark": e.remark}))
                    for n, (d, e) in enumerate(zip(ctx.previous_documents, before, strict=True))
                    if e.volume == "main" and n != leaving]
            if kept:
                volumes.append(steps.bind_volume(kept, ctx.case, ctx.version, ctx.settings, out_dir))
        elif previous := steps.previous_volume(ctx, volume, earlier, out_dir):  # the 副卷 it leaves keeps its pages
            volumes.append(_bound_sheet(ctx, plan, previous, out_dir))
    return Binding(plan.documents, (), tuple(volumes), provenance=made)


def _versions_holding(ctx: CaseContext, document: Document) -> list[int]:
    """The versions whose own 正卷 holds a page of DOCUMENT (a 正卷 grows, so every one from its first on)."""
    pages = {p.sha256 for p in document.pages}
    holding = []
    for version in published_versions(ctx.store, ctx.case):
        if version >= ctx.version:
            continue
        manifest = ctx.previous if version == ctx.version - 1 else read_manifest(ctx.store, ctx.case, version)
        assert manifest is not None
        if any(p["sha256"] in pages for d in manifest.documents if d.get("volume", "main") == "main"
               for p in d["pages"]):
            holding.append(version)
    return holding


def _local(ctx: CaseContext, document: Document) -> Document:
    """DOCUMENT with its stored pages copied to this machine for binding (the work area fetches them by hash)."""
    assert ctx.previous is not None
    source = _stored_source(ctx.previous, document)
    return document.model_copy(update={"pages": tuple(ctx.work.local(p, source) for p in document.pages)})


def _stored_source(manifest: Manifest, document: Document) -> SourceFile:
    """The original DOCUMENT was read from, as MANIFEST lists it sealed (what the work area needs to find it)."""
    entry = manifest.original(document.source_sha256)
    if entry is None:
        raise NotFoundError(f"case {manifest.case}: the original of {document.title!r} is not in the manifest")
    media_type = "application/pdf" if Path(entry.key).suffix == ".pdf" else "application/octet-stream"
    return SourceFile(path=Path(entry.key), sha256=entry.sha256, size=entry.size, media_type=media_type,
                      title=document.title)


def _bound_sheet(ctx: CaseContext, plan: Plan, previous: PreviousVolume, out_dir: Path) -> BoundVolume:
    corrected = tuple(e for e in plan.entries if e.volume == plan.volume)
    first = next(n for n, e in enumerate(plan.entries) if e.volume == plan.volume)
    rows = [CatalogueRow(number=n - first + 1, author=d.author or "", title=e.title, date=d.date or "",
                         first_page=e.first_page, last_page=e.last_page, remark=plan.rows_remark)
            for n, (e, d) in enumerate(zip(plan.entries, plan.documents, strict=True))
            if n in (plan.changed if plan.sheet is None else plan.sheet)]
    meta = DossierMetadata(case=ctx.case.normalized, version=ctx.version, bound_by=ctx.settings.user,
                           volume=plan.volume)
    unsigned = out_dir / f"unsigned-{plan.volume}.pdf"
    after = Continuation(pages=page_count(previous.pdf), documents=len(previous.entries))
    addition = assemble_correction(rows, plan.what, unsigned, meta, after)
    return BoundVolume(plan.volume, (), unsigned, meta, addition, previous, out_dir / volume_file_name(plan.volume),
                       corrected=corrected, outline=tuple(corrected_outline(previous.pdf, corrected)))


def publish_correction(ctx: CaseContext, binding: Binding, plan: Plan, journal: steps.Journal | None = None) -> Corrected:
    """Publish the corrected version (steps.publish; the binding's provenance names the correction), then seal
    the correction as training data."""
    engine = str(ctx.previous.provenance.get("ocr_engine", "")) if ctx.previous else ""
    published = steps.publish(ctx, binding, engine, journal)
    version = published.summary.version
    objects = dict(published.event.objects)
    now = dt.datetime.now(dt.timezone.utc)
    changed = [plan.documents[i] for i in plan.changed]
    record = {
        "case": ctx.case.normalized, "version": version, "action": plan.detail["action"],
        "source_sha256": changed[0].source_sha256, "title": changed[0].title, "user": ctx.settings.user,
        "time": now.isoformat(timespec="seconds"), "documents": [d.title for d in changed], **plan.training,
    }
    key = put_correction(ctx.store, ctx.case, now.strftime("%Y%m%dT%H%M%S%fZ"), record)
    sealed = ctx.store.info(key)
    objects[key] = sealed.sha256 if sealed else ""
    detail = {"version": version, **plan.detail, "volume": plan.move_to or plan.volume,
              "pages": published.summary.pages, "documents_after": len(plan.documents)}
    event = AuditEvent(action="recatalogue", case=ctx.case.normalized, objects=objects, detail=detail)
    return Corrected(published.summary, event, tuple(i + 1 for i in plan.changed))


# -- reading the catalogue and the training data back ---------------------------------------


def catalogue_rows(case_text: str, settings: Settings, store: Store | None = None,
                   version: int | None = None) -> dict[str, Any]:
    """The catalogue of CASE's latest (or VERSION) as ``edossier catalogue`` lists it, with what needs review."""
    case = CaseNumber.parse(case_text)
    store = store or open_store(settings.store_uri, settings.storage)
    manifest = read_manifest(store, case, version)
    documents = [Document.model_validate(d) for d in manifest.documents]
    entries = [DocumentEntry.model_validate(e) for e in manifest.catalogue]
    threshold = settings.web.catalogue_review_below
    rows = []
    for n, (doc, entry) in enumerate(zip(documents, entries, strict=True), start=1):
        rows.append({
            "number": n, "volume": entry.volume, "title": entry.title, "type": entry.type,
            "confidence": entry.confidence, "first_page": entry.first_page, "last_page": entry.last_page,
            "boundary_confidence": doc.boundary_confidence, "needs_review": needs_review(doc, entry, threshold),
            "source_file": doc.source_file, "source_pages": list(doc.source_pages), "remark": entry.remark,
            "moved_to": entry.moved_to,
        })
    return {"case": manifest.case, "version": manifest.version, "review_below": threshold, "documents": rows}


def boundary_samples(store: Store) -> list[tuple[list[OcrPage], set[int]]]:
    """Every boundary a clerk drew (split) or removed (merge), as a stack for the boundary model's training.

    Only stacks whose pages all have OCR lines: born-digital pages are never cut by content.
    """
    samples = []
    for record in list_corrections(store):
        pages = record.get("pages")
        if not pages or any(p.get("ocr") is None for p in pages):
            continue
        samples.append(([OcrPage.model_validate(p["ocr"]) for p in pages], set(record.get("starts", []))))
    return samples
