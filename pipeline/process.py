"""The main job: a case's materials in, a signed dossier version out, stored.

This is the only place that knows every stage.  Each step is a plain call into a
stage; everything a step produces is named by content hash, so a rerun after a
crash reuses it.  Nothing reaches the store until every input has been read and
the dossier is bound, signed and verified: bad input leaves the store untouched.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Literal
from pathlib import Path
from typing import Any

from edossier import __version__
from edossier.bind.assemble import Continuation, DossierMetadata, assemble
from edossier.bind.devcert import DEV_PASSPHRASE, ensure_dev_key
from edossier.bind.image_codec import codec_settings, encode_into_cache
from edossier.bind.order import order_documents
from edossier.bind.pdfa import page_count
from edossier.bind.sign import SignatureSpec, seal_version
from edossier.bind.verify import signature_remark, verify_pdf
from edossier.casenumber import CaseNumber
from edossier.classify.cataloguing import CataloguedDocument
from edossier.classify.classifier import classify_text
from edossier.classify.doctypes import binding_order, load_doctypes
from edossier.classify.metadata import extract_metadata
from edossier.classify.secrecy import refuse_classified
from edossier.config import Settings
from edossier.errors import ClassifiedMaterialError, StageError
from edossier.ingest.cleanup import clean_page
from edossier.ingest.pages import open_source, read_pages
from edossier.pipeline.audit_trail import audit_head, record
from edossier.pipeline.cataloguing import split_source
from edossier.pipeline.page_ocr import Progress, ocr_pages
from edossier.ocr import OcrEngine, cpu_count, create_engine
from edossier.pipeline.quarantine import quarantine
from edossier.storage import Store, open_store
from edossier.storage import layout
from edossier.storage.manifest import Manifest, ManifestEntry, latest_version, publish, read_manifest
from edossier.types import (
    Classification,
    Document,
    DocumentEntry,
    DossierVersion,
    OcrPage,
    Page,
    SourceFile,
    sha256_file,
)


@dataclass(frozen=True)
class Material:
    """One input file as handed over, with what the clerk said about it."""

    path: Path
    declared_type: str | None = None
    title: str | None = None
    page_flags: tuple[tuple[str, ...], ...] = ()
    """review flags per page, raised before reading (e.g. by the scanning window)."""


def signing_spec(settings: Settings, field_name: str) -> SignatureSpec:
    if settings.signing.pkcs12 is not None:
        passphrase = settings.signing.passphrase.encode() if settings.signing.passphrase else None
        key = settings.signing.pkcs12
    else:
        key, _ = ensure_dev_key(settings.data_dir / "keys")
        passphrase = DEV_PASSPHRASE
    return SignatureSpec(
        pkcs12=key,
        passphrase=passphrase,
        field_name=field_name,
        reason=settings.signing.reason,
        timestamp_url=settings.signing.timestamp_url,
    )


def trust_roots(settings: Settings) -> list[Path]:
    """Configured roots; with the development key, its own certificate (clearly marked as such)."""
    roots = list(settings.signing.trust_roots)
    if settings.signing.pkcs12 is None:
        roots.append(ensure_dev_key(settings.data_dir / "keys")[1])
    return roots


def read_material(
    material: Material, settings: Settings, work_dir: Path, password: str | None
) -> tuple[SourceFile, list[Page]]:
    source = open_source(material.path, settings.limits, material.declared_type)
    # Each raster page becomes an upright, straight kept image plus a cleaned image for OCR.
    pages = [
        clean_page(page, settings.cleanup, work_dir)
        for page in read_pages(source, work_dir, settings.limits, password)
    ]
    for index, extra in enumerate(material.page_flags[: len(pages)]):
        pages[index] = pages[index].model_copy(update={"flags": pages[index].flags + extra})
    return source, pages


def bind_image_cache(settings: Settings) -> Path:
    """Where page images encoded for binding are kept, by page hash: the per-page step writes, binding reads."""
    return settings.work_dir / "bind-images"


def encode_for_binding(page: Page, settings: Settings) -> None:
    """Encode a raster page's image as binding will embed it (G4 or JPEG), in the per-page phase.

    Run beside the page's OCR, in the same worker, it overlaps with OCR and
    runs in parallel; binding then finds every page ready in the cache and
    only reads bytes (a page not found there is encoded while binding).
    """
    if page.kind != "raster" or page.image is None:
        return
    try:
        encode_into_cache(page.image, page.sha256, codec_settings(settings.bind), bind_image_cache(settings))
    except (OSError, ValueError) as exc:  # PIL's unreadable-image errors are OSErrors
        raise StageError(f"page {page.index + 1}: image cannot be encoded for binding: {exc}") from exc


def classify_document(
    text: str, declared: str | None, settings: Settings, source: SourceFile | None = None
) -> Classification:
    """Refuse (and quarantine) classified material, then the declared type or the classifier's."""
    try:
        refuse_classified(text, str(source.path) if source else "document")
    except ClassifiedMaterialError as exc:
        if source is None:
            raise
        kept = quarantine(source, exc.problem, settings)
        raise ClassifiedMaterialError(source.path, f"{exc.problem}; quarantined as {kept}") from None
    if declared:
        return Classification(type=declared, confidence=1.0, needs_review=False, method="declared")
    return classify_text(text, settings.classify)


def make_document(
    source: SourceFile,
    pages: Sequence[Page],
    ocr: Sequence[OcrPage | None],
    settings: Settings,
    title: str | None = None,
    found: CataloguedDocument | None = None,
) -> Document:
    """PAGES of one input file become one document: its text classified (or as FOUND by cataloguing), titled."""
    if found is None:
        text = "\n".join((o.text if o else p.text) for p, o in zip(pages, ocr, strict=True))
        classification = classify_document(text, source.declared_type, settings, source)
        facts: dict[str, Any] = {}
    else:
        classification = found.classification
        title = title or found.title.value
        facts = {
            "date": found.date.value,
            "author": found.author.value,
            "boundary_confidence": found.boundary_confidence,
            "found_confidence": {"title": found.title.confidence, "date": found.date.confidence,
                                 "author": found.author.confidence},
            "remark": found.remark,
        }
    return Document(
        title=title or classification.title or source.title,
        source_sha256=source.sha256,
        pages=tuple(pages),
        classification=classification,
        ocr=tuple(ocr),
        volume=_volume(classification.type),
        source_file=source.path.name,
        **facts,
    )


def make_documents(
    source: SourceFile,
    pages: Sequence[Page],
    ocr: Sequence[OcrPage | None],
    settings: Settings,
    title: str | None = None,
) -> list[Document]:
    """One input file becomes its documents, cut as ``classify.split`` says (see pipeline/cataloguing.py)."""
    def classify(text: str, declared: str | None) -> Classification:
        return classify_document(text, declared or source.declared_type, settings, source)

    parts = split_source(source, pages, ocr, settings.classify.split, classify)
    named = title if len(parts) == 1 else None  # the clerk's title for the file names its only document
    return [
        make_document(source, [pages[i] for i in part.pages], [ocr[i] for i in part.pages], settings, named, part.found)
        for part in parts
    ]


def _volume(label: str) -> Literal["main", "secondary"]:
    """副卷 types (court-only papers) are marked so in classify/doctypes.toml; everything else is 正卷."""
    volume = next((t.volume for t in load_doctypes() if t.label == label), "main")
    return "secondary" if volume == "secondary" else "main"


@dataclass(frozen=True)
class PreviousVolume:
    """A volume's last signed PDF and its catalogue: what the next version grows from."""

    pdf: Path
    entries: tuple[DocumentEntry, ...]


def bind_and_sign(
    documents: Sequence[Document],
    case: CaseNumber,
    version: int,
    settings: Settings,
    out_dir: Path,
    previous: PreviousVolume | None = None,
    remarks: dict[str, str] | None = None,
) -> tuple[Path, list[DocumentEntry]]:
    """Bind DOCUMENTS (one volume, already in binding order) as version VERSION, sign and check.

    With PREVIOUS, the new pages are appended to that signed PDF as one signed
    incremental update; the returned catalogue is the whole volume's.  A PDF
    that does not verify is never published.
    """
    volume = documents[0].volume if documents else "main"
    suffix = "" if volume == "main" else f"-{volume}"
    unsigned = out_dir / f"unsigned{suffix}.pdf"
    signed = out_dir / f"dossier{suffix}.pdf"
    court, cause, parties = _cover_facts(documents)
    meta = DossierMetadata(
        case=case.normalized,
        version=version,
        bound_by=settings.user,
        court=settings.bind.court or court,
        volume=volume,
        cause=cause,
        parties=parties,
    )
    earlier = previous.entries if previous else ()
    after = Continuation(pages=page_count(previous.pdf), documents=len(earlier)) if previous else Continuation()
    addition = assemble(documents, unsigned, meta, settings.bind, after, remarks, bind_image_cache(settings))
    spec = signing_spec(settings, f"edossier-v{version}")
    if previous:
        seal_version(previous.pdf, signed, spec, meta, addition.bookmarks, addition=unsigned)
    else:
        seal_version(unsigned, signed, spec, meta, addition.bookmarks)
    report = verify_pdf(signed, trust_roots(settings))
    if not report.valid:
        raise StageError(f"case {case}: the signed dossier does not verify: {report.as_dict()['problems']}")
    return signed, [*earlier, *addition.entries]


def provenance(
    settings: Settings, store: Store, engine_key: str, inputs: Sequence[str], **extra: object
) -> dict[str, object]:
    return {
        "pipeline": f"edossier {__version__}",
        "ocr_engine": engine_key,
        "bound_by": settings.user,
        "inputs": list(inputs),
        "audit_head": audit_head(store),
        **extra,
    }


def publication_event(summary: DossierVersion, sources: Sequence[SourceFile]) -> dict[str, Any]:
    """The audit entry for a published version, the same whether ``process`` or a batch worker published it."""
    return {
        "action": "publish",
        "case": summary.case,
        "objects": {"dossier.pdf": summary.pdf_sha256, **{src.path.name: src.sha256 for src in sources}},
        "detail": {"version": summary.version, "pages": summary.pages, "documents": len(summary.documents)},
    }


def record_event(store: Store, user: str, event: dict[str, Any]) -> None:
    record(store, user, event["action"], event["case"], event["objects"], event["detail"])


def publish_version(
    store: Store,
    case: CaseNumber,
    version: int,
    documents: Sequence[Document],
    new_sources: Sequence[SourceFile],
    pdf: Path | Sequence[Path],
    entries: Sequence[DocumentEntry],
    provenance: dict[str, object],
    *,
    jobs: int = 4,
) -> None:
    """Seal originals, page images, OCR results and the PDFs (one per volume), then the manifest (last).

    PDF is the main volume's file, or the volumes' files named dossier.pdf and
    dossier-secondary.pdf (any folder). The manifest also lists what this version
    keeps of the previous one, so each version's manifest names every object it consists of.
    """
    new = {source.sha256 for source in new_sources}
    pdfs = [pdf] if isinstance(pdf, Path) else list(pdf)
    objects = _objects(case, new_sources, [d for d in documents if d.source_sha256 in new], pdfs, version)
    publish(
        store,
        case,
        version,
        objects,
        provenance,
        documents=[d.model_dump(mode="json") for d in documents],
        catalogue=[e.model_dump(mode="json") for e in entries],
        inherited=_inherited(store, case, version - 1),
        jobs=jobs,
    )


def process_case(
    materials: Sequence[Material],
    case_text: str,
    settings: Settings,
    *,
    store: Store | None = None,
    password: str | None = None,
    progress: Progress | None = None,
    warn: Progress | None = None,
    engine: OcrEngine | None = None,
) -> DossierVersion:
    """Read every input first (bad input stops here, nothing stored), then OCR, classify, bind, publish."""
    case = CaseNumber.parse(case_text)
    store = store or open_store(settings.store_uri, settings.storage)
    work_dir = settings.work_dir
    work_dir.mkdir(parents=True, exist_ok=True)

    read = [read_material(m, settings, work_dir, password) for m in materials]
    for source, pages in read:
        removed = sorted({f[len("removed_"):] for p in pages for f in p.flags if f.startswith("removed_")})
        if removed and warn:
            kinds = ", ".join(kind.replace("_", " ") for kind in removed)
            warn(f"{source.path}: removed {kinds} from what is bound (the original is kept unchanged)")
    previous_version = latest_version(store, case)
    manifest = read_manifest(store, case, previous_version) if previous_version else None
    previous_docs = [Document.model_validate(d) for d in manifest.documents] if manifest else []
    known = {doc.source_sha256 for doc in previous_docs}
    titles = {src.sha256: m.title for m, (src, _) in zip(materials, read, strict=True)}
    fresh = [(src, pages) for src, pages in read if src.sha256 not in known]
    if manifest and not fresh:
        return _summary(store, case, previous_version)

    engine = engine or create_engine(settings.ocr)
    jobs = settings.ocr.jobs or cpu_count()
    new_docs = []
    for src, pages in fresh:
        try:
            ocr = ocr_pages(pages, engine, work_dir, jobs, progress, then=partial(encode_for_binding, settings=settings))
        except StageError as exc:
            raise StageError(f"{src.path}: {exc}") from exc
        new_docs.extend(make_documents(src, pages, ocr, settings, titles[src.sha256]))
    version = previous_version + 1
    inputs = [str(src.path) for src, _ in fresh]
    bind_and_publish(store, case, version, new_docs, [src for src, _ in fresh], settings, engine.cache_key(), inputs)
    summary = _summary(store, case, version)
    record_event(store, settings.user, publication_event(summary, [src for src, _ in fresh]))
    return summary


def bind_and_publish(
    store: Store,
    case: CaseNumber,
    version: int,
    new_docs: Sequence[Document],
    sources: Sequence[SourceFile],
    settings: Settings,
    engine_key: str,
    inputs: Sequence[str],
    **extra: object,
) -> bool:
    """Bind NEW_DOCS onto version VERSION - 1 of the case, volume by volume, sign and publish VERSION.

    Each volume grows from its last signed PDF by one signed incremental update
    (a volume with nothing new keeps its bytes), so every earlier signature stays
    valid; ``process`` and a batch worker both publish through here, so they bind
    alike.  Documents whose original the last version already holds are not
    bound twice; returns False when nothing new was left to publish.
    """
    manifest = read_manifest(store, case, version - 1) if version > 1 else None
    previous_docs = [Document.model_validate(d) for d in manifest.documents] if manifest else []
    known = {doc.source_sha256 for doc in previous_docs}
    new_docs = [d for d in new_docs if d.source_sha256 not in known]
    sources = [src for src in sources if src.sha256 not in known]
    if not new_docs:
        return False
    remarks = _signed_input_remarks(sources, settings)
    catalogue = [DocumentEntry.model_validate(e) for e in manifest.catalogue] if manifest else []
    with tempfile.TemporaryDirectory(dir=settings.work_dir) as tmp:
        pdfs: list[Path] = []
        entries: list[DocumentEntry] = []
        published: list[Document] = []  # every document, in catalogue order: volume by volume, as bound
        volume_pages: dict[str, int] = {}
        for volume in ("main", "secondary"):
            added = order_documents(
                [d for d in new_docs if d.volume == volume], case.type, binding_order, settings.bind.order_file
            )
            published.extend(d for d in previous_docs if d.volume == volume)
            published.extend(added)
            earlier = tuple(e for e in catalogue if e.volume == volume)
            previous = _previous_volume(store, manifest, volume, earlier, Path(tmp))
            if added:
                pdf, volume_entries = bind_and_sign(added, case, version, settings, Path(tmp), previous, remarks)
            elif previous:
                pdf, volume_entries = previous.pdf, list(earlier)  # unchanged volume: same bytes again
            else:
                continue
            pdfs.append(pdf)
            entries.extend(volume_entries)
            volume_pages[volume] = page_count(pdf)
        origin = provenance(
            settings, store, engine_key, inputs, signed_inputs=remarks, volume_pages=volume_pages, **extra
        )
        publish_version(store, case, version, published, sources, pdfs, entries, origin, jobs=settings.storage.jobs)
    return True


def _previous_volume(
    store: Store, manifest: Manifest | None, volume: str, entries: tuple[DocumentEntry, ...], tmp: Path
) -> PreviousVolume | None:
    if manifest is None or not entries:
        return None
    role = volume_role(volume)
    stored = next(o for o in manifest.objects if o.role == role)
    local = tmp / ("previous-dossier.pdf" if volume == "main" else f"previous-dossier-{volume}.pdf")
    store.get_file(stored.key, local)
    return PreviousVolume(local, entries)


def volume_role(volume: str) -> str:
    """Manifest role of a volume's PDF: "dossier" for 正卷 (what get and process print), "dossier_secondary"."""
    return "dossier" if volume == "main" else f"dossier_{volume}"


def _volume_key(case: CaseNumber, version: int, role: str, sha256: str) -> str:
    """The main volume where the store layout puts a dossier; 副卷 beside it, also named by content."""
    if role == "dossier":
        return layout.dossier_key(case, version, sha256)
    return layout.version_key(case, version, f"{role}-{sha256}.pdf")


def _signed_input_remarks(sources: Sequence[SourceFile], settings: Settings) -> dict[str, str]:
    """Signed PDFs as handed over: their signatures checked at intake, the result kept and shown."""
    remarks = {}
    for source in sources:
        if source.media_type == "application/pdf":
            remark = signature_remark(source.path, trust_roots(settings))
            if remark:
                remarks[source.sha256] = remark
    return remarks


def _objects(
    case: CaseNumber, sources: Sequence[SourceFile], docs: Sequence[Document], pdfs: Sequence[Path], version: int
) -> list[tuple[str, Path | bytes, str]]:
    objects: list[tuple[str, Path | bytes, str]] = []
    for source in sources:
        objects.append((layout.original_key(case, source.sha256, source.path.suffix), source.path, "original"))
    for doc in docs:
        for page, ocr in zip(doc.pages, doc.ocr, strict=True):
            if page.image is not None:
                objects.append((layout.page_key(case, page.sha256), page.image, "page_image"))
            if ocr is not None:
                key = layout.ocr_key(case, page.sha256, f"{ocr.engine}-{ocr.engine_version}")
                objects.append((key, ocr.model_dump_json().encode(), "ocr"))
    for pdf in pdfs:
        role = volume_role("secondary" if pdf.stem.endswith("secondary") else "main")
        objects.append((_volume_key(case, version, role, sha256_file(pdf)), pdf, role))
    return objects


def _inherited(store: Store, case: CaseNumber, version: int) -> list[ManifestEntry]:
    """What a new version keeps of version VERSION: everything but its dossier PDFs (one per volume)."""
    if not version:
        return []
    return [entry for entry in read_manifest(store, case, version).objects if not entry.role.startswith("dossier")]


def fetch_documents(store: Store, case: CaseNumber, documents: Sequence[Document], work_dir: Path) -> list[Document]:
    """Point DOCUMENTS' pages at local copies fetched from the store: any machine can bind what another read."""
    pages_dir = work_dir / "pages"
    pages_dir.mkdir(parents=True, exist_ok=True)
    docs = []
    for doc in documents:
        pages = []
        for page in doc.pages:
            if page.kind == "raster":
                local = pages_dir / f"{page.sha256}.png"
                if not local.exists():
                    store.get_file(layout.page_key(case, page.sha256), local)
                page = page.model_copy(update={"image": local, "recognition_image": local})
            elif page.pdf is not None and not page.pdf.exists():
                local = work_dir / "originals" / f"{page.source_sha256}.pdf"
                local.parent.mkdir(parents=True, exist_ok=True)
                if not local.exists():
                    store.get_file(layout.original_key(case, page.source_sha256, ".pdf"), local)
                page = page.model_copy(update={"pdf": local})
            pages.append(page)
        docs.append(doc.model_copy(update={"pages": tuple(pages)}))
    return docs


def _summary(store: Store, case: CaseNumber, version: int) -> DossierVersion:
    manifest = read_manifest(store, case, version)
    dossiers = sorted((o for o in manifest.objects if o.role.startswith("dossier")), key=lambda o: o.role)
    pdf = dossiers[0]  # the main volume ("dossier") when there is one
    entries = tuple(DocumentEntry.model_validate(e) for e in manifest.catalogue)
    # the main volume's whole PDF (cover to closing sheet); older manifests only have the catalogue
    pages = manifest.provenance.get("volume_pages", {}).get("main") or max((e.last_page for e in entries), default=0)
    return DossierVersion(
        case=case.normalized,
        version=version,
        pages=pages,
        documents=entries,
        pdf_sha256=pdf.sha256,
        created=manifest.created,
    )


def _cover_facts(documents: Sequence[Document]) -> tuple[str, str, str]:
    """Court, cause of action and parties for the cover, as read from the documents' text (blank if not found)."""
    court = cause = ""
    parties: list[str] = []
    for document in documents:
        found = extract_metadata(document.text)
        court = court or (found.court or "")
        cause = cause or (found.cause or "")
        for party in found.parties:
            name = f"{party.role}：{party.name}"
            if party.agent_of is None and name not in parties and "×" not in party.name:
                parties.append(name)
    return court, cause, "；".join(parties[:4])

