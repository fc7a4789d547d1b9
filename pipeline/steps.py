"""The steps of a case, once for every runner: read → clean up → OCR → classify → bind → sign → publish.

Each step is a plain function over a ``CaseContext`` (the case, its settings,
the store, this machine's work area, and the case's last published manifest,
read once).  The runners only order and schedule them: ``process.py`` runs them
in this process (``edossier process``, ``scan``, ``watch``, web submission),
``batch/actors.py`` runs them as dramatiq messages on any number of machines.
So the same files give the same dossier whichever runs them.

Everything a step produces is named by content hash, so a rerun after a crash
reuses it.  Page records carry hashes, not paths (``work.identity``); the work
area turns a hash back into a local file.  Nothing is published until every
input has been read and the dossier is bound, signed and verified: bad input
leaves the store untouched.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from edossier import __version__
from edossier.bind.assemble import Addition, Bookmark, Continuation, CoverFacts, DossierMetadata, assemble
from edossier.bind.devcert import DEV_PASSPHRASE, ensure_dev_key
from edossier.bind.image_codec import codec_settings, encode_into_cache
from edossier.bind.order import order_documents
from edossier.bind.pdfa import page_count
from edossier.bind.sign import SignatureSpec, seal_version
from edossier.bind.verify import signature_remark, verify_pdf
from edossier.bind.volumes import VOLUMES, Volume, volume_file_name, volume_of_file, volume_role
from edossier.casenumber import CaseNumber
from edossier.classify.cataloguing import CataloguedDocument
from edossier.classify.classifier import classify_text
from edossier.classify.doctypes import binding_order, load_doctypes
from edossier.classify.metadata import extract_metadata
from edossier.classify.secrecy import refuse_classified
from edossier.config import Settings
from edossier.errors import ClassifiedMaterialError, SigningError, StageError
from edossier.files import write_atomically
from edossier.ingest.ofd_intake import SIGNED_KEY
from edossier.ocr import OcrEngine
from edossier.pipeline.audit_trail import audit_head
from edossier.pipeline.case_volumes import archived_record, sealed_role
from edossier.pipeline.cataloguing import split_source
from edossier.pipeline.hooks import AuditEvent
from edossier.pipeline.page_ocr import recognize_page
from edossier.pipeline.reading import (  # the first steps, re-exported: the runners call them as steps.read…
    Material as Material,
    clean_up as clean_up,
    clean_up_page as clean_up_page,
    read as read,
    read_material as read_material,
)
from edossier.pipeline.quarantine import quarantine
from edossier.pipeline.work import WorkArea, identity
from edossier.storage import Store, layout
from edossier.storage.manifest import Manifest, ManifestEntry, latest_version, publish as publish_manifest, read_manifest
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
class CaseContext:
    """What every step of one case works with; the previous version's manifest is read once, when first needed."""

    case: CaseNumber
    settings: Settings
    store: Store
    publishing: int | None = None
    """the version the steps publish (a batch fixes it); None: the one after the latest, found when first needed."""

    @classmethod
    def open(cls, case: CaseNumber, settings: Settings, store: Store, version: int | None = None) -> CaseContext:
        settings.work_dir.mkdir(parents=True, exist_ok=True)
        return cls(case, settings, store, version)

    @cached_property
    def previous(self) -> Manifest | None:
        """The manifest of the version this one grows from (None: the case's first version)."""
        base = self.publishing - 1 if self.publishing is not None else latest_version(self.store, self.case)
        return read_manifest(self.store, self.case, base) if base > 0 else None

    @property
    def version(self) -> int:
        """The version these steps publish."""
        return (self.previous.version if self.previous else 0) + 1

    @property
    def work(self) -> WorkArea:
        return WorkArea(self.settings.work_dir, self.store, self.case)

    @cached_property
    def previous_documents(self) -> list[Document]:
        return [Document.model_validate(d) for d in self.previous.documents] if self.previous else []

    @cached_property
    def known_sources(self) -> frozenset[str]:
        """Originals the previous version already holds: handed over again, they add nothing."""
        return frozenset(doc.source_sha256 for doc in self.previous_documents)


def removed_content(source: SourceFile, pages: Sequence[Page]) -> str | None:
    """What intake removed from a file (scripts, attachments…), as a warning for the clerk, or None."""
    removed = sorted({f[len("removed_"):] for p in pages for f in p.flags if f.startswith("removed_")})
    if not removed:
        return None
    kinds = ", ".join(kind.replace("_", " ") for kind in removed)
    return f"{source.path}: removed {kinds} from what is bound (the original is kept unchanged)"


def intake_objects(case: CaseNumber, source: SourceFile, pages: Sequence[Page]) -> list[tuple[str, Path, str]]:
    """The original and every page image a read produced (pages local): (key, local file, role)."""
    objects = [(layout.original_key(case, source.sha256, source.path.suffix), source.path, "original")]
    converted = next((p.pdf for p in pages if p.pdf is not None), None)
    if converted is not None and source.media_type != "application/pdf":  # OFD, Word: bound from this PDF
        objects.append((layout.original_key(case, source.sha256, ".pdf"), converted, "converted"))
    return objects + [item for page in pages for item in page_objects(case, page)]


def page_objects(case: CaseNumber, page: Page) -> list[tuple[str, Path, str]]:
    """A raster page's kept image and, when it differs, its recognition image (the one its OCR boxes refer to)."""
    if page.kind != "raster":
        return []
    if page.image is None:
        raise StageError(f"page {page.index + 1}: no local image to store (resolve it through the work area)")
    objects = [(layout.page_key(case, page.sha256), page.image, "page_image")]
    recognition = page.recognition_sha256
    if recognition and recognition != page.sha256 and page.recognition_image is not None:
        objects.append((layout.page_key(case, recognition), page.recognition_image, "recognition_image"))
    return objects


# -- OCR ---------------------------------------------------------------------


def ocr(ctx: CaseContext, page: Page, source: SourceFile, engine: OcrEngine) -> OcrPage | None:
    """OCR one page's recognition image, then encode its kept image for binding (same worker, same moment).

    Run beside the page's OCR, the encoding overlaps with it and runs in parallel;
    binding then finds every page ready in the cache and only reads bytes.
    """
    if page.kind != "raster":
        return None
    local = ctx.work.local(page, source)
    result = recognize_page(local, engine, ctx.settings.work_dir)
    encode_for_binding(local, ctx.settings)
    return result


def ocr_object(case: CaseNumber, page: Page, result: OcrPage) -> tuple[str, bytes]:
    """Where a page's OCR result is sealed, and its bytes: one key, whichever runner seals it."""
    return layout.ocr_key(case, page.sha256, f"{result.engine}-{result.engine_version}"), result.model_dump_json().encode()


def bind_image_cache(settings: Settings) -> Path:
    """Where page images encoded for binding are kept, by page hash: the OCR step writes, binding reads."""
    return settings.work_dir / "bind-images"


def encode_for_binding(page: Page, settings: Settings) -> None:
    """Encode a raster page's image as binding will embed it (G4 or JPEG); a page not found later is encoded then."""
    if page.kind != "raster" or page.image is None:
        return
    try:
        encode_into_cache(page.image, page.sha256, codec_settings(settings.bind), bind_image_cache(settings))
    except (OSError, ValueError) as exc:  # PIL's unreadable-image errors are OSErrors
        raise StageError(f"page {page.index + 1}: image cannot be encoded for binding: {exc}") from exc


# -- classify ----------------------------------------------------------------


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
    facts: dict[str, Any] = {}
    if found is None:
        text = "\n".join((o.text if o else p.text) for p, o in zip(pages, ocr, strict=True))
        classification = classify_document(text, source.declared_type, settings, source)
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
    if any(o is not None and o.unread for o in ocr):  # a page with ink that no way of reading could read
        classification = classification.model_copy(update={"needs_review": True})
    return Document(
        title=title or classification.title or source.title,
        source_sha256=source.sha256,
        pages=tuple(pages),
        classification=classification,
        ocr=tuple(ocr),
        volume=_volume(classification.type),
        metadata=source.metadata,
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


def classify(
    ctx: CaseContext, source: SourceFile, pages: Sequence[Page], ocr: Sequence[OcrPage | None], title: str | None
) -> list[Document]:
    """The classify step: the file's documents (``make_documents``) for the case."""
    return make_documents(source, pages, ocr, ctx.settings, title)


def _volume(label: str) -> Volume:
    """副卷 types (court-only papers) are marked so in classify/doctypes.toml; everything else is 正卷."""
    volume = next((t.volume for t in load_doctypes() if t.label == label), "main")
    return "secondary" if volume == "secondary" else "main"


# -- bind and sign -----------------------------------------------------------


def signing_spec(settings: Settings, field_name: str) -> SignatureSpec:
    if settings.signing.pkcs12 is not None:
        secret = settings.signing.passphrase
        passphrase = secret.get_secret_value().encode() if secret is not None else None
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
        embed_validation_info=settings.signing.embed_validation_info,
        trust_roots=tuple(settings.signing.trust_roots),
    )


def trust_roots(settings: Settings) -> list[Path]:
    """Configured roots; with the development key, its own certificate (clearly marked as such)."""
    roots = list(settings.signing.trust_roots)
    if settings.signing.pkcs12 is None:
        roots.append(ensure_dev_key(settings.data_dir / "keys")[1])
    return roots


@dataclass(frozen=True)
class PreviousVolume:
    """A volume's last signed PDF and its catalogue: what the next version grows from."""

    pdf: Path
    entries: tuple[DocumentEntry, ...]


@dataclass(frozen=True)
class BoundVolume:
    """One volume bound but not yet signed: the unsigned addition, what it grows from, what it lists."""

    volume: Volume
    documents: tuple[Document, ...]
    unsigned: Path
    meta: DossierMetadata
    addition: Addition
    previous: PreviousVolume | None
    signed: Path
    corrected: tuple[DocumentEntry, ...] | None = None
    """a catalogue correction's whole catalogue of the volume (None: the previous one plus the addition's)."""
    outline: tuple[Bookmark, ...] | None = None
    """a catalogue correction's bookmarks before the addition's (None: the previous PDF's, read back)."""

    @property
    def entries(self) -> list[DocumentEntry]:
        if self.corrected is not None:
            return list(self.corrected)
        return [*(self.previous.entries if self.previous else ()), *self.addition.entries]


@dataclass(frozen=True)
class SignedVolume:
    """A volume's signed, verified PDF (or its previous PDF, unchanged) and its whole catalogue."""

    volume: Volume
    pdf: Path
    entries: tuple[DocumentEntry, ...]


def bind_volume(
    documents: Sequence[Document],
    case: CaseNumber,
    version: int,
    settings: Settings,
    out_dir: Path,
    previous: PreviousVolume | None = None,
    remarks: dict[str, str] | None = None,
    cover: CoverFacts = CoverFacts(),
) -> BoundVolume:
    """Assemble DOCUMENTS (one volume, in binding order, pages local) as the unsigned addition to PREVIOUS.

    COVER, stated by the court at registration, wins over what the documents' text yields.
    """
    volume: Volume = documents[0].volume if documents else "main"
    court, cause, parties = _cover_facts(documents)
    meta = DossierMetadata(
        case=case.normalized,
        version=version,
        bound_by=settings.user,
        court=cover.court or settings.bind.court or court,
        volume=volume,
        cause=cover.cause or cause,
        parties=cover.parties or parties,
        filed=cover.filed,
    )
    after = Continuation(pages=page_count(previous.pdf), documents=len(previous.entries)) if previous else Continuation()
    unsigned = out_dir / f"unsigned-{volume}.pdf"
    addition = assemble(documents, unsigned, meta, settings.bind, after, remarks, bind_image_cache(settings))
    return BoundVolume(volume, tuple(documents), unsigned, meta, addition, previous, out_dir / volume_file_name(volume))


def sign_volume(bound: BoundVolume, settings: Settings) -> SignedVolume:
    """Sign the volume (one signed incremental update onto its previous PDF) and check the result.

    A PDF that does not verify is never published; a key that cannot be used is a
    SigningError, which no retry mends.
    """
    spec = signing_spec(settings, f"edossier-v{bound.meta.version}")
    try:
        if bound.previous:
            seal_version(bound.previous.pdf, bound.signed, spec, bound.meta, bound.addition.bookmarks,
                         addition=bound.unsigned, earlier=bound.outline)
        else:
            seal_version(bound.unsigned, bound.signed, spec, bound.meta, bound.addition.bookmarks)
    except SigningError:
        raise
    except StageError as exc:  # the key cannot be loaded or used: configuration, not bad luck
        raise SigningError(str(exc)) from exc
    report = verify_pdf(bound.signed, trust_roots(settings))
    if not report.valid:
        raise SigningError(f"case {bound.meta.case}: the signed dossier does not verify: {report.as_dict()['problems']}")
    return SignedVolume(bound.volume, bound.signed, tuple(bound.entries))


def bind_and_sign(
    documents: Sequence[Document],
    case: CaseNumber,
    version: int,
    settings: Settings,
    out_dir: Path,
    previous: PreviousVolume | None = None,
    remarks: dict[str, str] | None = None,
    cover: CoverFacts = CoverFacts(),
) -> tuple[Path, list[DocumentEntry]]:
    """Bind and sign one volume (pages local): the signed PDF and the volume's whole catalogue."""
    signed = sign_volume(bind_volume(documents, case, version, settings, out_dir, previous, remarks, cover), settings)
    return signed.pdf, list(signed.entries)


@dataclass(frozen=True)
class Binding:
    """What the bind step made of a case's new documents, volume by volume, for sign and publish."""

    documents: tuple[Document, ...]
    """every document of the version, in catalogue order: volume by volume, as bound."""
    sources: tuple[SourceFile, ...]
    volumes: tuple[BoundVolume | SignedVolume, ...]
    remarks: dict[str, str] = field(default_factory=dict)
    provenance: dict[str, object] = field(default_factory=dict)
    """what the manifest's provenance says of how the version was bound (continuing an archived one)."""


def new_documents(ctx: CaseContext, documents: Sequence[Document]) -> list[Document]:
    """DOCUMENTS less those whose original the previous version already holds (never bound twice)."""
    return [d for d in documents if d.source_sha256 not in ctx.known_sources]


class Journal(Protocol):
    """Where a version's signed volumes are noted before they are sealed, so that a publish cut short reuses them.

    Signing twice never gives the same bytes (the signing time differs), so a
    publish killed after sealing a volume's PDF, signed again, would leave the
    first PDF in the write-once store named by no manifest, for decades.
    """

    def signed_volumes(self, case: CaseNumber, version: int) -> dict[str, dict[str, Any]]:
        """Volume → {"key": store key, "entries": catalogue, "documents": new source hashes, "provenance": the
        binding's (a correction's), "user": who bound it} noted for VERSION of CASE."""

    def note_signed(self, case: CaseNumber, version: int, volume: str, note: dict[str, Any]) -> None:
        """Note (or replace) what VOLUME of VERSION is about to be sealed as."""


@dataclass(frozen=True)
class FileJournal:
    """The journal of one machine's own runs, in its work folder (the batch keeps its journal in the state)."""

    root: Path

    def _path(self, case: CaseNumber, version: int) -> Path:
        return self.root / "journal" / case.key / f"{version:06d}.json"

    def signed_volumes(self, case: CaseNumber, version: int) -> dict[str, dict[str, Any]]:
        path = self._path(case, version)
        return json.loads(path.read_bytes()) if path.exists() else {}  # UTF-8, whatever the locale

    def note_signed(self, case: CaseNumber, version: int, volume: str, note: dict[str, Any]) -> None:
        path = self._path(case, version)
        path.parent.mkdir(parents=True, exist_ok=True)
        noted = self.signed_volumes(case, version) | {volume: note}
        write_atomically(path, json.dumps(noted, ensure_ascii=False).encode())


def bind(
    ctx: CaseContext,
    documents: Sequence[Document],
    sources: Sequence[SourceFile],
    out_dir: Path,
    journal: Journal | None = None,
    cover: CoverFacts = CoverFacts(),
) -> Binding:
    """Bind the case's new DOCUMENTS onto the previous version, volume by volume, in court order (unsigned).

    Each volume grows from its last signed PDF (a volume with nothing new keeps its
    bytes).  An archived version (sealed by pipeline/archive.py) is never grown:
    later material starts new volumes, linked to it.  A volume the JOURNAL says was
    signed and sealed for this version already (a publish cut short) is taken from
    the store as it is.  COVER: what the court stated at registration.
    """
    documents = new_documents(ctx, documents)
    sources = [s for s in sources if s.sha256 not in ctx.known_sources]
    local = {s.sha256: s for s in sources}
    remarks = _signed_input_remarks(ctx, sources)
    archived = ctx.previous is not None and archived_record(ctx.previous) is not None
    grown = ctx.previous if ctx.previous and not archived else None
    catalogue = [DocumentEntry.model_validate(e) for e in grown.catalogue] if grown else []
    kept = ctx.previous_documents if grown else []
    sealed = journal.signed_volumes(ctx.case, ctx.version) if journal else {}
    ordered: list[Document] = []
    volumes: list[BoundVolume | SignedVolume] = []
    for volume in VOLUMES:
        added = order_documents([d for d in documents if d.volume == volume], ctx.case.type, binding_order,
                                ctx.settings.bind.order_file)
        ordered.extend(d for d in kept if d.volume == volume)
        ordered.extend(added)
        earlier = tuple(e for e in catalogue if e.volume == volume)
        noted = sealed_before(ctx, sealed.get(volume), volume, out_dir, documents=[d.source_sha256 for d in added])
        if added and noted is not None:
            volumes.append(noted)
            continue
        previous = previous_volume(ctx, volume, earlier, out_dir) if grown else None
        if added:
            pages = [doc.model_copy(update={"pages": tuple(ctx.work.local(p, local[doc.source_sha256])
                                                           for p in doc.pages)}) for doc in added]
            volumes.append(bind_volume(pages, ctx.case, ctx.version, ctx.settings, out_dir, previous, remarks, cover))
        elif previous:
            volumes.append(SignedVolume(volume, previous.pdf, earlier))  # unchanged volume: same bytes again
    origin: dict[str, object] = {"continues_archived_version": ctx.version - 1} if archived else {}
    return Binding(tuple(ordered), tuple(sources), tuple(volumes), remarks, origin)


def sealed_before(
    ctx: CaseContext, noted: dict[str, Any] | None, volume: Volume, out_dir: Path, **made_of: object
) -> SignedVolume | None:
    """VOLUME as a journal NOTED it for this version, taken back from the store where a publish cut short sealed it.

    Only if the note says it was made of MADE_OF (the same new documents; for a
    catalogue correction, the same correction by the same clerk); None otherwise,
    or when the publish was cut short before the PDF was sealed.
    """
    if noted is None or any(noted.get(name) != value for name, value in made_of.items()):
        return None
    if not ctx.store.exists(noted["key"]):
        return None
    pdf = ctx.store.get_file(noted["key"], out_dir / volume_file_name(volume))
    return SignedVolume(volume, pdf, tuple(DocumentEntry.model_validate(e) for e in noted["entries"]))


def sign(ctx: CaseContext, binding: Binding) -> Binding:
    """Sign every volume that has new pages and check each signature."""
    signed = tuple(v if isinstance(v, SignedVolume) else sign_volume(v, ctx.settings) for v in binding.volumes)
    return Binding(binding.documents, binding.sources, signed, binding.remarks, binding.provenance)


def previous_volume(
    ctx: CaseContext, volume: Volume, entries: tuple[DocumentEntry, ...], tmp: Path
) -> PreviousVolume | None:
    """VOLUME's signed PDF in the previous version (copied into TMP) with ENTRIES, its catalogue; None if it has none."""
    if ctx.previous is None or not entries:
        return None
    role = volume_role(volume)
    stored = next(o for o in ctx.previous.objects if o.role == role)
    local = tmp / "previous" / volume_file_name(volume)
    local.parent.mkdir(exist_ok=True)
    ctx.store.get_file(stored.key, local)
    return PreviousVolume(local, entries)


def _signed_input_remarks(ctx: CaseContext, sources: Sequence[SourceFile]) -> dict[str, str]:
    """Signed PDFs as handed over: their signatures checked at intake, the result kept and shown."""
    remarks = {}
    for source in sources:
        if source.media_type == "application/pdf":
            remark = signature_remark(ctx.work.original(source), trust_roots(ctx.settings))
            if remark:
                remarks[source.sha256] = remark
        elif SIGNED_KEY in source.metadata:  # a sealed OFD: its seals were checked at intake
            remarks[source.sha256] = source.metadata[SIGNED_KEY]
    return remarks


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


# -- publish -----------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """A published version and the audit event that records it (the Audit hook writes it)."""

    summary: DossierVersion
    event: AuditEvent


def publish(
    ctx: CaseContext, binding: Binding, engine_key: str, journal: Journal | None = None, **extra: object
) -> Published:
    """Seal originals, page images, OCR results and the volumes' PDFs, then the manifest (last).

    Each volume's PDF is noted in the JOURNAL before it is sealed (see ``Journal``).
    The manifest also lists what this version keeps of the previous one, so each
    version's manifest names every object it consists of.
    """
    volumes = [v for v in binding.volumes if isinstance(v, SignedVolume)]
    if len(volumes) != len(binding.volumes):
        raise StageError(f"case {ctx.case}: publishing a volume that is not signed")
    if journal is not None:
        for v in volumes:
            added = [d.source_sha256 for d in binding.documents if d.volume == v.volume and d.source_sha256 not in
                     ctx.known_sources]
            journal.note_signed(ctx.case, ctx.version, v.volume, {
                "key": volume_key(ctx.case, ctx.version, volume_role(v.volume), sha256_file(v.pdf)),
                "entries": [e.model_dump(mode="json") for e in v.entries],
                "documents": added,
                "provenance": binding.provenance,
                "user": ctx.settings.user,
            })
    inputs = [s.path.name for s in binding.sources]
    volume_pages = {v.volume: page_count(v.pdf) for v in volumes}
    origin = provenance(ctx.settings, ctx.store, engine_key, inputs, signed_inputs=binding.remarks,
                        volume_pages=volume_pages, **binding.provenance, **extra)
    entries = [e for v in volumes for e in v.entries]
    manifest = publish_version(ctx.store, ctx.case, ctx.version, binding.documents, binding.sources,
                               [v.pdf for v in volumes], entries, origin, jobs=ctx.settings.storage.jobs,
                               work=ctx.work, previous=ctx.previous)
    summary = summary_of(manifest)
    return Published(summary, publication_event(summary, binding.sources, **extra))


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


def publication_event(summary: DossierVersion, sources: Sequence[SourceFile], **detail: object) -> AuditEvent:
    """The audit entry for a published version, the same whichever runner published it."""
    return AuditEvent(
        action="publish",
        case=summary.case,
        objects={"dossier.pdf": summary.pdf_sha256, **{src.path.name: src.sha256 for src in sources}},
        detail={"version": summary.version, "pages": summary.pages, "documents": len(summary.documents), **detail},
    )


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
    work: WorkArea | None = None,
    previous: Manifest | None = None,
) -> Manifest:
    """Seal the new originals, page images and OCR results and the PDFs (one per volume), then the manifest.

    PDF is the main volume's file, or the volumes' files named as
    ``bind.volumes.volume_file_name`` names them (any folder).  PREVIOUS is version VERSION - 1's
    manifest (read here when not given); WORK finds the bytes of pages by hash,
    here or in the store (without it, pages must carry local paths).
    """
    if previous is None and version > 1:
        previous = read_manifest(store, case, version - 1)
    new = {source.sha256: source for source in new_sources}
    pdfs = [pdf] if isinstance(pdf, Path) else list(pdf)
    fresh = [d for d in documents if d.source_sha256 in new]
    objects = _objects(case, list(new.values()), fresh, pdfs, version, work)
    inherited = _inherited(previous)
    return publish_manifest(
        store,
        case,
        version,
        objects,
        provenance,
        documents=[identity_document(d).model_dump(mode="json") for d in documents],
        catalogue=[e.model_dump(mode="json") for e in entries],
        inherited=inherited,
        jobs=jobs,
    )


def _inherited(previous: Manifest | None) -> list[ManifestEntry]:
    """What a new version keeps of the previous one: everything but its dossier PDFs (one per volume).

    An archived version's volumes are kept too, under roles naming that version
    (``pipeline/case_volumes.py``): later versions bind new volumes beside them
    and still list them (docs/archive.md).
    """
    if previous is None:
        return []
    sealed = archived_record(previous) is not None
    kept = []
    for entry in previous.objects:
        if not entry.role.startswith("dossier"):
            kept.append(entry)
        elif sealed:
            kept.append(entry.model_copy(update={"role": sealed_role(entry.role, previous.version)}))
    return kept


def identity_document(document: Document) -> Document:
    return document.model_copy(update={"pages": tuple(identity(p) for p in document.pages)})


def _objects(
    case: CaseNumber,
    sources: Sequence[SourceFile],
    docs: Sequence[Document],
    pdfs: Sequence[Path],
    version: int,
    work: WorkArea | None,
) -> list[tuple[str, Path | bytes, str]]:
    by_hash = {s.sha256: s for s in sources}
    objects: list[tuple[str, Path | bytes, str]] = []
    for source in sources:
        original = work.original(source) if work else source.path
        objects.append((layout.original_key(case, source.sha256, source.path.suffix), original, "original"))
    # An OFD's or Word file's pages are bound from the PDF it was converted to: kept where the work area looks.
    for doc in docs:
        source = by_hash[doc.source_sha256]
        if source.media_type != "application/pdf" and any(p.kind == "born_digital" for p in doc.pages):
            converted = work.born_digital_pdf(source) if work else next(p.pdf for p in doc.pages if p.pdf)
            if converted is not None:
                objects.append((layout.original_key(case, source.sha256, ".pdf"), converted, "converted"))
    for doc in docs:
        for page, result in zip(doc.pages, doc.ocr, strict=True):
            local = work.local(page, by_hash[doc.source_sha256]) if work and page.kind == "raster" else page
            objects.extend(page_objects(case, local))
            if result is not None:
                key, body = ocr_object(case, page, result)
                objects.append((key, body, "ocr"))
    for pdf in pdfs:
        role = volume_role(volume_of_file(pdf.name))
        objects.append((volume_key(case, version, role, sha256_file(pdf)), pdf, role))
    return objects


def volume_key(case: CaseNumber, version: int, role: str, sha256: str) -> str:
    """Store key of a volume PDF of version VERSION with manifest role ROLE.

    The main volume where the store layout puts a dossier; 副卷 (and sealed
    volumes) beside it, also named by content.
    """
    if role == "dossier":
        return layout.dossier_key(case, version, sha256)
    return layout.version_key(case, version, f"{role}-{sha256}.pdf")


def summary_of(manifest: Manifest) -> DossierVersion:
    """The published version as the clerk sees it, from its manifest."""
    dossiers = sorted((o for o in manifest.objects if o.role.startswith("dossier")), key=lambda o: o.role)
    pdf = dossiers[0]  # the main volume ("dossier") when there is one
    entries = tuple(DocumentEntry.model_validate(e) for e in manifest.catalogue)
    # the main volume's whole PDF (cover to closing sheet); older manifests only have the catalogue
    pages = manifest.provenance.get("volume_pages", {}).get("main") or max((e.last_page for e in entries), default=0)
    return DossierVersion(
        case=manifest.case,
        version=manifest.version,
        pages=pages,
        documents=entries,
        pdf_sha256=pdf.sha256,
        created=manifest.created,
    )
