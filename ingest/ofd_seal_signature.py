"""Is an OFD seal's signature value (``SignedValue.dat``) a valid signature, by a valid seal, over what it claims?

Checking the digests in ``Signature.xml`` alone proves nothing against a forger: whoever changes a page can
recompute its ``CheckValue``. What he cannot recompute is the signature. So each seal's signed value is
parsed as an ``SES_Signature`` and checked the way the standards define it:

- GB/T 38540 (version 4): ``SES_Signature ::= SEQUENCE { toSign TBS_Sign, cert OCTET STRING,
  signatureAlgID OID, signature BIT STRING, timeStamp [0] OPTIONAL }``; the signature is over the DER of
  ``toSign``; the seal (``SESeal ::= SEQUENCE { eSealInfo, cert, signAlgID, signedValue }``) is signed by its
  maker over the DER of ``eSealInfo``.
- GM/T 0031 (version 1): ``SES_Signature ::= SEQUENCE { toSign TBS_Sign, signature BIT STRING }`` with the
  certificate and algorithm inside ``TBS_Sign``; the signature is over the DER of ``TBS_Sign``; the seal
  (``SESeal ::= SEQUENCE { esealInfo, signInfo { cert, signatureAlgorithm, signData } }``) is signed by its maker
  over the DER of ``SEQUENCE { esealInfo, cert, signatureAlgorithm }``.

(What each maker signature covers was established on the real seals: ofdrw's and zsbk's v4 seals verify over
``eSealInfo`` alone, n.ofd's v1 seal over the three-part sequence, and neither over the other.)

In both, ``TBS_Sign.dataHash`` is the SM3 digest of the signed original, which for an OFD (GB/T 33190 §18)
is the ``Signature.xml`` file itself, byte for byte: that file holds the parts' digests, so a matching
dataHash plus a valid signature plus matching part digests ties every covered part to the signer.

A mathematically valid signature is then judged as GB/T 38540's verification does: at the signing time
(``TBS_Sign.timeInfo``, and the attached RFC 3161 timestamp's time too where one verifies) the seal must be within its
validity period (``ES_PropertyInfo.validStart``/``validEnd``) and the signer certificate within its own; the
seal maker's signature must verify; an attached timestamp must be over this signature value and verify; and,
where the court configures trust anchors (``seals.trust_anchors``), three certificates must chain to one, each
at its own time: the signer's at the signing time, the seal maker's at the seal's making time, and the timestamp
authority's at the timestamp's time, the last also fit for its purpose (RFC 3161 §2.3: a critical extended key
usage of timeStamping alone). Where the court also configures CRLs (``seals.crls``, files it fetched itself:
nothing is fetched here), each of the three is looked up in its issuer's CRL: a certificate revoked before the
time it was used at makes the signature invalid; one revoked after it does so too unless a timestamp, whose own
authority is trusted and not revoked, proves the signature or seal older than the revocation (the signer's and
the maker's own times are only their say). Any of these failing makes the signature invalid, with every failure
named.

The signatures are verified with OpenSSL 3 (``openssl pkeyutl -verify``, SM3withSM2, the GB/T 35276 default
user ID ``1234567812345678``; ``openssl verify`` for the chain and the timestamp authority's purpose;
``openssl cms -verify`` for the timestamp; ``openssl pkeyutl`` again for a CRL's signature)
rather than the pure-Python ``gmssl`` package: OpenSSL's SM2 is maintained, reviewed and already what this
project trusts for SM3 (``hashlib``), while ``gmssl`` would be a second, little-maintained implementation of
elliptic-curve arithmetic to trust. The CLI is used because Python's ``cryptography`` does not expose SM2.
Without trust anchors no chain is judged (no Chinese root store ships here): a valid result means
"valid for the embedded certificate", says whose it is, and says 证书链未核验 (and 制章者证书链未核验,
时间戳证书链未核验): the maker's signature and a timestamp are then only self-consistent. Without CRLs it says
证书吊销状态未核查.

Revocation is looked up here rather than by ``openssl verify -crl_check``: OpenSSL 3.0 verifies a CRL's
signature without an SM2 distinguishing ID (``-vfyopt distid`` reaches only the certificate being verified), so
every CRL a 国密 CA signs with the standard ID fails there as "CRL signature failure" (openssl/openssl#23471;
OpenSSL 4 defaults the ID). So the CRL's signature is checked like the seal's own, by ``openssl pkeyutl`` with
the ID, and asn1crypto reads whom it lists, when and why.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from asn1crypto import algos, cms, core, crl, parser, pem, tsp, x509

from edossier.config import SealSettings
from edossier.errors import ConfigurationError

SM3_WITH_SM2 = "1.2.156.10197.1.501"
SM2_CURVE = "1.2.156.10197.1.301"
DEFAULT_USER_ID = "1234567812345678"
"""GB/T 35276's default signer ID, which SES signers use (GB/T 38540 names no other)."""
DIGESTS = {
    "1.2.156.10197.1.401": "sm3",
    "sm3": "sm3",
    "1.3.14.3.2.26": "sha1",
    "sha1": "sha1",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "sha256": "sha256",
}
"""Digest names (lower case) and OIDs as OFD seals give them → hashlib names (SM3 comes from OpenSSL)."""
BEIJING = dt.timezone(dt.timedelta(hours=8), "北京时间")
"""Times are shown in Beijing time, as the seals' issuers and the courts read them; a v1 timeInfo written
without a zone is taken to be Beijing time too."""
_OPENSSL_TIMEOUT_S = 30
_MALFORMED = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)
"""What asn1crypto raises on a malformed value (it parses lazily, so any access may raise)."""
TIMESTAMP_PURPOSE = ("timestampsign", "须有且仅有关键的扩展密钥用途timeStamping，RFC 3161 §2.3")
"""What ``openssl verify -purpose`` checks of a timestamp authority's certificate, and how a remark says it."""
_PEM_BLOCK = re.compile(rb"-----BEGIN [^-\r\n]+-----([A-Za-z0-9+/=\s]*)-----END [^-\r\n]+-----")
"""A PEM block (RFC 7468) and its base64 body."""
_OPENSSL_ERROR = re.compile(r"error (\d+) at \d+ depth lookup: (.*)")
_INVALID_PURPOSE = "26"
"""X509_V_ERR_INVALID_PURPOSE: the certificate chains but is not for this use."""
_REASONS = {
    "unspecified": "未说明原因",
    "key_compromise": "密钥泄露",
    "ca_compromise": "CA密钥泄露",
    "affiliation_changed": "隶属关系变更",
    "superseded": "已被取代",
    "cessation_of_operation": "停止使用",
    "certificate_hold": "暂停使用",
    "privilege_withdrawn": "权限撤销",
    "aa_compromise": "属性机构密钥泄露",
}
"""CRL reason codes (RFC 5280 §5.3.1) as a remark says them."""
_SUBJECT_NAMES = {"2.5.4.3": "CN", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.6": "C"}

State = Literal["valid", "invalid", "unchecked"]


@dataclass(frozen=True)
class SignatureCheck:
    """The verdict on one seal's signature value, with the sentences that explain it."""

    state: State
    reason: str
    """Why (Chinese, for the catalogue remark): what failed, why it could not be checked, or 签名值验证有效."""
    signer: str = ""
    """The embedded certificate's subject (empty when the certificate could not be read)."""
    version: int | None = None
    seal_name: str = ""
    """The seal's own name (ES_PropertyInfo.name), e.g. the sealing authority."""
    signed_at: str = ""
    """When it was signed (Beijing time): the timestamp's time where one verifies, else the signer's own."""
    findings: tuple[str, ...] = ()
    """What the checks beyond the signature value found that is not a failure (Chinese): the seal's and the
    certificate's validity at signing, the maker's signature, the timestamp, the three chains (可信 or 未核验),
    and the three certificates' revocation (未吊销, or 未核查 and why)."""


@dataclass(frozen=True)
class _Signed:
    """One signature inside the structure: who signed (certificate), how, what, and the value."""

    cert: bytes
    algorithm: str
    data: bytes
    signature: bytes


@dataclass(frozen=True)
class _Parsed:
    version: int
    data_hash: bytes
    signer: _Signed
    maker: _Signed
    """The seal maker's signature over the seal (SESeal)."""
    seal_name: str
    made_at: core.Asn1Value
    """The seal's making time (ES_PropertyInfo.createDate), when the maker's certificate must have been valid."""
    seal_certs: tuple[bytes, ...] | None
    """v4: the signer certificates the seal allows (as listed or as SM3/SHA digests); None for v1."""
    time_info: core.Asn1Value
    valid_from: core.Asn1Value
    valid_to: core.Asn1Value
    timestamp: bytes | None
    """v4: the ``[0] timeStamp`` element (an RFC 3161 token over the signature value), where one is attached;
    read when judged, since it lies outside what the signer signed."""


def check_signature(signed_value: bytes, signature_xml: bytes, trust: SealSettings | None = None) -> SignatureCheck:
    """Verify SIGNED_VALUE (an SES_Signature, v1 or v4) against SIGNATURE_XML, the Signature.xml it signs.

    TRUST is the court's ``[seals]`` settings: its trust anchors (without them no chain is judged) and its CRLs
    (without them no revocation is looked up), both read once per signature.
    """
    try:
        parsed = _parse(signed_value)
    except _MALFORMED as exc:
        return SignatureCheck("unchecked", f"签名值不是可识别的SES_Signature结构（{exc}），未能验证")
    try:
        cert = x509.Certificate.load(parsed.signer.cert)
        signer = _name(cert.subject)
    except _MALFORMED as exc:
        return SignatureCheck("unchecked", f"签名证书无法解析（{exc}），未能验证", "", parsed.version, parsed.seal_name)
    state, reason = _verdict(parsed, signature_xml)
    failures, findings, signed_at = _judge(parsed, cert, trust)
    if failures:  # an expired seal or certificate, a bad maker signature or timestamp, an untrusted chain
        if state == "valid":  # say so: the signature is genuine, what it is signed with is not valid
            findings.insert(0, "签名值本身验证有效")
        else:
            failures.append(reason)
        state, reason = "invalid", "，".join(failures)
    return SignatureCheck(
        state, reason, signer, parsed.version, parsed.seal_name, _shown(signed_at) if signed_at else "", tuple(findings)
    )


def _verdict(parsed: _Parsed, signature_xml: bytes) -> tuple[State, str]:
    """The first check that fails is the verdict: what this verifier cannot judge, then whether the seal
    allows the certificate, whether the signature covers this Signature.xml, and the SM2 signature itself."""
    unusable = _unusable(parsed.signer)
    if unusable:
        return "unchecked", f"{unusable}，未能验证"
    if parsed.seal_certs is not None and parsed.signer.cert not in parsed.seal_certs:
        return "invalid", "签名证书不在印章的证书列表中"
    if hashlib.new("sm3", signature_xml).digest() != parsed.data_hash:
        return "invalid", "Signature.xml与签名时不同（dataHash不符），签名不覆盖现有签章描述"
    state, detail = _verify(parsed.signer)
    if state == "valid":
        return state, "签名值验证有效"
    if state == "invalid":
        return state, "签名值与签名证书不符（SM2验证失败）"
    return state, detail


def _judge(
    parsed: _Parsed, cert: x509.Certificate, trust: SealSettings | None
) -> tuple[list[str], list[str], dt.datetime | None]:
    """Beyond the signature value (whatever its verdict): (failures, other findings, the signing time used)."""
    failures: list[str] = []
    findings: list[str] = []

    def note(state: State, text: str) -> None:
        (failures if state == "invalid" else findings).append(text)

    stamped_at: dt.datetime | None = None
    tsa_certs: tuple[bytes, ...] = ()
    if parsed.timestamp is not None:
        state, text, stamped_at, tsa_certs = _timestamp(parsed.timestamp, parsed.signer.signature)
        note(state, text)
    try:
        claimed: dt.datetime | None = _time(parsed.time_info)
    except _MALFORMED:
        claimed = None
    # Judged at the signer's own time and, where a timestamp verifies, at its time too: without a trusted TSA
    # anyone can attach a token, so its time may make a seal invalid but never make a lapsed one valid.
    times = [at for at in (claimed, stamped_at) if at is not None]
    if not times:
        findings.append("签章时间无法识别，印章和证书有效期未核对")
    for what, (start, end) in (("印章", (parsed.valid_from, parsed.valid_to)), ("证书", _validity(cert))):
        verdicts = [_within(what, at, start, end) for at in times]
        if verdicts:
            note(*next((v for v in verdicts if v[0] != "valid"), verdicts[0]))
    signed_at = stamped_at or claimed
    state, detail = _verify(parsed.maker)
    note(state, {"valid": "制章者签名有效", "invalid": "制章者签名无效"}.get(state, f"制章者签名未能验证（{detail}）"))
    anchors = _anchors(trust.trust_anchors) if trust is not None and trust.trust_anchors is not None else ()
    bundle = "".join(pem.armor("CERTIFICATE", der).decode("ascii") for der in anchors) or None
    made_at = _made_at(parsed)
    used: list[_Used] = [
        _Used("", parsed.signer.cert, tuple(times), _chain("", parsed.signer.cert, (), bundle, signed_at)),
        _Used("制章者", parsed.maker.cert, (made_at,) if made_at is not None else (),
              _chain("制章者", parsed.maker.cert, (), bundle, made_at)),
    ]  # fmt: skip
    if tsa_certs and stamped_at is not None:  # only a timestamp that verified names its authority
        chain = _chain("时间戳", tsa_certs[0], tsa_certs[1:], bundle, stamped_at, TIMESTAMP_PURPOSE)
        used.append(_Used("时间戳", tsa_certs[0], (stamped_at,), chain))
    for one in used:
        note(*one.chain)
    if trust is None or not trust.crls:
        findings.append("证书吊销状态未核查（未配置CRL）")
    else:
        for verdict in _revocations(used, _crl_files(trust.crls), anchors + tsa_certs[1:], stamped_at):
            note(*verdict)
    return failures, findings, signed_at


@dataclass(frozen=True)
class _Used:
    """A certificate the signature rests on, whose (""/制章者/时间戳, as ``_chain`` names it), the times it was
    used at (signing, making the seal, stamping; empty where unknown) and its chain's verdict."""

    whose: str
    cert: bytes
    times: tuple[dt.datetime, ...]
    chain: tuple[State, str]


def _made_at(parsed: _Parsed) -> dt.datetime | None:
    """When the maker's certificate must have been valid: the seal's making time (ES_PropertyInfo.createDate,
    which both versions record); where that cannot be read, the start of the seal's validity (validStart) stands
    in for it, the seal having been made by then; None (judged as of now) when neither can be read."""
    for value in (parsed.made_at, parsed.valid_from):
        try:
            return _time(value)
        except _MALFORMED:
            continue
    return None


def _validity(cert: x509.Certificate) -> tuple[core.Asn1Value, core.Asn1Value]:
    """The certificate's notBefore and notAfter (a malformed pair is judged, and reported, by ``_within``)."""
    try:
        validity = cert["tbs_certificate"]["validity"]
        return validity["not_before"], validity["not_after"]
    except _MALFORMED:
        return core.Null(), core.Null()


def _within(what: str, at: dt.datetime, start: core.Asn1Value, end: core.Asn1Value) -> tuple[State, str]:
    """Was WHAT (印章 or 证书) within its validity period START–END at AT?"""
    try:
        begins, ends = _time(start), _time(end)
    except _MALFORMED:
        return "unchecked", f"{what}有效期无法识别，未核对"
    period = f"{_shown(begins, date_only=True)}至{_shown(ends, date_only=True)}"
    if at < begins:
        return "invalid", f"签章时{what}尚未生效（有效期{period}，签章于{_shown(at)}）"
    if at > ends:
        expired = "印章有效期已过" if what == "印章" else "签章时证书已过期"
        return "invalid", f"{expired}（有效期{period}，签章于{_shown(at)}）"
    return "valid", f"签章时{what}在有效期内（{period}）"


def _timestamp(element: bytes, signature: bytes) -> tuple[State, str, dt.datetime | None, tuple[bytes, ...]]:
    """The v4 timestamp: an RFC 3161 token whose message imprint is the digest of the signature value, signed
    by a TSA whose certificate it carries. Only a timestamp that verifies gives the signing time and the TSA's
    certificates (its own first, then the others the token carries, as intermediates for its chain)."""
    try:
        token = _timestamp_token(element)
        signed_data = cms.ContentInfo.load(token, strict=True)["content"]
        encapsulated = signed_data["encap_content_info"]
        if encapsulated["content_type"].native != "tst_info":
            raise ValueError(f"内容类型{encapsulated['content_type'].native}不是TSTInfo")
        info = tsp.TSTInfo.load(bytes(encapsulated["content"].contents), strict=True)
        imprint = info["message_imprint"]
        method = DIGESTS.get(imprint["hash_algorithm"]["algorithm"].dotted)
        hashed, stamped_at = bytes(imprint["hashed_message"].native), info["gen_time"].native
        certificates = _tsa_certificates(signed_data)
    except _MALFORMED as exc:
        return "unchecked", f"时间戳无法解析（{exc}），未核验", None, ()
    if method is None:
        algorithm = imprint["hash_algorithm"]["algorithm"].dotted
        return "unchecked", f"时间戳的摘要算法{algorithm}不支持，未核验", None, ()
    if hashlib.new(method, signature).digest() != hashed:
        return "invalid", "时间戳无效（不是对本签名值的时间戳）", None, ()
    if not certificates:
        return "unchecked", f"时间戳（{_shown(stamped_at)}）未附时间戳服务证书，其签名未核验", None, ()
    done = _openssl(["cms", "-verify", "-inform", "DER", "-noverify", "-binary", "-out", "-"], token)
    if isinstance(done, str):
        return "unchecked", f"时间戳签名未能验证（{done}）", None, ()
    if done.returncode == 0:
        return "valid", f"时间戳有效（{_shown(stamped_at)}）", stamped_at, certificates
    return "invalid", "时间戳无效（时间戳服务的签名验证失败）", None, ()


def _tsa_certificates(signed_data: cms.SignedData) -> tuple[bytes, ...]:
    """The certificates a timestamp token carries (DER), the one its signer identifies first (where none is, the
    TSA's signature cannot verify either, and the token is judged invalid as before)."""
    sid = signed_data["signer_infos"][0]["sid"]
    carried = [c.chosen for c in signed_data["certificates"] or [] if isinstance(c.chosen, x509.Certificate)]
    if sid.name == "issuer_and_serial_number":
        wanted = (sid.chosen["issuer"].dump(), sid.chosen["serial_number"].native)
        signers = [c for c in carried if (c.issuer.dump(), c.serial_number) == wanted]
    else:  # subject_key_identifier
        signers = [c for c in carried if c.key_identifier == sid.chosen.native]
    first = signers[:1]
    return tuple(c.dump() for c in [*first, *(c for c in carried if c not in first)])


def _chain(
    whose: str,
    cert: bytes,
    intermediates: tuple[bytes, ...],
    bundle: str | None,
    at: dt.datetime | None,
    purpose: tuple[str, str] | None = None,
) -> tuple[State, str]:
    """Does CERT (WHOSE: "" for the signer, 制章者, 时间戳) chain to a configured anchor as of AT (where known),
    through INTERMEDIATES if need be, and suit PURPOSE (OpenSSL's name for it, and how a remark says it) where
    one is given? Without anchors (BUNDLE None) it is not judged: ``{whose}证书链未核验``.

    ``-partial_chain`` makes every configured certificate an anchor, so a court may trust an intermediate CA.
    """
    if bundle is None:
        return "unchecked", f"{whose}证书链未核验"
    with tempfile.TemporaryDirectory(prefix="edossier-chain-") as tmp:
        anchors, untrusted = Path(tmp) / "anchors.pem", Path(tmp) / "untrusted.pem"
        anchors.write_text(bundle, encoding="ascii")
        untrusted.write_bytes(b"".join(pem.armor("CERTIFICATE", der) for der in intermediates))
        via = ["-untrusted", str(untrusted)] if intermediates else []
        when = ["-attime", str(int(at.timestamp()))] if at else []
        use = ["-purpose", purpose[0]] if purpose else []
        command = ["verify", "-CAfile", str(anchors), *via, "-partial_chain", *when, *use,
                   "-vfyopt", f"distid:{DEFAULT_USER_ID}"]  # fmt: skip
        done = _openssl(command, pem.armor("CERTIFICATE", cert))
    if isinstance(done, str):
        return "unchecked", f"{whose}证书链未能核验（{done}）"
    if done.returncode == 0:
        return "valid", f"{whose}证书链可信"
    lines = (done.stdout + done.stderr).decode("utf-8", "replace").splitlines()
    code, why = next((m.groups() for line in lines if (m := _OPENSSL_ERROR.match(line))), ("", ""))
    if purpose and code == _INVALID_PURPOSE:
        return "invalid", f"{whose}证书用途不符（{purpose[1]}；{why}）"
    return "invalid", f"{whose}证书链不可信（{why or '无法链至所配置的信任根'}）"


def _anchors(folder: Path) -> tuple[bytes, ...]:
    """The certificates (DER) in FOLDER, each file PEM (possibly several) or DER."""
    found = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        try:
            for der in _blocks(path.read_bytes()):
                certificate = x509.Certificate.load(der, strict=True)
                certificate.native  # noqa: B018  parse it all now: a bad file is the configuration's fault
                found.append(der)
        except _MALFORMED as exc:
            raise ConfigurationError(
                f"seals.trust_anchors: {path} is not a certificate in PEM or DER ({exc})"
            ) from None
    if not found:
        raise ConfigurationError(f"seals.trust_anchors: no certificate in {folder}")
    return tuple(found)


def _crl_files(paths: tuple[Path, ...]) -> tuple[crl.CertificateList, ...]:
    """The CRLs in PATHS, each file PEM (possibly several) or DER. Only their headers are read now: a national
    CA's CRL may list many thousand certificates, of which ``_listed`` reads only the ones it is asked about."""
    found = []
    for path in paths:
        try:
            for der in _blocks(path.read_bytes()):
                loaded = crl.CertificateList.load(der, strict=True)
                _time(loaded["tbs_cert_list"]["this_update"])
                loaded.issuer.native  # noqa: B018  a bad header is the configuration's fault
                loaded["signature_algorithm"]["algorithm"].dotted  # noqa: B018
                found.append(loaded)
        except _MALFORMED as exc:
            raise ConfigurationError(f"seals.crls: {path} is not a CRL in PEM or DER ({exc})") from None
        except OSError as exc:
            raise ConfigurationError(f"seals.crls: cannot read {path} ({exc.strerror})") from None
    return tuple(found)


def _blocks(data: bytes) -> list[bytes]:
    """The DER of each PEM block in DATA, or DATA itself where it is not PEM. Decoded here rather than by
    asn1crypto's ``pem.unarmor``, which joins the lines one by one: minutes for a national CA's 10 MB CRL."""
    if not pem.detect(data):
        return [data]
    blocks = [binascii.a2b_base64(body) for body in _PEM_BLOCK.findall(data)]
    if not blocks:
        raise ValueError("PEM without a complete BEGIN/END block")
    return blocks


@dataclass(frozen=True)
class _Listing:
    """What the CRLs of a certificate's issuer that verified say of it."""

    revoked_at: dt.datetime | None
    """The earliest revocation any of them lists, or None where none lists it."""
    reason: str
    published: dt.datetime
    """The newest one's thisUpdate: what it says holds until then at least."""
    next_update: dt.datetime | None
    """The newest one's nextUpdate: past it, a revocation could have been published since."""

    def stale_at(self, at: dt.datetime) -> dt.datetime | None:
        """The newest CRL's nextUpdate where that is before AT (a revocation before AT may be missing from it)."""
        return self.next_update if self.next_update is not None and self.next_update < at else None


def _revocations(
    used: list[_Used], crls: tuple[crl.CertificateList, ...], issuers: tuple[bytes, ...], stamped_at: dt.datetime | None
) -> list[tuple[State, str]]:
    """Each used certificate whose chain is trusted, looked up in the configured CRLs of its issuer that verify by
    a certificate in ISSUERS (the anchors, and a timestamp token's intermediates, which its chain went through).

    The timestamp's time proves the signature, and the seal inside it, older than a revocation only where its
    authority's chain is trusted and its CRL, current at that time, does not list it.
    """
    trusted = [(one, x509.Certificate.load(one.cert)) for one in used if one.chain[0] == "valid"]
    checked = _checked_crls(crls, [cert.issuer for _, cert in trusted], [x509.Certificate.load(d) for d in issuers])
    listings = [(one, _listed(cert, checked)) for one, cert in trusted]
    tsa = next((listing for one, listing in listings if one.whose == "时间戳"), None)
    proof = None
    if isinstance(tsa, _Listing) and tsa.revoked_at is None and stamped_at and not tsa.stale_at(stamped_at):
        proof = stamped_at
    return [_revocation(one, listing, proof) for one, listing in listings]


def _checked_crls(
    crls: tuple[crl.CertificateList, ...], wanted: list[x509.Name], issuers: list[x509.Certificate]
) -> list[tuple[crl.CertificateList, str]]:
    """The CRLs issued by a name in WANTED, each with "" where its signature verifies by a certificate of that
    name in ISSUERS (any, for a CA that renewed its key), else why not; one ``openssl`` run per CRL tried."""
    checked = []
    for listing in crls:
        if not any(listing.issuer == name for name in wanted):
            continue
        why = "其签发者不是所配置的信任根"
        for issuer in (i for i in issuers if i.subject == listing.issuer):
            algorithm = listing["signature_algorithm"]["algorithm"].dotted
            signed = _Signed(issuer.dump(), algorithm, listing["tbs_cert_list"].dump(), listing.signature)
            state, detail = _verify(signed)
            if state == "valid":
                why = ""
                break
            why = "CRL签名无效" if state == "invalid" else f"CRL签名未能验证：{detail}"
        checked.append((listing, why))
    return checked


def _listed(cert: x509.Certificate, checked: list[tuple[crl.CertificateList, str]]) -> _Listing | str:
    """What the verified CRLs of CERT's issuer say of it, or why none can say."""
    ours = [(listing, why) for listing, why in checked if listing.issuer == cert.issuer]
    if not ours:
        return f"未配置其签发者{_name(cert.issuer)}的CRL"
    believed = [listing for listing, why in ours if not why]
    if not believed:
        return "；".join(dict.fromkeys(why for _, why in ours))
    try:
        revoked = sorted(entry for listing in believed for entry in _entries(listing, cert.serial_number))
        published, newest = max(((_time(c["tbs_cert_list"]["this_update"]), c) for c in believed), key=_first)
        next_update = newest["tbs_cert_list"]["next_update"]
        until = None if isinstance(next_update, core.Void) else _time(next_update)
    except _MALFORMED as exc:
        return f"CRL无法解析（{exc}）"
    at, reason = revoked[0] if revoked else (None, "")
    return _Listing(at, reason, published, until)


def _first(pair: tuple[dt.datetime, crl.CertificateList]) -> dt.datetime:
    return pair[0]


def _entries(listing: crl.CertificateList, serial: int) -> list[tuple[dt.datetime, str]]:
    """When and why LISTING revokes the certificate SERIAL (empty where it does not). Its DER serial is searched
    for in the bytes first, so a long CRL is walked only where it may list it."""
    tbs, wanted = listing["tbs_cert_list"], core.Integer(serial)
    if wanted.dump() not in tbs.dump():
        return []
    found = []
    for entry in tbs["revoked_certificates"]:
        if entry["user_certificate"].contents != wanted.contents:  # bytes, not 100,000 ints
            continue
        reason = entry.crl_reason_value.native if entry.crl_reason_value is not None else "unspecified"
        if reason == "remove_from_crl":  # a delta CRL's "no longer revoked"
            continue
        found.append((_time(entry["revocation_date"]), _REASONS.get(reason, reason)))
    return found


def _revocation(one: _Used, listing: _Listing | str, proof: dt.datetime | None) -> tuple[State, str]:
    """The verdict on ONE's revocation. Revoked before (or at) a time it was used at: invalid. Revoked after: the
    signer's and the maker's certificate need PROOF (a trusted timestamp's time) that the signature or seal is
    older than the revocation, their own times being only their say; without it the signature is invalid too.
    A timestamp authority revoked after stamping leaves the token valid but proving nothing (no proof is made)."""
    named = f"{one.whose or '签名'}证书"
    event = {"": "签章", "制章者": "制章", "时间戳": "时间戳"}[one.whose]
    if isinstance(listing, str):
        return "unchecked", f"{named}吊销状态未核查（{listing}）"
    if listing.revoked_at is None:
        latest = max(one.times, default=None)
        until = listing.stale_at(latest) if latest is not None else None
        if until is None:
            return "valid", f"{named}未吊销（CRL发布于{_shown(listing.published)}）"
        stale = f"所配CRL下次更新{_shown(until)}早于{event}时间{_shown(max(one.times))}"
        return "unchecked", f"{named}吊销状态未核查（{stale}）"
    revoked = f"{named}已于{_shown(listing.revoked_at)}吊销（{listing.reason}；"
    after = next((at for at in one.times if at >= listing.revoked_at), None)
    if after is not None:
        return "invalid", f"{revoked}早于{event}时间{_shown(after)}）"
    if not one.times:
        return "invalid", f"{revoked}{event}时间无法识别）"
    if one.whose == "时间戳":
        return "valid", f"{revoked}晚于时间戳时间，但时间戳不再能证明签章时间）"
    if proof is not None and proof < listing.revoked_at:
        return "valid", f"{revoked}晚于时间戳证明的{event}时间，不影响签名）"
    return "invalid", f"{revoked}{event}时间仅为自述，无可信时间戳证明早于吊销）"


def _parse(signed_value: bytes) -> _Parsed:
    """The parts of an SES_Signature, by the shape of v4 (GB/T 38540) or v1 (GM/T 0031)."""
    elements = sequence_elements(signed_value)
    top = [core.load(der, strict=True) for der in elements[:4]]
    to_sign = top[0]
    if not isinstance(to_sign, core.Sequence):
        raise ValueError("toSign不是SEQUENCE")
    version = _integer(to_sign[0])
    seal = to_sign[1]
    seal_info = seal[0]
    properties = seal_info[2]  # ES_PropertyInfo
    if len(top) >= 4 and isinstance(top[1], core.OctetString):  # v4: cert, algorithm, signature after toSign
        cert, algorithm, signature = _octets(top[1]), top[2], top[3]
        seal_certs: tuple[bytes, ...] | None = _seal_certs(properties, cert)
        maker = _Signed(_octets(seal[1]), _oid(seal[2]), seal_info.dump(), _bits(seal[3]))
        dates = 5  # type, name, certListType, certList, createDate, validStart, validEnd
        timestamp = elements[4] if len(elements) > 4 else None
    elif len(elements) == 2 and len(to_sign) >= 7:  # v1: cert and algorithm inside TBS_Sign, hence signed
        cert, algorithm, signature = _octets(to_sign[5]), to_sign[6], top[1]
        seal_certs = None
        sign_info = seal[1]
        maker_data = core.Sequence(contents=seal_info.dump() + sign_info[0].dump() + sign_info[1].dump()).dump()
        maker = _Signed(_octets(sign_info[0]), _oid(sign_info[1]), maker_data, _bits(sign_info[2]))
        dates = 4  # type, name, certList, createDate, validStart, validEnd
        timestamp = None
    else:
        raise ValueError(f"版本{version}的结构无法识别")
    return _Parsed(
        version=version,
        data_hash=_bits(to_sign[3]),
        signer=_Signed(cert, _oid(algorithm), to_sign.dump(), _bits(signature)),
        maker=maker,
        seal_name=bytes(properties[1].contents).decode("utf-8", "replace"),
        made_at=properties[dates - 1],
        seal_certs=seal_certs,
        time_info=to_sign[2],
        valid_from=properties[dates],
        valid_to=properties[dates + 1],
        timestamp=timestamp,
    )


def _timestamp_token(element: bytes) -> bytes:
    """``timeStamp [0]``: the token's DER, whether tagged explicitly around a BIT STRING (ofdrw) or around the
    token itself, or implicitly as a BIT STRING."""
    class_, method, tag, _, contents, _ = parser.parse(element, strict=True)
    if class_ != 2 or tag != 0:
        raise ValueError("timeStamp不是[0]")
    if method == 0:
        return _bits(core.BitString(contents=contents))
    inner = core.load(contents, strict=True)
    return _bits(inner) if isinstance(inner, core.BitString) else bytes(inner.dump())


def sequence_elements(der: bytes) -> list[bytes]:
    """The DER of each element of the SEQUENCE DER, whatever their tags (v4's optional timeStamp is [0], which
    asn1crypto will not parse without a schema)."""
    class_, method, tag, _, contents, _ = parser.parse(der, strict=True)
    if (class_, method, tag) != (0, 1, 16):
        raise ValueError("不是SEQUENCE")
    out = []
    while contents:
        _, _, _, header, inner, trailer = parser.parse(contents)
        size = len(header) + len(inner) + len(trailer)
        out.append(contents[:size])
        contents = contents[size:]
    return out


def _seal_certs(properties: core.Sequence, signer: bytes) -> tuple[bytes, ...]:
    """The v4 seal's certificate list (ES_PropertyInfo.certList), as certificates.

    GB/T 38540 binds a seal to the certificates allowed to sign with it, either listed whole (certListType 1) or
    by digest (2: SEQUENCE OF {type, value}); listed digests that match SIGNER stand for SIGNER. Because the seal
    is inside ``toSign``, this is what ties the embedded certificate, and the subject reported, to the signature.
    """
    kind, listed = _integer(properties[2]), properties[3]
    if kind == 1:
        return tuple(_octets(listed[i]) for i in range(len(listed)))
    if kind == 2:
        methods = [
            bytes(listed[i][0].contents).decode("ascii", "replace").lower().replace("-", "") for i in range(len(listed))
        ]
        if any(m not in DIGESTS for m in methods):
            raise ValueError(f"证书摘要算法{'、'.join(m for m in methods if m not in DIGESTS)}不支持")
        digests = [_octets(listed[i][1]) for i in range(len(listed))]
        matched = any(hashlib.new(DIGESTS[m], signer).digest() == d for m, d in zip(methods, digests, strict=True))
        return (signer,) if matched else ()
    raise ValueError(f"证书列表类型{kind}无法识别")


def _integer(value: core.Asn1Value) -> int:
    return int(core.Integer.load(value.dump(), strict=True).native)


def _oid(value: core.Asn1Value) -> str:
    return str(core.ObjectIdentifier.load(value.dump(), strict=True).dotted)


def _octets(value: core.Asn1Value) -> bytes:
    return bytes(core.OctetString.load(value.dump(), strict=True).native)


def _bits(value: core.Asn1Value) -> bytes:
    """A whole-byte BIT STRING's bytes (the first content byte counts the unused bits)."""
    contents = core.BitString.load(value.dump(), strict=True).contents
    if not contents or contents[0] != 0:
        raise ValueError("BIT STRING不是整字节")
    return bytes(contents[1:])


def _time(value: core.Asn1Value) -> dt.datetime:
    """A GeneralizedTime or UTCTime, or v1's timeInfo: a BIT STRING holding the time as text
    (n.ofd: ``2020-01-25T07:31:56.377Z``; also ``20200125073156Z``)."""
    if isinstance(value, core.Choice):  # a certificate's Time
        value = value.chosen
    der = value.dump()
    if value.tag == 24:
        return _aware(core.GeneralizedTime.load(der, strict=True).native)
    if value.tag == 23:
        return _aware(core.UTCTime.load(der, strict=True).native)
    text = _bits(value).decode("ascii").strip()
    if text[:14].isdigit():
        return _aware(core.GeneralizedTime(text).native)
    return _aware(dt.datetime.fromisoformat(text))


def _aware(value: object) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise ValueError(f"不是时间：{value!r}")
    return value if value.tzinfo is not None else value.replace(tzinfo=BEIJING)


def _shown(at: dt.datetime, date_only: bool = False) -> str:
    """A time as a clerk reads it: Beijing time, to the second (or the date)."""
    return at.astimezone(BEIJING).strftime("%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M:%S")


def _der_signature(signature: bytes) -> bytes:
    """The signature as DER SEQUENCE { r, s }; some signers store the raw 64-byte r‖s instead."""
    if len(signature) == 64:
        return bytes(algos.DSASignature.from_p1363(signature).dump())
    return signature


def _name(name: x509.Name) -> str:
    """A certificate's subject or issuer, e.g. ``CN=Test Certificate,O=OFD R&W``, decoded without asn1crypto's
    cp1252 guess for Teletex strings (Chinese issuers put UTF-8 or GB 18030 bytes there)."""
    parts = []
    for rdn in name.chosen:
        for attribute in rdn:
            short = _SUBJECT_NAMES.get(attribute["type"].dotted)
            if short is None:
                continue
            value = attribute["value"]
            value = value.chosen if isinstance(value, core.Choice) else value
            raw = bytes(value.contents)
            if isinstance(value, core.BMPString):
                text = raw.decode("utf-16-be", "replace")
            else:
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    text = raw.decode("gb18030", "replace")
            parts.append(f"{short}={text}")
    return ",".join(reversed(parts))


def _unusable(signed: _Signed) -> str:
    """Why SIGNED is not an SM3withSM2 signature by an SM2 certificate this verifier can judge ("" when it is)."""
    if signed.algorithm != SM3_WITH_SM2:
        return f"签名算法{signed.algorithm}不支持"
    try:
        key = x509.Certificate.load(signed.cert).public_key
        curve = key["algorithm"]["parameters"].chosen if key.algorithm == "ec" else None
        curve_oid = curve.dotted if isinstance(curve, core.ObjectIdentifier) else ""
    except _MALFORMED as exc:
        return f"证书无法解析（{exc}）"
    if key.algorithm != "ec" or curve_oid != SM2_CURVE:
        return f"证书的公钥不是SM2（{key.algorithm} {curve_oid}）"
    return ""


def _verify(signed: _Signed) -> tuple[State, str]:
    """One SM3withSM2 signature (the signer's, the seal maker's, a CRL's) by OpenSSL 3: ("valid"|"invalid", "") or
    ("unchecked", why): an algorithm or key this verifier does not judge, a malformed value, OpenSSL failing."""
    unusable = _unusable(signed)
    if unusable:
        return "unchecked", unusable
    try:
        public_key = x509.Certificate.load(signed.cert).public_key.dump()
        signature = _der_signature(signed.signature)
    except _MALFORMED as exc:
        return "unchecked", f"签名值无法解析（{exc}）"
    with tempfile.TemporaryDirectory(prefix="edossier-sm2-") as tmp:
        key_path, sig_path = Path(tmp) / "key.der", Path(tmp) / "sig.der"
        key_path.write_bytes(public_key)
        sig_path.write_bytes(signature)
        done = _openssl(
            ["pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey", str(key_path), "-rawin", "-digest", "sm3",
             "-pkeyopt", f"distid:{DEFAULT_USER_ID}", "-sigfile", str(sig_path)],
            signed.data,
        )  # fmt: skip
    if isinstance(done, str):
        return "unchecked", f"OpenSSL未能完成验证（{done}）"
    out = done.stdout.decode("utf-8", "replace")
    if done.returncode == 0 and "Verified Successfully" in out:
        return "valid", ""
    if "Verification Failure" in out:
        return "invalid", ""
    error = done.stderr.decode("utf-8", "replace").strip().splitlines()
    return "unchecked", f"OpenSSL未能完成验证（退出码{done.returncode}：{error[0] if error else out.strip()}）"


def _openssl(arguments: list[str], stdin: bytes) -> subprocess.CompletedProcess[bytes] | str:
    """Run ``openssl ARGUMENTS`` with STDIN; the finished process, or why it could not run."""
    try:
        return subprocess.run(
            ["openssl", *arguments], input=stdin, capture_output=True, timeout=_OPENSSL_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"openssl: {exc}"
