"""Seal a dossier version: one incremental update that adds its pages, its bookmarks and a signature.

The first version signs the assembled file; each later one appends to the
previous version's signed file without rewriting a byte of it, so every
earlier signature keeps validating for its own revision (growth_policy says
what the later revisions may change).  PAdES B-B, or B-T when a timestamp
authority is configured.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import _ObjectImporter  # pyHanko's own deep copy; the public one copies per call
from pyhanko.sign import fields, signers, timestamps

from edossier import __version__
from edossier.bind.assemble import Bookmark, DossierMetadata
from edossier.bind.outline import read_bookmarks, write_outline
from edossier.errors import StageError


@dataclass(frozen=True)
class SignatureSpec:
    """Everything that decides a signature, as one value that can be logged and compared."""

    pkcs12: Path
    passphrase: bytes | None
    field_name: str
    reason: str
    location: str = ""
    timestamp_url: str | None = None


def load_signer(spec: SignatureSpec) -> signers.SimpleSigner:
    try:
        signer = signers.SimpleSigner.load_pkcs12(str(spec.pkcs12), passphrase=spec.passphrase)
    except (OSError, ValueError) as exc:
        raise StageError(f"{spec.pkcs12}: cannot load the signing key ({exc})") from None
    if signer is None:
        raise StageError(f"{spec.pkcs12}: cannot load the signing key (wrong passphrase?)")
    return signer


def seal_version(
    base: Path,
    output: Path,
    spec: SignatureSpec,
    meta: DossierMetadata,
    bookmarks: Sequence[Bookmark],
    addition: Path | None = None,
) -> None:
    """Write OUTPUT = BASE + (ADDITION's pages, the whole outline, metadata, signature).

    BASE is the assembled first version, or the previous signed version when
    ADDITION holds the pages of a later one.  BOOKMARKS are this version's own;
    earlier ones are read back from BASE.
    """
    signer = load_signer(spec)
    metadata = signers.PdfSignatureMetadata(
        field_name=spec.field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=spec.reason,
        location=spec.location or None,
    )
    timestamper = timestamps.HTTPTimeStamper(spec.timestamp_url) if spec.timestamp_url else None
    tmp = output.with_name(output.name + ".part")
    # read-write, so pyHanko signs in the file itself instead of a copy of it in memory
    with open(base, "rb") as inf, open(tmp, "w+b") as outf:
        writer = IncrementalPdfFileWriter(inf, strict=False)
        earlier = read_bookmarks(writer.prev)
        if addition is not None:
            with open(addition, "rb") as extra:
                _append_pages(writer, PdfFileReader(extra, strict=False))
                _finish(writer, meta, [*earlier, *bookmarks], signer, metadata, timestamper, outf)
        else:
            _finish(writer, meta, [*earlier, *bookmarks], signer, metadata, timestamper, outf)
    tmp.replace(output)


def _finish(writer, meta, bookmarks, signer, metadata, timestamper, outf) -> None:  # type: ignore[no-untyped-def]
    write_outline(writer, bookmarks, meta.volume)
    info = writer.document_meta
    info.title = meta.title
    info.author = meta.bound_by
    info.subject = meta.case
    info.keywords = list(meta.keywords)
    info.creator = f"edossier {__version__}"
    # the widget sits on this version's closing sheet (its last page), a page no earlier signature covers
    field = fields.SigFieldSpec(metadata.field_name, on_page=-1)
    signers.sign_pdf(writer, metadata, signer=signer, timestamper=timestamper, new_field_spec=field, output=outf)


def _append_pages(writer: IncrementalPdfFileWriter, addition: PdfFileReader) -> None:
    """Copy every page of ADDITION after the last page, in one import so shared fonts are copied once."""
    pages = []
    stack = [addition.root["/Pages"]]
    while stack:
        node = stack.pop()
        if node.get("/Type") == "/Pages":
            kids = node["/Kids"]
            stack.extend(kids[i] for i in reversed(range(len(kids))))
        else:
            pages.append(generic.DictionaryObject({k: node.raw_get(k) for k in node if k != "/Parent"}))
    # the addition's pages inherit nothing (pikepdf writes every page complete);
    # one importer for all pages, so objects they share are copied once
    importer = _ObjectImporter(source=addition, target=writer, reference_map={}, obj_stream=None)
    for page in pages:
        writer.insert_page(importer.import_object(page))
