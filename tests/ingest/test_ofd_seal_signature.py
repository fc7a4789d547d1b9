"""The SM2 signature value of OFD seals, checked at intake on real sealed OFDs (tests/data/intake, from ofdrw,
Apache-2.0; see the README there) and on forgeries made from them: a flipped signature byte, a page changed with
its digest recomputed (and, further, the signed dataHash recomputed too), an unknown algorithm, a garbage value.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from collections.abc import Callable
from pathlib import Path

from asn1crypto import algos, core

from edossier.config import LimitsSettings
from edossier.ingest.ofd_intake import ofd_facts
from tests.ingest.intake_truth import DATA
from tests.ingest.sm2_test_pki import SealKeys, children, resealed_ofd, sequence

SIGNED = "SESV4SignDoc.ofd"
SIGNATURE_XML = "Doc_0/Signs/Sign_0/Signature.xml"
SIGNED_VALUE = "Doc_0/Signs/Sign_0/SignedValue.dat"
PAGE = "Doc_0/Pages/Page_0/Content.xml"


def _edit(target: Path, changes: dict[str, Callable[[bytes], bytes]], source: str = SIGNED) -> Path:
    """A copy of SOURCE with the named parts rewritten (applied in order)."""
    with zipfile.ZipFile(DATA / source) as src:
        parts = {info.filename: src.read(info) for info in src.infolist()}
        infos = src.infolist()
    for name, change in changes.items():
        parts[name] = change(parts[name])
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in infos:
            out.writestr(info, parts[info.filename])
    return target


def _facts(path: Path) -> dict[str, str]:
    return ofd_facts(path, LimitsSettings())


def test_real_seals_verify() -> None:
    """SESV4SignDoc: the signature value verifies and the digests match (its seal's dates are
    test_ofd_seal_trust's); zsbk: both signatures valid, signer named, chain said to be unchecked."""
    facts = _facts(DATA / SIGNED)
    assert "签名值本身验证有效" in facts["电子签章1"] and "摘要一致" in facts["电子签章1"]
    # zsbk: both SM2 signatures verify for the embedded certificate, yet its pages were edited after sealing.
    zsbk = _facts(DATA / "zsbk.ofd")
    assert "签章后内容被改动（摘要不符）" in zsbk["签章"] and "云南省住房和城乡建设厅" in zsbk["签章"]
    assert "证书链未核验" in zsbk["签章"]
    assert all("签名值验证有效" in zsbk[f"电子签章{n}"] for n in (1, 2))


def test_a_flipped_signature_byte_is_invalid(tmp_path: Path) -> None:
    def flip(value: bytes) -> bytes:
        kids = children(value)
        signature = bytearray(kids[3])
        signature[-1] ^= 0x01  # the last byte of s
        return sequence([*kids[:3], bytes(signature), *kids[4:]])

    facts = _facts(_edit(tmp_path / "flipped.ofd", {SIGNED_VALUE: flip}))
    assert facts["签章"].startswith(
        "原件含电子签章1个，签名无效：签章1「OFD R&W 测试用印章」（Doc_0/Signs/Sign_0/Signature.xml）"
    )
    assert "签名值与签名证书不符" in facts["签章"]
    assert "证书链未核验" not in facts["签章"]  # no signer is vouched for


def test_a_forger_who_recomputes_digests_is_caught(tmp_path: Path) -> None:
    """The page is changed and its CheckValue recomputed: every digest matches, the signature does not."""
    with zipfile.ZipFile(DATA / SIGNED) as src:
        page = src.read(PAGE)
    forged_page = page.replace("你好呀".encode(), "你好吗".encode())
    assert forged_page != page

    def digest(data: bytes) -> bytes:
        return base64.b64encode(hashlib.new("sm3", data).digest())

    def recompute(xml: bytes) -> bytes:
        assert digest(page) in xml
        return xml.replace(digest(page), digest(forged_page))

    changes = {PAGE: lambda _: forged_page, SIGNATURE_XML: recompute}
    facts = _facts(_edit(tmp_path / "forged.ofd", changes))
    assert "摘要一致" in facts["电子签章1"]
    assert "签名无效" in facts["签章"] and "dataHash不符" in facts["签章"]

    # A forger who also puts the new Signature.xml's SM3 into TBS_Sign.dataHash cannot sign it.
    def rehash(value: bytes) -> bytes:
        with zipfile.ZipFile(DATA / SIGNED) as src:
            xml = recompute(src.read(SIGNATURE_XML))
        kids = children(value)
        tbs = children(kids[0])
        tbs[3] = core.BitString(contents=b"\x00" + hashlib.new("sm3", xml).digest()).dump()
        return sequence([sequence(tbs), *kids[1:]])

    facts = _facts(_edit(tmp_path / "resigned.ofd", {**changes, SIGNED_VALUE: rehash}))
    assert "签名无效" in facts["签章"] and "签名值与签名证书不符" in facts["签章"]


def test_a_changed_certificate_subject_is_caught(tmp_path: Path) -> None:
    """The embedded certificate lies outside toSign; its subject is only trusted because the seal lists it."""

    def rename(value: bytes) -> bytes:
        kids = children(value)
        assert b"Test Certificate" in kids[1]
        kids[1] = kids[1].replace(b"Test Certificate", b"Fake Certificate")
        return sequence(kids)

    facts = _facts(_edit(tmp_path / "renamed.ofd", {SIGNED_VALUE: rename}))
    assert "签名无效" in facts["签章"] and "签名证书不在印章的证书列表中" in facts["签章"]
    assert "Fake Certificate" in facts["电子签章1"]


def test_a_certificate_listed_by_digest(tmp_path: Path) -> None:
    """certListType 2 lists the seal's certificates by digest. Rewriting the list changes toSign, so the SM2
    signature then fails; the reason shows which check failed: the listing itself, or only the signature."""

    def listed_by(digest: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
        def rewrite(value: bytes) -> bytes:
            kids = children(value)
            tbs = children(kids[0])
            eseal = children(tbs[1])
            info = children(eseal[0])
            properties = children(info[2])
            entry = sequence(
                [
                    core.PrintableString("sm3").dump(),
                    core.OctetString(digest(core.OctetString.load(kids[1]).native)).dump(),
                ]
            )
            properties[2:4] = [core.Integer(2).dump(), sequence([entry])]
            info[2] = sequence(properties)
            eseal[0] = sequence(info)
            tbs[1] = sequence(eseal)
            return sequence([sequence(tbs), *kids[1:]])

        return rewrite

    def sm3(cert: bytes) -> bytes:
        return hashlib.new("sm3", cert).digest()

    listed = _facts(_edit(tmp_path / "listed.ofd", {SIGNED_VALUE: listed_by(sm3)}))
    assert "签名值与签名证书不符" in listed["签章"]
    unlisted = _facts(_edit(tmp_path / "unlisted.ofd", {SIGNED_VALUE: listed_by(lambda c: sm3(c + b"x"))}))
    assert "签名证书不在印章的证书列表中" in unlisted["签章"]


def test_unknown_algorithm_and_garbage_are_not_checkable(tmp_path: Path, seal_keys: SealKeys) -> None:
    """On a seal re-made within its dates (tests/ingest/sm2_test_pki.py), so that only the algorithm is at issue."""

    def ecdsa(value: bytes) -> bytes:
        kids = children(value)
        kids[2] = core.ObjectIdentifier("1.2.840.10045.4.3.2").dump()  # ecdsa-with-SHA256
        return sequence(kids)

    facts = _facts(resealed_ofd(tmp_path / "ecdsa.ofd", seal_keys, edit=ecdsa))
    assert facts["签章"].startswith("原件含电子签章1个，未能全部核对：签章1")
    assert "签名算法1.2.840.10045.4.3.2不支持" in facts["签章"]
    assert "签名未能验证" in facts["电子签章1"]

    facts = _facts(_edit(tmp_path / "garbage.ofd", {SIGNED_VALUE: lambda _: b"not an SES_Signature"}))
    assert "未能全部核对" in facts["签章"] and "SES_Signature" in facts["签章"]


def test_gm_t_0031_v1_seal_whose_signature_xml_was_rewritten() -> None:
    """ofdrw's n.ofd (a v1 seal): its Signature.xml is not the one signed (dataHash differs), so it is invalid."""
    facts = _facts(DATA / "n.ofd")
    assert "签名无效" in facts["签章"] and "dataHash不符" in facts["签章"]
    assert "CN=www.dms360.cn" in facts["电子签章1"]


def test_a_raw_r_s_signature_verifies(tmp_path: Path, seal_keys: SealKeys) -> None:
    """Some signers store the signature as the raw 64-byte r‖s rather than DER: the same signature verifies
    (on a seal re-made within its dates, tests/ingest/sm2_test_pki.py)."""

    def raw(value: bytes) -> bytes:
        kids = children(value)
        der = core.BitString.load(kids[3]).contents[1:]
        kids[3] = core.BitString(contents=b"\x00" + algos.DSASignature.load(der).to_p1363()).dump()
        return sequence(kids)

    facts = _facts(resealed_ofd(tmp_path / "raw.ofd", seal_keys, edit=raw))
    assert facts["签章"].startswith("原件含电子签章1个，签名值验证有效")
