"""PAdES signing with pyHanko, as an incremental update over the assembled PDF."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers, timestamps

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


def sign_pdf(unsigned: Path, signed: Path, spec: SignatureSpec) -> None:
    try:
        signer = signers.SimpleSigner.load_pkcs12(str(spec.pkcs12), passphrase=spec.passphrase)
    except (OSError, ValueError) as exc:
        raise StageError(f"{spec.pkcs12}: cannot load the signing key ({exc})") from None
    if signer is None:
        raise StageError(f"{spec.pkcs12}: cannot load the signing key (wrong passphrase?)")
    metadata = signers.PdfSignatureMetadata(
        field_name=spec.field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=spec.reason,
        location=spec.location or None,
    )
    timestamper = timestamps.HTTPTimeStamper(spec.timestamp_url) if spec.timestamp_url else None
    tmp = signed.with_name(signed.name + ".part")
    with open(unsigned, "rb") as inf, open(tmp, "wb") as outf:
        writer = IncrementalPdfFileWriter(inf, strict=False)
        signers.sign_pdf(writer, metadata, signer=signer, timestamper=timestamper, output=outf)
    tmp.replace(signed)
