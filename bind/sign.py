"""Seal a dossier version: one incremental update that adds its pages, its bookmarks and a signature.

The first version signs the assembled file; each later one appends to the
previous version's signed file without rewriting a byte of it, so every
earlier signature keeps validating for its own revision (growth_policy says
what the later revisions may change).  PAdES B-B, or B-T when a timestamp
authority is configured; B-LT when the validation material (chain, OCSP and
CRL answers) is embedded as well, in the signed revision itself; B-LTA with a
document timestamp over it (see bind/ltv.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from asn1crypto import keys as asn1_keys, x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, pkcs12
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import _ObjectImporter  # pyHanko's own deep copy; the public one copies per call
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_signer import (
    DSSContentSettings,
    SigDSSPlacementPreference,
    TimestampDSSContentSettings,
)
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from edossier import __version__
from edossier.bind.assemble import Bookmark, DossierMetadata
from edossier.bind.ltv import Level, fetching_context
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
    embed_validation_info: bool = False
    """B-LT: fetch the chain and revocation answers at signing and sign them into the file (needs a timestamp)."""
    archive_timestamp: bool = False
    """B-LTA: a document timestamp right after the signature."""
    trust_roots: tuple[Path, ...] = ()
    """roots the embedded chain must lead to (B-LT, B-LTA)."""

    @property
    def level(self) -> Level:
        if self.timestamp_url is None:
            return "B-B"
        if self.embed_validation_info:
            return "B-LTA" if self.archive_timestamp else "B-LT"
        return "B-T"


def load_signer(spec: SignatureSpec) -> signers.SimpleSigner:
    """The signer of SPEC's PKCS#12 file: its key and certificate, and the other certificates the file holds."""
    try:
        key, certificate, others = pkcs12.load_key_and_certificates(spec.pkcs12.read_bytes(), spec.passphrase)
    except (OSError, ValueError) as exc:
        raise StageError(f"{spec.pkcs12}: cannot load the signing key ({exc}; wrong passphrase?)") from None
    if key is None or certificate is None:
        raise StageError(f"{spec.pkcs12}: cannot load the signing key (the file holds no key and certificate)")
    registry = SimpleCertificateStore()
    registry.register_multiple(_asn1_certificate(other) for other in others)
    pkcs8 = key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    return _LoadedKeySigner(
        key,
        signing_key=asn1_keys.PrivateKeyInfo.load(pkcs8),
        signing_cert=_asn1_certificate(certificate),
        cert_registry=registry,
    )


def _asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    """CERTIFICATE as pyHanko holds certificates (asn1crypto)."""
    return asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))


class _LoadedKeySigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner, signing with the key as loaded once, and sizing the signature without making it.

    SimpleSigner parses its private key again, with cryptography's full RSA key
    check, for every signature it makes (0.11 s each on the 2-core EPYC), and it
    makes a real signature in the dry run with which pyHanko sizes the signature
    container: two key checks and two RSA signatures for each volume sealed
    (notes/issue-18.md, session 13).  pyHanko's signer interface lets a dry run
    return placeholder bytes as long as the signature (``async_sign_raw``); an RSA
    signature is exactly as long as the key's modulus.  Other keys, and RSA with
    any other mechanism, go through SimpleSigner unchanged.
    """

    def __init__(self, key: PrivateKeyTypes, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._key = key

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run and isinstance(self._key, RSAPrivateKey):
            return bytes(-(-self._key.key_size // 8))
        return self.sign_raw(data, digest_algorithm)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        try:  # as SimpleSigner reads the mechanism
            algorithm = mechanism.signature_algo
        except ValueError:
            algorithm = mechanism["algorithm"].native
        if isinstance(self._key, RSAPrivateKey) and algorithm == "rsassa_pkcs1v15":
            return self._key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
        return super().sign_raw(data, digest_algorithm)


def seal_version(
    base: Path,
    output: Path,
    spec: SignatureSpec,
    meta: DossierMetadata,
    bookmarks: Sequence[Bookmark],
    addition: Path | None = None,
    earlier: Sequence[Bookmark] | None = None,
) -> None:
    """Write OUTPUT = BASE + (ADDITION's pages, the whole outline, metadata, signature).

    BASE is the assembled first version, or the previous signed version when
    ADDITION holds the pages of a later one.  BOOKMARKS are this version's own;
    earlier ones are read back from BASE, unless EARLIER gives them (a catalogue
    correction renames and renumbers the documents' bookmarks).
    """
    signer = load_signer(spec)
    long_term = spec.level in ("B-LT", "B-LTA")
    metadata = signers.PdfSignatureMetadata(
        field_name=spec.field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=spec.reason,
        location=spec.location or None,
        embed_validation_info=long_term,
        validation_context=fetching_context(spec.trust_roots) if long_term else None,
        use_pades_lta=spec.level == "B-LTA",
        # the material goes into the signed revision itself, so the signature still covers the whole file
        dss_settings=DSSContentSettings(
            placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE,
            include_vri=False,
            next_ts_settings=TimestampDSSContentSettings(include_vri=False, update_before_ts=True),
        ),
    )
    timestamper = timestamps.HTTPTimeStamper(spec.timestamp_url) if spec.timestamp_url else None
    tmp = output.with_name(output.name + ".part")
    # read-write, so pyHanko signs in the file itself instead of a copy of it in memory
    try:
        with open(base, "rb") as inf, open(tmp, "w+b") as outf:
            writer = IncrementalPdfFileWriter(inf, strict=False)
            earlier = read_bookmarks(writer.prev) if earlier is None else earlier
            if addition is not None:
                with open(addition, "rb") as extra:
                    _append_pages(writer, PdfFileReader(extra, strict=False))
                    _finish(writer, meta, [*earlier, *bookmarks], signer, metadata, timestamper, outf)
            else:
                _finish(writer, meta, [*earlier, *bookmarks], signer, metadata, timestamper, outf)
    except (SigningError, PathBuildingError, PathValidationError) as exc:
        tmp.unlink(missing_ok=True)
        raise StageError(f"{spec.pkcs12}: cannot sign at {spec.level}: {exc}") from None
    tmp.replace(output)


def _finish(
    writer: IncrementalPdfFileWriter, meta: DossierMetadata, bookmarks: Sequence[Bookmark],
    signer: signers.SimpleSigner, metadata: signers.PdfSignatureMetadata,
    timestamper: timestamps.HTTPTimeStamper | None, outf: BinaryIO,
) -> None:
    write_outline(writer, bookmarks, meta.volume)
    info = writer.document_meta
    info.title = meta.title
    info.author = meta.bound_by
    info.subject = meta.case
    info.keywords = list(meta.keywords)
    info.creator = f"edossier {__version__}"
    # the widget sits on this version's closing sheet (its last page), a page no earlier signature covers
    assert metadata.field_name is not None  # seal_version always names the field
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
