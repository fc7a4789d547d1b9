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
from typing import BinaryIO

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from edossier.bind.growth_policy import DOSSIER_DIFF_POLICY
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
    timestamp: str | None = None
    """Time asserted by the timestamp authority (PAdES B-T); None for B-B."""

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
    if not path.is_file():
        raise InputFileError(path, "cannot be read (no such file)")
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
                reports.append(_check(sig, handle, context, last=index == len(signatures) - 1))
    except Exception as exc:  # any parse failure means the file is not what was signed
        problems.append(f"cannot be parsed as a signed PDF: {type(exc).__name__}: {exc}")
    return VerifyReport(path=str(path), signatures=reports, problems=problems)


def _check(sig, handle: BinaryIO, context: ValidationContext, last: bool) -> SignatureReport:  # type: ignore[no-untyped-def]
    problems: list[str] = []
    try:
        status = validate_pdf_signature(sig, context, diff_policy=DOSSIER_DIFF_POLICY)
    except (SignatureValidationError, ValueError, KeyError) as exc:
        return SignatureReport(sig.field_name, "?", None, False, False, False, "unknown", None, [str(exc)])
    problems.extend(_contents_problems(sig, handle))
    coverage = status.coverage.name if status.coverage is not None else "UNKNOWN"
    if last and coverage != "ENTIRE_FILE":
        problems.append("bytes were added after the last signature")
    if not status.docmdp_ok:
        problems.append(_modification_problem(status))
    if not status.intact:
        problems.append("the signed bytes were changed after signing")
    elif not status.valid:
        problems.append("the signature value does not match the signer's key")
    elif not status.trusted:
        problems.append("signer certificate is not trusted by the configured roots")
    stamp = status.timestamp_validity
    if stamp is not None and not (stamp.intact and stamp.valid and stamp.trusted):
        problems.append("the signature timestamp does not validate against the configured roots")
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
        timestamp=stamp.timestamp.isoformat() if stamp is not None else None,
    )


def _modification_problem(status) -> str:  # type: ignore[no-untyped-def]
    detail = status.diff_result if isinstance(status.diff_result, Exception) else status.modification_level
    return f"the file was changed after this signature in a way a dossier never grows: {detail}"


def _contents_problems(sig, handle: BinaryIO) -> list[str]:  # type: ignore[no-untyped-def]
    """The signature's own hex string must be exactly what the signer wrote (read alone: files can be large)."""
    byte_range = list(sig.byte_range)
    position = handle.tell()
    handle.seek(byte_range[1])
    gap = handle.read(byte_range[2] - byte_range[1])
    handle.seek(position)
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


def signature_remark(path: Path, trust_roots: Iterable[Path] = ()) -> str | None:
    """For a signed input: its signatures' state at intake, for the catalogue; None when unsigned."""
    try:
        with open(path, "rb") as handle:
            if not list(PdfFileReader(handle, strict=False).embedded_signatures):
                return None
    except Exception:  # not a PDF pyHanko can read: it cannot carry a signature we could check
        return None
    report = verify_pdf(path, trust_roots)
    if report.valid:
        return "原件电子签名有效"
    if report.signatures and all(s.intact and s.valid for s in report.signatures):
        return "原件电子签名完整，签名人未列入信任根"
    return "原件电子签名无效"
