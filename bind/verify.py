"""Verify a dossier PDF: every signature intact, trusted, and the last one covering every byte.

Besides pyHanko's validation, the bytes a signature cannot cover (its own
``/Contents`` hex string) are checked to be exactly what the signer wrote, so
that changing any single byte of the file makes verification fail.
"""

from __future__ import annotations

import binascii
import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from asn1crypto import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, DiffPolicy, ModificationLevel
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import (
    DocumentTimestampStatus, ModificationInfo, PdfSignatureStatus, SignatureCoverageLevel,
)
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko_certvalidator import ValidationContext

from edossier.bind.growth_policy import DOSSIER_DIFF_POLICY
from edossier.bind.ltv import certificate_expiry, load_roots, provable_until, signature_level, validate_at
from edossier.errors import InputFileError


TRUST_PROBLEMS = (
    "signer certificate is not trusted by the configured roots",
    "the signature timestamp does not validate against the configured roots",
    "the timestamp authority is not trusted by the configured roots",
    "not provable as of",
)
"""What fails when only trust is missing (the bytes and the signature value are sound)."""


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
    problems: list[str] = dataclasses.field(default_factory=list)  # not field(): a member is named so
    timestamp: str | None = None
    """Time asserted by the timestamp authority (PAdES B-T); None for B-B."""
    kind: str = "signature"
    """"signature", or "document timestamp" (PAdES B-LTA: proves the file existed, signs nothing)."""
    level: str | None = None
    """PAdES level of a signature: B-B, B-T, B-LT or B-LTA (bind/ltv.py)."""
    provable_until: str | None = None
    """Until when the file alone proves this signature (the newest timestamp authority's certificate)."""

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and not self.problems


@dataclass
class VerifyReport:
    path: str
    signatures: list[SignatureReport]
    problems: list[str]
    at: str | None = None
    """The moment validated as of (--at); None = now, with the roots' current view."""

    @property
    def valid(self) -> bool:
        return bool(self.signatures) and not self.problems and all(s.ok for s in self.signatures)

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "path": self.path,
            "at": self.at,
            "signatures": [
                {**s.__dict__, "ok": s.ok} for s in self.signatures
            ],
            "problems": self.problems + [f"{s.field}: {p}" for s in self.signatures for p in s.problems],
        }


def verify_pdf(
    path: Path, trust_roots: Iterable[Path] = (), at: dt.datetime | None = None, *, outside: bool = False
) -> VerifyReport:
    """Check every signature and document timestamp of PATH, offline.

    AT validates as of that moment with only what the file carries (PAdES
    long-term validation, bind/ltv.py) instead of now; a B-LTA signature is
    always judged that way (as of now without AT).  OUTSIDE is for a file
    someone else signed: it is judged by pyHanko's own rules for what may change
    after a signature, not by how a dossier grows, and its last signature need
    not cover the whole file.
    """
    if not path.is_file():
        raise InputFileError(path, "cannot be read (no such file)")
    roots = load_roots(trust_roots)
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    problems: list[str] = []
    reports: list[SignatureReport] = []
    policy = DEFAULT_DIFF_POLICY if outside else DOSSIER_DIFF_POLICY
    try:
        with open(path, "rb") as handle:
            reader = PdfFileReader(handle, strict=False)
            signatures = list(reader.embedded_signatures)
            if not signatures:
                problems.append("the PDF carries no signature")
            stamps = [s for s in signatures if s.sig_object_type == "/DocTimeStamp"]
            # a signature a document timestamp covers (B-LTA) is judged by long-term validation, now or at AT:
            # once its certificates expire, that is the only way it can still be proven
            long_term = {id(s) for s in signatures if s not in stamps and (at or signature_level(s, stamps) == "B-LTA")}
            moment = at or dt.datetime.now(dt.timezone.utc)
            for index, sig in enumerate(signatures):
                last = index == len(signatures) - 1 and not outside
                if sig.sig_object_type == "/DocTimeStamp":
                    reports.append(_check_timestamp(sig, handle, context, last, policy, delegated=bool(long_term)))
                else:
                    when = moment if id(sig) in long_term else None
                    reports.append(_check(sig, handle, context, last, policy, stamps, roots, when))
    except Exception as exc:  # any parse failure means the file is not what was signed
        problems.append(f"cannot be parsed as a signed PDF: {type(exc).__name__}: {exc}")
    return VerifyReport(path=str(path), signatures=reports, problems=problems, at=at.isoformat() if at else None)


def _check(
    sig: EmbeddedPdfSignature, handle: BinaryIO, context: ValidationContext, last: bool, policy: DiffPolicy,
    stamps: Sequence[EmbeddedPdfSignature], roots: Sequence[x509.Certificate], at: dt.datetime | None
) -> SignatureReport:
    """A signature: integrity and changes after it always; trust now, or as of AT by PAdES long-term validation."""
    problems: list[str] = []
    try:
        status = validate_pdf_signature(sig, context, diff_policy=policy)
    except (SignatureValidationError, ValueError, KeyError) as exc:
        return SignatureReport(sig.field_name, "?", None, False, False, False, "unknown", None, [str(exc)])
    problems.extend(_contents_problems(sig, handle))
    coverage = status.coverage.name if status.coverage is not None else "UNKNOWN"
    if last and not _covers_all(status):
        problems.append("bytes were added after the last signature")
    if not status.docmdp_ok:
        problems.append(_modification_problem(status))
    trusted = bool(status.trusted)
    if at is not None and status.intact and status.valid:
        long_term = validate_at(sig, roots, at)
        trusted = long_term.passed
        if not trusted:
            problems.append(f"{TRUST_PROBLEMS[3]} {at.date().isoformat()}: {long_term.verdict}: {long_term.reason}")
    if not status.intact:
        problems.append("the signed bytes were changed after signing")
    elif not status.valid:
        problems.append("the signature value does not match the signer's key")
    elif at is None and not trusted:
        problems.append(TRUST_PROBLEMS[0])
    stamp = status.timestamp_validity
    if at is None and stamp is not None and not (stamp.intact and stamp.valid and stamp.trusted):
        problems.append(TRUST_PROBLEMS[1])
    return _report(
        sig, status, trusted, coverage, problems,
        signing_time=status.signer_reported_dt.isoformat() if status.signer_reported_dt else None,
        timestamp=stamp.timestamp.isoformat() if stamp is not None else None,
        level=signature_level(sig, stamps),
        provable_until=provable_until(sig, stamps).isoformat(),
    )


def _check_timestamp(
    sig: EmbeddedPdfSignature, handle: BinaryIO, context: ValidationContext, last: bool, policy: DiffPolicy,
    delegated: bool
) -> SignatureReport:
    """A document timestamp, validated as a timestamp.

    DELEGATED: its trust is judged within the long-term validation of the
    signatures it covers (the chain of timestamps is their evidence record),
    not by whether its authority's certificate is still valid today.
    """
    problems: list[str] = []
    try:
        status = validate_pdf_timestamp(sig, validation_context=context, diff_policy=policy)
    except (SignatureValidationError, ValueError, KeyError) as exc:
        return SignatureReport(sig.field_name, "?", None, False, False, False, "unknown", None, [str(exc)],
                               kind="document timestamp")
    problems.extend(_contents_problems(sig, handle))
    coverage = status.coverage.name if status.coverage is not None else "UNKNOWN"
    if last and not _covers_all(status):
        problems.append("bytes were added after the last document timestamp")
    level = status.modification_level
    if isinstance(status.diff_result, Exception) or level is None or level > ModificationLevel.ANNOTATIONS:
        problems.append(_modification_problem(status))
    trusted = bool(status.trusted) or delegated
    if not status.intact:
        problems.append("the timestamped bytes were changed")
    elif not status.valid:
        problems.append("the timestamp's signature does not match the authority's key")
    elif not trusted:
        problems.append(TRUST_PROBLEMS[2])
    return _report(
        sig, status, trusted, coverage, problems,
        signing_time=status.timestamp.isoformat() if status.timestamp else None,
        timestamp=status.timestamp.isoformat() if status.timestamp else None,
        kind="document timestamp",
        provable_until=certificate_expiry(sig.signer_cert).isoformat(),
    )


def _report(
    sig: EmbeddedPdfSignature, status: PdfSignatureStatus | DocumentTimestampStatus, trusted: bool, coverage: str, problems: list[str], **rest: str | None
) -> SignatureReport:
    """The report fields a signature and a document timestamp share, from pyHanko's STATUS."""
    return SignatureReport(
        field=sig.field_name,
        signer=status.signing_cert.subject.human_friendly if status.signing_cert else "?",
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=trusted,
        coverage=coverage,
        modification_level=status.modification_level.name if status.modification_level is not None else None,
        problems=problems,
        **rest,  # type: ignore[arg-type]  # each caller passes the fields' own types
    )


def _covers_all(status: ModificationInfo) -> bool:
    """The whole file, or its revision followed only by validation material (a DSS update, PAdES B-LTA)."""
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return True
    return status.coverage == SignatureCoverageLevel.ENTIRE_REVISION and status.modification_level in (
        ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)


def _modification_problem(status: ModificationInfo) -> str:
    detail = status.diff_result if isinstance(status.diff_result, Exception) else status.modification_level
    return f"the file was changed after this signature in a way a dossier never grows: {detail}"


def _contents_problems(sig: EmbeddedPdfSignature, handle: BinaryIO) -> list[str]:
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
    """For a signed input: its signatures' state at intake, for the catalogue; None when unsigned.

    The file is judged as what it is: someone else's PDF (pyHanko's own rules
    for later changes, not a dossier's), document timestamps as timestamps,
    long-term signatures as of now with what they carry.  A signature pyHanko
    cannot even parse is a broken one.
    """
    try:
        with open(path, "rb") as handle:
            filled = [f for f in enumerate_sig_fields(PdfFileReader(handle, strict=False), filled_status=True)]
    except Exception:  # not a PDF pyHanko can read: it cannot carry a signature we could check
        return None
    if not filled:
        return None
    report = verify_pdf(path, trust_roots, outside=True)
    if report.valid:
        return "原件电子签名有效"
    if report.signatures and not report.problems and all(_only_trust_problems(s) for s in report.signatures):
        return "原件电子签名完整，签名人未列入信任根"
    return "原件电子签名无效"


def _only_trust_problems(sig: SignatureReport) -> bool:
    return sig.intact and sig.valid and all(p.startswith(TRUST_PROBLEMS) for p in sig.problems)
