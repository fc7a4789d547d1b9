"""Verify a dossier PDF: every signature intact, trusted, and the last one covering every byte.

Besides pyHanko's validation, the bytes a signature cannot cover (its own
``/Contents`` hex string) are checked to be exactly what the signer wrote, so
that changing any single byte of the file makes verification fail.
"""

from __future__ import annotations

import binascii
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from edossier.errors import InputFileError


@dataclass
class SignatureReport:
    field: str
    signer: str
    signing_time: str | None
    intact: bool
    valid: bool
    trusted: bool
    coverage: str
    modification_level: str | None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and not self.problems


@dataclass
class VerifyReport:
    path: str
    signatures: list[SignatureReport]
    problems: list[str]

    @property
    def valid(self) -> bool:
        return bool(self.signatures) and not self.problems and all(s.ok for s in self.signatures)

    def as_dict(self) -> dict[str, object]:
        return {
            "valid": self.valid,
            "path": self.path,
            "signatures": [
                {**s.__dict__, "ok": s.ok} for s in self.signatures
            ],
            "problems": self.problems + [f"{s.field}: {p}" for s in self.signatures for p in s.problems],
        }


def verify_pdf(path: Path, trust_roots: Iterable[Path] = ()) -> VerifyReport:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(path, f"cannot be read ({exc.strerror})") from None
    roots = [load_cert_from_pemder(str(root)) for root in trust_roots]
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    problems: list[str] = []
    reports: list[SignatureReport] = []
    try:
        with open(path, "rb") as handle:
            reader = PdfFileReader(handle, strict=False)
            signatures = list(reader.embedded_signatures)
            if not signatures:
                problems.append("the PDF carries no signature")
            for index, sig in enumerate(signatures):
                reports.append(_check(sig, data, context, last=index == len(signatures) - 1))
    except Exception as exc:  # any parse failure means the file is not what was signed
        problems.append(f"cannot be parsed as a signed PDF: {type(exc).__name__}: {exc}")
    return VerifyReport(path=str(path), signatures=reports, problems=problems)


def _check(sig, data: bytes, context: ValidationContext, last: bool) -> SignatureReport:  # type: ignore[no-untyped-def]
    problems: list[str] = []
    try:
        status = validate_pdf_signature(sig, context)
    except (SignatureValidationError, ValueError, KeyError) as exc:
        return SignatureReport(sig.field_name, "?", None, False, False, False, "unknown", None, [str(exc)])
    problems.extend(_contents_problems(sig, data))
    coverage = status.coverage.name if status.coverage is not None else "UNKNOWN"
    if last and coverage != "ENTIRE_FILE":
        problems.append("bytes were added after the last signature")
    if not status.intact:
        problems.append("the signed bytes were changed after signing")
    elif not status.valid:
        problems.append("the signature value does not match the signer's key")
    elif not status.trusted:
        problems.append("signer certificate is not trusted by the configured roots")
    level = status.modification_level.name if status.modification_level is not None else None
    return SignatureReport(
        field=sig.field_name,
        signer=status.signing_cert.subject.human_friendly if status.signing_cert else "?",
        signing_time=status.signer_reported_dt.isoformat() if status.signer_reported_dt else None,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        coverage=coverage,
        modification_level=level,
        problems=problems,
    )


def _contents_problems(sig, data: bytes) -> list[str]:  # type: ignore[no-untyped-def]
    """The signature's own hex string must be exactly what the signer wrote."""
    byte_range = list(sig.byte_range)
    gap = data[byte_range[1] : byte_range[2]]
    contents = sig.sig_object.get_object()["/Contents"]
    raw = bytes(contents.original_bytes if hasattr(contents, "original_bytes") else contents)
    canonical = b"<" + binascii.hexlify(raw) + b">"
    if gap not in (canonical, canonical.upper()):
        return ["the signature value was altered"]
    if any(raw[_der_length(raw) :]):
        return ["bytes after the signature value were altered"]
    return []


def _der_length(raw: bytes) -> int:
    if len(raw) < 2:
        return len(raw)
    first = raw[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    return 2 + count + int.from_bytes(raw[2 : 2 + count], "big")
