"""Long-term validation: signatures that can still be proven decades after the certificates lapse.

A dossier kept for thirty years outlives its signing certificate, the
timestamp authority's certificate and maybe the CA's servers.  PAdES answers
with levels: B-LT puts the whole chain and the revocation answers (OCSP, CRL)
into the file at signing; B-LTA adds a document timestamp over everything,
and each later document timestamp re-proves the ones before it before their
authority's certificate expires.  Verification "as of" a date then needs
nothing but the file and the trust roots.  pyHanko does the PAdES work; this
module chooses its settings and says what a file proves, and until when.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from asn1crypto import cms, x509
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers, timestamps
from pyhanko.sign.general import SigningError, extract_certificate_info
from pyhanko.sign.validation import ades
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.dss import DocumentSecurityStore, collect_validation_info
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.policy_decl import (
    LocalKnowledge,
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError, RevokedError
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy, NonRevokedStatusAssertion
from pyhanko_certvalidator.registry import SimpleTrustManager

from edossier.errors import StageError

Level = Literal["B-B", "B-T", "B-LT", "B-LTA"]

# pyHanko logs every path it tried and gave up on, with tracebacks; the verdict is what we report
for _name in ("pyhanko.sign.validation", "pyhanko.sign.signers.pdf_signer", "pyhanko_certvalidator"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)


def load_roots(paths: Iterable[Path]) -> list[x509.Certificate]:
    return [load_cert_from_pemder(str(path)) for path in paths]


def fetching_context(trust_roots: Iterable[Path], moment: dt.datetime | None = None) -> ValidationContext:
    """For signing and archiving: chains and revocation answers fetched from the CA's responders, all required."""
    return ValidationContext(
        trust_roots=load_roots(trust_roots), allow_fetching=True, revocation_mode="require", moment=moment
    )


def add_archive_timestamp(
    pdf: Path,
    output: Path,
    tsa_url: str,
    trust_roots: Sequence[Path],
    *,
    renewal: bool = False,
    moment: dt.datetime | None = None,
) -> None:
    """OUTPUT = PDF + appended revisions: a document timestamp, then fresh validation material after it.

    The order is what PAdES long-term validation needs: a revocation answer
    only helps a later verifier when it was issued after something proved the
    certificates existed (a timestamp), and is itself proven by the next
    timestamp.  So each archive timestamp is followed by a DSS update with
    answers fetched after it, and each renewal first stores the newest answers
    for the previous timestamp, then timestamps over them.

    Archiving (RENEWAL false) also checks every signature's chain: a revoked
    signer or a missing revocation answer refuses with the reason.  Renewal
    touches only the timestamp chain: a signer revoked after signing (the
    ordinary fate of a certificate over thirty years) does not stop it, and
    the earlier timestamps prove the signature predates the revocation.
    (Also storing the signers' later CRLs was tried: pyHanko 0.38 then fails
    the signature with CERTIFICATE_CHAIN_GENERAL_FAILURE instead of applying
    the proof of existence, so renewal does not.)  Earlier bytes are copied
    unchanged.  MOMENT is when the answers are judged (now by default).
    """
    context = fetching_context(trust_roots, moment)
    tmp = output.with_name(output.name + ".part")
    try:
        with open(pdf, "rb") as inf, open(tmp, "w+b") as outf:
            writer = IncrementalPdfFileWriter(inf, strict=False)
            present = list(writer.prev.embedded_signatures)
            stamps = [sig for sig in present if sig.sig_object_type == "/DocTimeStamp"]
            if renewal and stamps:
                DocumentSecurityStore.supply_dss_in_writer(
                    writer, None, paths=_collect(pdf, stamps[-1:], context), validation_context=context
                )
            else:
                _collect(pdf, present, context)  # refuse before stamping anything
            name = pageless_timestamp_field(writer, len(stamps) + 1)
            stamper = signers.PdfTimeStamper(timestamps.HTTPTimeStamper(tsa_url, timeout=30), field_name=name)
            stamper.timestamp_pdf(writer, "sha256", output=outf)
            outf.seek(0)
            stamped = IncrementalPdfFileWriter(outf, strict=False)
            now_present = list(stamped.prev.embedded_signatures)
            # renewal: only the new timestamp (a signer revoked after signing is renewal's normal case)
            targets = now_present[-1:] if renewal else now_present
            paths = _collect(pdf, targets, context)
            if not renewal:
                _require_answers_after_signing(pdf, now_present, paths, context)
            DocumentSecurityStore.supply_dss_in_writer(stamped, None, paths=paths, validation_context=context)
            stamped.write_in_place()
    except (SigningError, OSError, ValueError) as exc:
        tmp.unlink(missing_ok=True)
        raise StageError(f"{pdf}: cannot add the archive timestamp from {tsa_url}: {exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(output)


def pageless_timestamp_field(writer: IncrementalPdfFileWriter, number: int) -> str:
    """An empty signature field for the archive timestamp, its (invisible) widget on no page.

    pyHanko would bind it to the first page, and a dossier's pages never change
    after they are signed (bind/growth_policy.py): this one touches only the form.
    """
    name = f"edossier-archive-{number}"
    widget = generic.DictionaryObject({
        generic.NameObject("/FT"): generic.NameObject("/Sig"),
        generic.NameObject("/T"): generic.TextStringObject(name),
        generic.NameObject("/Type"): generic.NameObject("/Annot"),
        generic.NameObject("/Subtype"): generic.NameObject("/Widget"),
        generic.NameObject("/F"): generic.NumberObject(2),  # hidden
        generic.NameObject("/Rect"): generic.ArrayObject([generic.NumberObject(0)] * 4),
    })
    ref = writer.add_object(widget)
    form_ref = writer.root.raw_get("/AcroForm")
    form = form_ref.get_object()
    form_fields = form.raw_get("/Fields")
    if isinstance(form_fields, generic.IndirectObject):
        form_fields.get_object().append(ref)
        writer.update_container(form_fields)
    else:
        form_fields.append(ref)
        writer.update_container(form if isinstance(form_ref, generic.IndirectObject) else writer.root)
    return name


def _collect(
    pdf: Path, signatures: Sequence[EmbeddedPdfSignature], context: ValidationContext
) -> list[ValidationPath]:
    """Validation paths (with their revocation answers fetched into CONTEXT) of every signature given."""
    async def collect() -> list[ValidationPath]:
        paths: list[ValidationPath] = []
        try:
            for sig in signatures:
                try:
                    paths.extend(await collect_validation_info(sig, context))
                except RevokedError as exc:
                    raise StageError(f"{pdf}: {sig.field_name}: the certificate is revoked ({exc})") from None
                except (PathBuildingError, PathValidationError) as exc:
                    raise StageError(f"{pdf}: {sig.field_name}: no valid chain with revocation answers "
                                     f"({exc})") from None
        finally:
            await context.aclose()  # the HTTP session belongs to this event loop
        return paths

    return asyncio.run(collect())


def _require_answers_after_signing(
    pdf: Path, signatures: Sequence[EmbeddedPdfSignature], paths: Sequence[ValidationPath], context: ValidationContext
) -> None:
    """Each signer has a revocation answer issued after its signature's timestamp, fetched now if need be; or refuse.

    pyHanko signs at B-LT with the answers it fetched before the signature's
    timestamp, and proves the signature decades on only with an answer issued
    after it (a certificate is proven unrevoked from the moment the signature is
    proven to exist).  Archiving normally fetches one; when the CA's OCSP
    responder did not answer (or the answer from signing was taken as fresh
    enough), the dossier was archived with only older answers and could no
    longer be proven once the signer's certificate expired (notes/issue-19.md,
    session 15).
    """
    async def fetch(cert: x509.Certificate) -> None:
        path = next((p for p in paths if p.leaf is not None and p.leaf.dump() == cert.dump()), None)
        try:
            if path is not None:
                await context.revinfo_manager.async_retrieve_ocsps(cert, path.find_issuing_authority(cert))
        except Exception as exc:  # noqa: BLE001 - any failed fetch is an answer missing, reported below
            problems[cert.dump()] = f"{type(exc).__name__}: {exc}"
        finally:
            await context.aclose()  # the HTTP session belongs to this event loop

    problems: dict[bytes, str] = {}
    for sig in signatures:
        if sig.sig_object_type == "/DocTimeStamp" or (token := _signature_timestamp(sig)) is None:
            continue  # a B-B signature is proven from the archive timestamp on: the answers fetched now are after it
        signed: dt.datetime = token["encap_content_info"]["content"].parsed["gen_time"].native
        cert = sig.signer_cert
        if not _answered_after(cert, context, signed):
            asyncio.run(fetch(cert))
        if not _answered_after(cert, context, signed):
            reason = problems.get(cert.dump(), "no OCSP answer")
            raise StageError(
                f"{pdf}: {sig.field_name}: no revocation answer for the signer issued after the signature's "
                f"timestamp ({signed.isoformat()}), so the archive could not prove it once the certificate expires; "
                f"the CA's OCSP responder gave none ({reason}) and its CRLs are older. Nothing was archived: retry "
                "when the responder answers, or after the CA publishes its next CRL"
            )


def _answered_after(cert: x509.Certificate, context: ValidationContext, moment: dt.datetime) -> bool:
    """Whether CONTEXT holds an OCSP answer about CERT produced after MOMENT, or a CRL of its issuer issued after it."""
    serial = cert.serial_number
    for response in context.ocsps:
        basic = response["response_bytes"]["response"].parsed["tbs_response_data"]
        if basic["produced_at"].native > moment and any(
            single["cert_id"]["serial_number"].native == serial for single in basic["responses"]
        ):
            return True
    return any(
        crl["tbs_cert_list"]["issuer"] == cert.issuer and crl["tbs_cert_list"]["this_update"].native > moment
        for crl in context.crls
    )


@dataclass(frozen=True)
class LongTermStatus:
    """One signature's verdict as of a date."""

    verdict: str
    """pyHanko's AdES indication: PASSED, INDETERMINATE or FAILED, with its sub-indication."""
    passed: bool
    reason: str | None = None


def signature_level(sig: EmbeddedPdfSignature, doc_timestamps: Sequence[EmbeddedPdfSignature]) -> Level:
    """B-LTA: a document timestamp covers it; B-LT: validation material in the DSS; B-T: a signature timestamp."""
    if any(ts.signed_revision > sig.signed_revision for ts in doc_timestamps):
        return "B-LTA"
    if _signature_timestamp(sig) is None:
        return "B-B"
    return "B-LT" if _has_validation_material(sig) else "B-T"


def _has_validation_material(sig: EmbeddedPdfSignature) -> bool:
    dss = DocumentSecurityStore.read_dss(sig.reader) if "/DSS" in sig.reader.root else None
    if dss is not None and (dss.ocsps or dss.crls):
        return True
    attrs = sig.signer_info["signed_attrs"]
    return any(attr["type"].native == "adobe_revocation_info_archival" for attr in attrs)


def provable_until(sig: EmbeddedPdfSignature, doc_timestamps: Sequence[EmbeddedPdfSignature]) -> dt.datetime:
    """The last moment the file alone proves SIG: while the newest timestamp's authority certificate is valid.

    Without a timestamp after signing, nothing proves when the signature was
    made, so it is provable while the signer's own certificate is valid.
    """
    newest = [ts for ts in doc_timestamps if ts.signed_revision > sig.signed_revision]
    if newest:
        return certificate_expiry(newest[-1].signer_cert)
    stamp = _signature_timestamp(sig)
    if stamp is not None and _has_validation_material(sig):
        return certificate_expiry(extract_certificate_info(stamp).signer_cert)
    return certificate_expiry(sig.signer_cert)


def _signature_timestamp(sig: EmbeddedPdfSignature) -> cms.SignedData | None:
    return next(extract_tst_data_iter(sig.signer_info, signed=False), None)


def newest_timestamp_expiry(reader: PdfFileReader) -> dt.datetime | None:
    """When the newest document timestamp's authority certificate expires (None without one): what renewal watches."""
    stamps = reader.embedded_timestamp_signatures
    return certificate_expiry(stamps[-1].signer_cert) if stamps else None


def certificate_expiry(cert: x509.Certificate) -> dt.datetime:
    """The certificate's notAfter."""
    expiry: dt.datetime = cert["tbs_certificate"]["validity"]["not_after"].native
    return expiry


def validate_at(sig: EmbeddedPdfSignature, trust_roots: Sequence[x509.Certificate], at: dt.datetime) -> LongTermStatus:
    """PAdES validation of SIG as of AT, offline, with only what the file carries (pyHanko's AdES LTA algorithm).

    Revocation answers are required for every certificate, and only those in
    the file count.  The newest document timestamp's own certificate is taken
    as not revoked at AT - no answer for the future can be in the file, and the
    next renewal adds one; this is what pyHanko assumes when it simulates a
    future validation.
    """
    reader = sig.reader
    stamps = list(reader.embedded_timestamp_signatures)
    assertions = [NonRevokedStatusAssertion(stamps[-1].signer_cert.sha256, at)] if stamps else []
    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(trust_roots=list(trust_roots)),
        revinfo_policy=CertRevTrustPolicy(REQUIRE_REVINFO),
    )
    spec = PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=policy,
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY
            ),
            local_knowledge=LocalKnowledge(nonrevoked_assertions=assertions),
        ),
        diff_policy=None,  # the file's changes are judged by verify's own diff policy
    )
    timing = ValidationTimingInfo(validation_time=at, best_signature_time=at, point_in_time_validation=True)
    try:
        result = asyncio.run(ades.ades_lta_validation(sig, spec, timing_info=timing))
    except Exception as exc:  # noqa: BLE001 - pyHanko raising instead of reporting is a failed validation too
        return LongTermStatus("INDETERMINATE", False, f"{type(exc).__name__}: {exc}")
    indication = result.ades_subindic
    assert isinstance(indication, enum.Enum)  # each of pyHanko's sub-indication kinds is an Enum
    verdict = f"{type(indication).__name__.removeprefix('AdES').upper()}/{indication.name}"
    passed = indication.name == "OK" and verdict.startswith("PASSED")
    return LongTermStatus(verdict, passed, None if passed else result.failure_msg)
