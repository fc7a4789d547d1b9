"""Long-term validation on a real PKI (certomancer on loopback): B-LT signing, archive timestamps, renewal, --at.

The scenario of issue 19: a dossier signed and archived today; the signer's
certificate expires in two years and is revoked after one (after signing);
the first TSA's certificate expires in three; ``renew`` runs on day 1000 with
the second TSA (certomancer's time travel answers as on that day).  Twenty
years on, only the file and the root are at hand.

Verifying "twenty years on" also sets the process clock to that day
(freezegun, as pyHanko's own LTA tests do): pyHanko starts its past
validation from the real clock, and in this test the renewal's timestamp,
made by time travel, would otherwise lie in the future.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from freezegun import freeze_time
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers, timestamps
from pyhanko.sign.validation.dss import DocumentSecurityStore
from tests.pki import P12_PASSPHRASE

from edossier.bind.ltv import add_archive_timestamp, newest_timestamp_expiry, pageless_timestamp_field
from edossier.bind.sign import SignatureSpec, seal_version
from edossier.bind.verify import VerifyReport, verify_pdf
from edossier.errors import StageError

TWENTY_YEARS = 7300


def verify_on_day(pdf: Path, pki, offset: int) -> VerifyReport:  # type: ignore[no-untyped-def]
    """Verify as of day OFFSET, on that day."""
    at = pki.day(offset) + dt.timedelta(hours=13)
    with freeze_time(at):
        return verify_pdf(pdf, [pki.root], at=at)


def _spec(p12: Path, pki, level: str) -> SignatureSpec:  # type: ignore[no-untyped-def]
    return SignatureSpec(
        p12, P12_PASSPHRASE, "edossier-v1", "电子卷宗装订",
        timestamp_url=pki.tsa_url if level != "B-B" else None,
        embed_validation_info=level in ("B-LT", "B-LTA"),
        archive_timestamp=level == "B-LTA",
        trust_roots=(pki.root,),
    )


@pytest.fixture(scope="module")
def archived(bound, pki, tmp_path_factory):  # type: ignore[no-untyped-def]
    """B-LT signed today, archived today (TSA 1), renewed on day 1000 (TSA 2)."""
    folder = tmp_path_factory.mktemp("ltv")
    signed, sealed, renewed = folder / "signed.pdf", folder / "sealed.pdf", folder / "renewed.pdf"
    seal_version(bound["unsigned"], signed, _spec(pki.signer_p12, pki, "B-LT"), bound["meta"],
                 bound["addition"].bookmarks)
    add_archive_timestamp(signed, sealed, pki.tsa_url, [pki.root])
    with pki.travel(1000) as day_1000:
        add_archive_timestamp(sealed, renewed, pki.tsa2_url, [pki.root], renewal=True, moment=day_1000)
    return {"signed": signed, "sealed": sealed, "renewed": renewed}


def test_signing_embeds_validation_material(archived, pki):  # type: ignore[no-untyped-def]
    report = verify_pdf(archived["signed"], [pki.root])
    assert report.valid, report.as_dict()
    assert report.signatures[0].level == "B-LT"
    with open(archived["signed"], "rb") as handle:
        dss = DocumentSecurityStore.read_dss(PdfFileReader(handle))
        assert dss.ocsps or dss.crls


def test_archived_and_renewed_dossier_is_valid_twenty_years_on(archived, pki):  # type: ignore[no-untyped-def]
    at = pki.day(TWENTY_YEARS)
    assert at > pki.expiry("signer") and at > pki.expiry("tsa")  # both certificates long expired
    assert pki.day(365) < at  # and the signer revoked (after signing)
    report = verify_on_day(archived["renewed"], pki, TWENTY_YEARS)
    assert report.valid, report.as_dict()["problems"]
    signature = report.signatures[0]
    assert signature.level == "B-LTA"
    assert dt.datetime.fromisoformat(signature.provable_until) == pki.expiry("tsa2")
    assert [s.kind for s in report.signatures] == ["signature", "document timestamp", "document timestamp"]


def test_renewal_keeps_every_earlier_byte_and_signature(archived, pki):  # type: ignore[no-untyped-def]
    sealed, renewed = archived["sealed"].read_bytes(), archived["renewed"].read_bytes()
    assert renewed.startswith(sealed) and len(renewed) > len(sealed)
    with open(archived["renewed"], "rb") as handle:
        assert newest_timestamp_expiry(PdfFileReader(handle)) == pki.expiry("tsa2")
    for day in (1, 1001):
        report = verify_on_day(archived["renewed"], pki, day)
        assert report.valid, report.as_dict()["problems"]


def test_renew_extends_provable_until_past_the_first_tsa(archived, pki):  # type: ignore[no-untyped-def]
    before = verify_pdf(archived["sealed"], [pki.root]).signatures[0]
    after = verify_pdf(archived["renewed"], [pki.root]).signatures[0]
    assert dt.datetime.fromisoformat(before.provable_until) == pki.expiry("tsa")
    assert dt.datetime.fromisoformat(after.provable_until) > pki.expiry("tsa")


def test_without_renewal_not_provable_once_the_tsa_expired(archived, pki):  # type: ignore[no-untyped-def]
    assert verify_on_day(archived["sealed"], pki, 30).valid
    assert not verify_on_day(archived["sealed"], pki, TWENTY_YEARS).valid


def test_stripped_timestamp_is_invalid(archived, pki, tmp_path):  # type: ignore[no-untyped-def]
    """The renewal's document timestamp cut off (the file ends where the previous revision did)."""
    data = archived["renewed"].read_bytes()
    stripped = tmp_path / "stripped.pdf"
    stripped.write_bytes(data[: len(archived["sealed"].read_bytes())])
    assert verify_on_day(archived["renewed"], pki, TWENTY_YEARS).valid
    report = verify_on_day(stripped, pki, TWENTY_YEARS)
    assert not report.valid
    assert any("not provable" in p for p in report.as_dict()["problems"])


@pytest.mark.parametrize("where", [0.3, 0.6, 0.95])
def test_one_changed_byte_is_invalid(archived, pki, tmp_path, where):  # type: ignore[no-untyped-def]
    data = bytearray(archived["renewed"].read_bytes())
    position = _signed_position(data, int(len(data) * where))
    original = data[position]
    # a bracket becomes a digit, anything else differs in its last bit ("1" and "0" swap: the change was undone once,
    # when "1" became "0" and a second step turned every "0" into "1", and the "tampered" file was the very file)
    data[position] = ord("1") if original in b"<>" else original ^ 0x01
    assert data[position] != original
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(data))
    assert not verify_on_day(tampered, pki, TWENTY_YEARS).valid


def _signed_position(data: bytes, position: int) -> int:
    """POSITION, or where it falls in a signature's /Contents (the one gap its /ByteRange leaves unsigned), the
    byte before that gap: the zero padding after a signature container is signed by nothing, and a reader that
    parses the container ignores it, so a changed byte there proves nothing (the test failed when the share of the
    file landed in it)."""
    for match in re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data):
        start, length, resume = (int(match.group(n)) for n in (1, 2, 3))
        if start + length <= position < resume:
            return start + length - 1
    return position


def test_signing_refuses_a_revoked_certificate(bound, pki, tmp_path):  # type: ignore[no-untyped-def]
    with pytest.raises(StageError, match="cannot sign at B-LT"):
        seal_version(bound["unsigned"], tmp_path / "x.pdf", _spec(pki.revoked_signer_p12, pki, "B-LT"),
                     bound["meta"], bound["addition"].bookmarks)
    assert not (tmp_path / "x.pdf").exists()


def _hand_archived(bound, pki, p12: Path, folder: Path) -> Path:  # type: ignore[no-untyped-def]
    """B-T signed with P12, then (as a careless or hostile archiver could) the CAs' CRLs and a document timestamp."""
    signed, stamped = folder / f"{p12.stem}-bt.pdf", folder / f"{p12.stem}-lta.pdf"
    seal_version(bound["unsigned"], signed, _spec(p12, pki, "B-T"), bound["meta"], bound["addition"].bookmarks)
    crls = [pki.arch.service_registry.get_crl(label, pki.day(0) + dt.timedelta(hours=12))  # type: ignore[attr-defined]
            for label in ("interm", "root")]
    with open(signed, "rb") as inf, open(stamped, "wb") as out:
        writer = IncrementalPdfFileWriter(inf)
        DocumentSecurityStore.supply_dss_in_writer(writer, None, crls=crls)
        name = pageless_timestamp_field(writer, 1)
        stamper = signers.PdfTimeStamper(timestamps.HTTPTimeStamper(pki.tsa2_url), field_name=name)
        stamper.timestamp_pdf(writer, "sha256", output=out)
    return stamped


def test_revocation_before_signing_is_invalid(bound, pki, tmp_path):  # type: ignore[no-untyped-def]
    """Signed with a certificate revoked sixty days earlier: archiving refuses; a file made anyway never verifies.

    The same file made with the good signer verifies the next day, so only the revocation differs.
    """
    with pytest.raises(StageError, match="revoked"):
        signed = tmp_path / "revoked-bt.pdf"
        seal_version(bound["unsigned"], signed, _spec(pki.revoked_signer_p12, pki, "B-T"), bound["meta"],
                     bound["addition"].bookmarks)
        add_archive_timestamp(signed, tmp_path / "refused.pdf", pki.tsa_url, [pki.root])
    assert not (tmp_path / "refused.pdf").exists()
    good = _hand_archived(bound, pki, pki.signer_p12, tmp_path)
    revoked = _hand_archived(bound, pki, pki.revoked_signer_p12, tmp_path)
    assert verify_on_day(good, pki, 1).valid
    for day in (1, TWENTY_YEARS):
        report = verify_on_day(revoked, pki, day)
        assert not report.valid
        assert any("not provable" in p for p in report.as_dict()["problems"])


def test_plain_verify_twenty_years_on_judges_blta_by_long_term_validation(archived, pki):  # type: ignore[no-untyped-def]
    """`verify` without --at, run in twenty years: expired certificates do not make an archived dossier untrusted."""
    with freeze_time(pki.day(TWENTY_YEARS)):
        report = verify_pdf(archived["renewed"], [pki.root])
        stale = verify_pdf(archived["sealed"], [pki.root])  # never renewed: TSA 1 long expired
    assert report.valid, report.as_dict()["problems"]
    assert not stale.valid
