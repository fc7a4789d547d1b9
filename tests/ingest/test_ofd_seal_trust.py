"""Beyond the signature value: the seal's and the certificate's validity at signing, the seal maker's signature,
the v4 timestamp, the chains of the signer's, the maker's and the timestamp authority's certificates to the
court's trust anchors (and the timestamp authority's purpose), and those certificates' revocation in the court's
CRLs, as the remark a clerk reads shows them.

The real sealed OFDs (tests/data/intake, ofdrw, Apache-2.0) carry three of these cases themselves: ofdrw's
SESV4SignDoc was signed (2026-08-04) after its seal and certificate expired (2022), zsbk's two seals are within
their dates, and n.ofd's v1 seal has a valid maker signature. The other cases are built from SESV4SignDoc's own
structures re-signed with a test PKI made here by the OpenSSL CLI (tests/ingest/sm2_test_pki.py): a seal within
its dates, expired, or not yet valid; a certificate expired at signing; a broken maker signature; a timestamp that
verifies, belongs to another value, or is forged; a chain to a configured anchor, and to an unrelated one, for the
signer, the maker (also on zsbk's real seal) and the timestamp authority; a timestamp authority without the
timeStamping key usage; certificates revoked before and after they were used, with and without a timestamp, a CRL
past its next update, another CA's CRL and a forged one (CRLs published by the test root with ``openssl ca``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import core, x509

from edossier.config import LimitsSettings, SealSettings, load_settings
from edossier.errors import ConfigurationError
from edossier.ingest.ofd_intake import ofd_facts
from edossier.pipeline.reading import Material, read
from tests.ingest.intake_truth import DATA
from tests.ingest.sm2_test_pki import (
    DAY,
    IN_DATE,
    NOW,
    SIGNED_VALUE,
    Revoked,
    SealKeys,
    TestPki,
    children,
    der_to_pem,
    reseal,
    resealed_ofd,
    sequence,
)

SIGNED = "SESV4SignDoc.ofd"


_NAMES = itertools.count()


def _resealed(tmp_path: Path, keys: SealKeys, **changes: Any) -> Path:
    return resealed_ofd(tmp_path / f"resealed-{next(_NAMES)}.ofd", keys, **changes)


def _remark(path: Path, anchors: Path | None = None, crls: tuple[Path, ...] = ()) -> str:
    trust = SealSettings(trust_anchors=anchors, crls=crls) if anchors else None
    return ofd_facts(path, LimitsSettings(), trust)["签章"]


def _day(at: dt.datetime) -> str:
    return at.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d")


def _second(at: dt.datetime) -> str:
    return at.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M:%S")


def _anchored(tmp_path: Path, keys: SealKeys) -> Path:
    """A trust-anchor folder holding KEYS' root."""
    trusted = tmp_path / "trusted"
    trusted.mkdir(exist_ok=True)
    (trusted / "root.pem").write_bytes(der_to_pem(keys.pki.ca.cert))
    return trusted


def test_real_seals_dates_and_makers() -> None:
    """SESV4SignDoc was sealed in 2026 with a seal and a certificate that expired in 2022: not valid, and the
    remark says why with the dates; zsbk's seals are within theirs; n.ofd's v1 maker signature verifies."""
    facts = ofd_facts(DATA / SIGNED, LimitsSettings())
    assert facts["签章"].startswith(
        "原件含电子签章1个，签名无效：签章1「OFD R&W 测试用印章」（Doc_0/Signs/Sign_0/Signature.xml）"
        "印章有效期已过（有效期2020-04-22至2022-04-22，签章于2026-08-04 10:08:09），"
        "签章时证书已过期（有效期2020-04-21至2022-04-21，签章于2026-08-04 10:08:09）"
    )
    assert "签名值验证有效" not in facts["签章"]
    assert "摘要一致" in facts["电子签章1"] and "制章者签名有效" in facts["电子签章1"]

    zsbk = _remark(DATA / "zsbk.ofd")
    assert zsbk.startswith("原件含电子签章2个，签章后内容被改动（摘要不符）；有效签名的证书主体：CN=53011200000556")
    assert (
        "（签章时印章在有效期内（2019-10-25至2020-10-25），签章时证书在有效期内（2019-10-25至2020-10-24），"
        "制章者签名有效，证书链未核验，制章者证书链未核验，证书吊销状态未核查（未配置CRL））" in zsbk
    )

    v1 = ofd_facts(DATA / "n.ofd", LimitsSettings())["电子签章1"]
    assert "dataHash不符" in v1
    assert "签章时印章在有效期内（2019-12-18至2029-12-18）" in v1 and "制章者签名有效" in v1


def test_a_seal_within_its_dates_is_valid(tmp_path: Path, seal_keys: SealKeys) -> None:
    remark = _remark(_resealed(tmp_path, seal_keys))
    assert remark.startswith(
        "原件含电子签章1个，签名值验证有效，所签内容摘要核对一致；有效签名的证书主体：O=edossier tests,CN=测试签章人（"
        f"签章时印章在有效期内（{_day(IN_DATE[0])}至{_day(IN_DATE[1])}），签章时证书在有效期内（"
    )
    assert remark.endswith("制章者签名有效，证书链未核验，制章者证书链未核验，证书吊销状态未核查（未配置CRL））")


def test_expired_or_early_seal_and_expired_certificate(tmp_path: Path, seal_keys: SealKeys) -> None:
    expired = _remark(_resealed(tmp_path, seal_keys, seal_valid=(NOW - 60 * DAY, NOW - DAY)))
    assert "签名无效：" in expired
    assert f"印章有效期已过（有效期{_day(NOW - 60 * DAY)}至{_day(NOW - DAY)}，签章于" in expired
    assert "签名值验证有效" not in expired and "有效签名的证书主体" not in expired

    early = _remark(_resealed(tmp_path, seal_keys, seal_valid=(NOW + 2 * DAY, NOW + 60 * DAY)))
    assert "签名无效：" in early and "签章时印章尚未生效" in early

    # The signer says it signed in 400 days: within the seal's dates, after the certificate's (365 days).
    late = NOW + 400 * DAY
    certificate_expired = _remark(_resealed(tmp_path, seal_keys, signed_at=late, seal_valid=(NOW, NOW + 500 * DAY)))
    assert "签名无效：" in certificate_expired and "签章时证书已过期" in certificate_expired
    assert "印章有效期" not in certificate_expired


def test_a_broken_maker_signature(tmp_path: Path, seal_keys: SealKeys) -> None:
    """The seal maker's signature over the seal (SESeal.signedValue) is changed; the signer's signature,
    made over the changed seal, still verifies: only the maker's fails."""
    test_pki, signer, maker = seal_keys.pki, seal_keys.signer, seal_keys.maker
    with zipfile.ZipFile(DATA / SIGNED) as src:
        original = src.read(SIGNED_VALUE)
    value = reseal(original, test_pki, signer, maker, signed_at=NOW + DAY, seal_valid=IN_DATE)
    top = children(value)
    to_sign = children(top[0])
    seal = children(to_sign[1])
    maker_signature = bytearray(seal[3])
    maker_signature[-1] ^= 0x01
    seal[3] = bytes(maker_signature)
    to_sign[1] = sequence(seal)
    top[0] = sequence(to_sign)
    top[3] = core.BitString(contents=b"\x00" + test_pki.sign(signer, top[0])).dump()
    remark = _remark(_resealed(tmp_path, seal_keys, edit=lambda _: sequence(top)))
    assert "签名无效：" in remark and "制章者签名无效" in remark
    assert "签名值与签名证书不符" not in remark


def test_timestamps(tmp_path: Path, seal_keys: SealKeys) -> None:
    """A v4 timestamp (RFC 3161 token over the signature value, TSA certificate inside) is verified; a token
    over another value, or with its TSA signature broken, makes the signature invalid; the time of a valid
    token, not the signer's own timeInfo, is what the seal's dates are judged at."""
    stamped = _remark(_resealed(tmp_path, seal_keys, stamped=True))
    assert stamped.startswith("原件含电子签章1个，签名值验证有效，所签内容摘要核对一致")
    assert f"时间戳有效（{_day(NOW)}" in stamped
    # Without anchors the timestamp authority's and the maker's certificates are only self-consistent: said so.
    assert stamped.endswith("证书链未核验，制章者证书链未核验，时间戳证书链未核验，证书吊销状态未核查（未配置CRL））")

    def other_value(value: bytes) -> bytes:
        kids = children(value)
        without = _resealed(tmp_path, seal_keys, stamped=True)
        with zipfile.ZipFile(without) as src:
            kids[4] = children(src.read(SIGNED_VALUE))[4]  # another signature's token
        return sequence(kids)

    assert "时间戳无效（不是对本签名值的时间戳）" in _remark(
        _resealed(tmp_path, seal_keys, stamped=True, edit=other_value)
    )

    def forged(value: bytes) -> bytes:
        kids = children(value)
        token = bytearray(kids[4])
        token[-3] ^= 0x01  # inside the TSA's signature, the token's last field
        kids[4] = bytes(token)
        return sequence(kids)

    forged_remark = _remark(_resealed(tmp_path, seal_keys, stamped=True, edit=forged))
    assert "签名无效：" in forged_remark and "时间戳无效（时间戳服务的签名验证失败）" in forged_remark

    # The signer claims a time within the seal's dates; the timestamp says now, after they ended.
    backdated = _remark(
        _resealed(
            tmp_path, seal_keys, signed_at=NOW - 20 * DAY, seal_valid=(NOW - 30 * DAY, NOW - 10 * DAY), stamped=True
        )
    )
    assert "印章有效期已过" in backdated and f"签章于{_day(NOW)}" in backdated

    # The other way round: a timestamp within the seal's dates does not rescue a signature the signer itself
    # dates after them (anyone can attach a token from a TSA of their own making).
    hour = dt.timedelta(hours=1)
    lapsed = _remark(
        _resealed(tmp_path, seal_keys, signed_at=NOW + DAY, seal_valid=(NOW - 30 * DAY, NOW + hour), stamped=True)
    )
    assert "印章有效期已过" in lapsed and f"签章于{_day(NOW + DAY)}" in lapsed


def test_chain_to_configured_anchors(tmp_path: Path, seal_keys: SealKeys) -> None:
    """With seals.trust_anchors set, the signer certificate must chain to one of its certificates (PEM or DER)."""
    test_pki = seal_keys.pki
    resealed = _resealed(tmp_path, seal_keys)
    trusted = tmp_path / "trusted"
    trusted.mkdir()
    (trusted / "root.pem").write_bytes(der_to_pem(test_pki.ca.cert))
    assert _remark(resealed, trusted).endswith(
        "制章者签名有效，证书链可信，制章者证书链可信，证书吊销状态未核查（未配置CRL））"
    )

    unrelated = tmp_path / "unrelated"
    unrelated.mkdir()
    (unrelated / "other-root.cer").write_bytes(TestPki(tmp_path / "other", "另一根CA").ca.cert)  # DER
    untrusted = _remark(resealed, unrelated)
    assert "签名无效：" in untrusted and "证书链不可信（unable to get local issuer certificate）" in untrusted

    (unrelated / "notes.txt").write_text("不是证书", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="notes.txt is not a certificate"):
        _remark(resealed, unrelated)


def test_maker_and_timestamp_authority_chains(tmp_path: Path, seal_keys: SealKeys) -> None:
    """With anchors, the maker's certificate must chain to one as of the seal's making time and the timestamp
    authority's as of the timestamp's time, like the signer's; one from an unrelated CA makes the seal invalid."""
    trusted = tmp_path / "trusted"
    trusted.mkdir()
    (trusted / "root.pem").write_bytes(der_to_pem(seal_keys.pki.ca.cert))
    other = TestPki(tmp_path / "other", "另一根CA")

    stamped = _remark(_resealed(tmp_path, seal_keys, stamped=True), trusted)
    assert stamped.startswith("原件含电子签章1个，签名值验证有效，所签内容摘要核对一致")
    assert stamped.endswith("证书链可信，制章者证书链可信，时间戳证书链可信，证书吊销状态未核查（未配置CRL））")

    foreign_tsa = _remark(_resealed(tmp_path, seal_keys, stamped=True, tsa=other), trusted)
    assert foreign_tsa.startswith("原件含电子签章1个，签名无效：签章1「OFD R&W 测试用印章」")
    assert foreign_tsa.endswith("时间戳证书链不可信（unable to get local issuer certificate）")

    foreign_maker = SealKeys(seal_keys.pki, seal_keys.signer, other.issue("外部制章者"))
    made_abroad = _remark(_resealed(tmp_path, foreign_maker), trusted)
    assert "签名无效：" in made_abroad
    assert made_abroad.endswith("制章者证书链不可信（unable to get local issuer certificate）")

    # A seal dated as made before its maker's certificate existed (the certificate was issued at the test's start).
    made_early = _remark(_resealed(tmp_path, seal_keys, made_at=NOW - 10 * DAY), trusted)
    assert made_early.endswith("制章者证书链不可信（certificate is not yet valid）")

    # zsbk's real maker certificate expired in 2020-08, after the seal was made (2019-10-25): judged at the making
    # time, it chains (here to itself as the anchor); its signer, whose CA is not configured, does not.
    with zipfile.ZipFile(DATA / "zsbk.ofd") as src:
        maker_cert = children(children(children(src.read(SIGNED_VALUE))[0])[1])[1]
    makers = tmp_path / "zsbk-maker"
    makers.mkdir()
    (makers / "maker.pem").write_bytes(der_to_pem(core.OctetString.load(maker_cert).native))
    zsbk = ofd_facts(DATA / "zsbk.ofd", LimitsSettings(), SealSettings(trust_anchors=makers))["电子签章1"]
    assert "签名无效：证书链不可信（unable to get local issuer certificate）" in zsbk
    assert "制章者签名有效，制章者证书链可信" in zsbk


def test_timestamp_authority_purpose(tmp_path: Path, seal_keys: SealKeys) -> None:
    """RFC 3161 §2.3: a TSA's certificate must carry the critical timeStamping key usage, and that alone. One from
    the trusted root without it makes the timestamp's authority untrusted and the signature invalid. (Without
    anchors no TSA certificate is judged, this one neither: the token itself verifies.)"""
    trusted = _anchored(tmp_path, seal_keys)
    resealed = _resealed(tmp_path, seal_keys, stamped=True, timestamping=False)
    remark = _remark(resealed, trusted)
    assert remark.startswith("原件含电子签章1个，签名无效：签章1「OFD R&W 测试用印章」")
    assert remark.endswith(
        "时间戳证书用途不符（须有且仅有关键的扩展密钥用途timeStamping，RFC 3161 §2.3；unsuitable certificate purpose）"
    )
    unanchored = _remark(resealed)
    assert f"时间戳有效（{_day(NOW)}" in unanchored and "时间戳证书链未核验" in unanchored


_CRL_DATE = r"[-\d :]+"


def test_revocation_in_the_courts_crls(tmp_path: Path, seal_keys: SealKeys) -> None:
    """With CRLs configured, each certificate whose chain is trusted is looked up in its issuer's CRL: one it does
    not list is said to be not revoked (as of the CRL's publication); one revoked before it was used makes the
    signature invalid, naming which certificate was revoked, when and why."""
    trusted = _anchored(tmp_path, seal_keys)
    pki, signer, maker = seal_keys.pki, seal_keys.signer, seal_keys.maker
    stamped = _resealed(tmp_path, seal_keys, stamped=True)
    clean = _remark(stamped, trusted, (pki.crl(tmp_path / "clean.crl"),))
    assert clean.startswith("原件含电子签章1个，签名值验证有效，所签内容摘要核对一致")
    assert re.search(
        f"时间戳证书链可信，签名证书未吊销（CRL发布于{_CRL_DATE}），制章者证书未吊销（CRL发布于{_CRL_DATE}），"
        f"时间戳证书未吊销（CRL发布于{_CRL_DATE}））$",
        clean,
    )

    revoked_at = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    both = pki.crl(tmp_path / "both.crl", (Revoked(signer, revoked_at, "keyCompromise"), Revoked(maker, revoked_at)))
    remark = _remark(_resealed(tmp_path, seal_keys), trusted, (both,))  # made now, signed tomorrow
    assert remark.startswith("原件含电子签章1个，签名无效：签章1「OFD R&W 测试用印章」")
    assert f"签名证书已于{_second(revoked_at)}吊销（密钥泄露；早于签章时间{_second(NOW + DAY)}）" in remark
    assert f"制章者证书已于{_second(revoked_at)}吊销（已被取代；早于制章时间" in remark

    # The timestamp authority revoked when it stamped (from its certificate's first second).
    assert pki.tsa is not None
    issued = x509.Certificate.load(pki.tsa.cert).not_valid_before
    tsa_revoked = _remark(stamped, trusted, (pki.crl(tmp_path / "tsa.crl", (Revoked(pki.tsa, issued),)),))
    assert "签名无效：" in tsa_revoked
    assert f"时间戳证书已于{_second(issued)}吊销（已被取代；早于时间戳时间" in tsa_revoked


def test_revocation_after_use(tmp_path: Path, seal_keys: SealKeys) -> None:
    """A signer certificate revoked after the signing time: a timestamp from a trusted, unrevoked authority proves
    the signature older and it stays valid; without one the signer's own time is only its say, and it is not.
    (The CRL announces the revocation ahead, in two days: a token cannot be backdated to make it past.)"""
    trusted = _anchored(tmp_path, seal_keys)
    pki, signer = seal_keys.pki, seal_keys.signer
    later = (NOW + 2 * DAY).replace(microsecond=0)
    ahead = pki.crl(tmp_path / "ahead.crl", (Revoked(signer, later),))
    stamped = _resealed(tmp_path, seal_keys, stamped=True)
    proven = _remark(stamped, trusted, (ahead,))
    assert proven.startswith("原件含电子签章1个，签名值验证有效，所签内容摘要核对一致")
    assert f"签名证书已于{_second(later)}吊销（已被取代；晚于时间戳证明的签章时间，不影响签名）" in proven

    unstamped = _remark(_resealed(tmp_path, seal_keys), trusted, (ahead,))
    assert "签名无效：" in unstamped
    assert f"签名证书已于{_second(later)}吊销（已被取代；签章时间仅为自述，无可信时间戳证明早于吊销）" in unstamped

    # The timestamp's authority revoked too, after stamping: its token stays valid but proves nothing.
    assert pki.tsa is not None
    tsa_later = pki.crl(tmp_path / "tsa-later.crl", (Revoked(signer, later), Revoked(pki.tsa, later + DAY)))
    facts = ofd_facts(stamped, LimitsSettings(), SealSettings(trust_anchors=trusted, crls=(tsa_later,)))
    assert "签名无效：" in facts["签章"] and "无可信时间戳证明早于吊销" in facts["签章"]
    after_stamping = f"时间戳证书已于{_second(later + DAY)}吊销（已被取代；晚于时间戳时间，但时间戳不再能证明签章时间）"
    assert after_stamping in facts["电子签章1"]


def test_revocation_not_known(tmp_path: Path, seal_keys: SealKeys) -> None:
    """What the configured CRLs cannot tell is said, not guessed: a CRL past its next update at the signing time,
    none from the certificate's issuer, or one whose signature is not its issuer's (same name, another key)."""
    trusted = _anchored(tmp_path, seal_keys)
    resealed = _resealed(tmp_path, seal_keys)  # signed tomorrow
    soon = seal_keys.pki.crl(
        tmp_path / "soon.crl", next_update=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    )
    stale = _remark(resealed, trusted, (soon,))
    assert stale.startswith("原件含电子签章1个，签名值验证有效")
    assert re.search(f"签名证书吊销状态未核查（所配CRL下次更新{_CRL_DATE}早于签章时间{_CRL_DATE}）", stale)
    assert "制章者证书未吊销" in stale  # made now, within the CRL's time

    other = TestPki(tmp_path / "other", "另一根CA").crl(tmp_path / "other.crl")
    assert "签名证书吊销状态未核查（未配置其签发者CN=edossier 测试根CA的CRL）" in _remark(resealed, trusted, (other,))

    impostor = TestPki(tmp_path / "impostor")  # the test root's name, another key
    forged = impostor.crl(tmp_path / "forged.crl", (Revoked(seal_keys.signer, NOW),))
    remark = _remark(resealed, trusted, (forged,))
    assert remark.startswith("原件含电子签章1个，签名值验证有效")
    assert "签名证书吊销状态未核查（CRL签名无效）" in remark


def test_the_setting_reaches_intake(tmp_path: Path, seal_keys: SealKeys) -> None:
    """EDOSSIER_SEALS__TRUST_ANCHORS / [seals] trust_anchors and crls are what every runner's intake
    (pipeline.reading) uses; CRLs without anchors, or a file that is no CRL, are the configuration's fault."""
    trusted = _anchored(tmp_path, seal_keys)
    crl = seal_keys.pki.crl(tmp_path / "root.crl")
    settings = load_settings(data_dir=tmp_path / "data", seals={"trust_anchors": trusted, "crls": [crl]})
    source, _ = read(Material(_resealed(tmp_path, seal_keys)), settings, tmp_path / "work", None)
    assert "证书链可信" in source.metadata["签章"] and "签名证书未吊销" in source.metadata["签章"]
    with pytest.raises(ConfigurationError, match="seals.trust_anchors"):
        load_settings(seals={"trust_anchors": tmp_path / "missing"})
    with pytest.raises(ConfigurationError, match="crls need trust_anchors"):
        load_settings(seals={"crls": [crl]})
    not_a_crl = tmp_path / "root.pem"
    not_a_crl.write_bytes(der_to_pem(seal_keys.pki.ca.cert))
    with pytest.raises(ConfigurationError, match="seals.crls: .*root.pem is not a CRL"):
        _remark(_resealed(tmp_path, seal_keys), trusted, (not_a_crl,))
