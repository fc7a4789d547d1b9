"""Is an OFD seal's signature value (``SignedValue.dat``) a valid SM2 signature over what the seal claims?

Checking the digests in ``Signature.xml`` alone proves nothing against a forger: whoever changes a page can
recompute its ``CheckValue``. What he cannot recompute is the signature. So each seal's signed value is
parsed as an ``SES_Signature`` and checked the way the standards define it:

- GB/T 38540 (version 4): ``SES_Signature ::= SEQUENCE { toSign TBS_Sign, cert OCTET STRING,
  signatureAlgID OID, signature BIT STRING, timeStamp [0] OPTIONAL }``; the signature is over the DER of
  ``toSign``.
- GM/T 0031 (version 1): ``SES_Signature ::= SEQUENCE { toSign TBS_Sign, signature BIT STRING }`` with the
  certificate and algorithm inside ``TBS_Sign``; the signature is over the DER of ``TBS_Sign``.

In both, ``TBS_Sign.dataHash`` is the SM3 digest of the signed original, which for an OFD (GB/T 33190 §18)
is the ``Signature.xml`` file itself, byte for byte: that file holds the parts' digests, so a matching
dataHash plus a valid signature plus matching part digests ties every covered part to the signer.

The signature is verified with OpenSSL 3 (``openssl pkeyutl -verify``, SM3withSM2, the GB/T 35276 default
user ID ``1234567812345678``) rather than the pure-Python ``gmssl`` package: OpenSSL's SM2 is maintained,
reviewed and already what this project trusts for SM3 (``hashlib``), while ``gmssl`` would be a second,
little-maintained implementation of elliptic-curve arithmetic to trust. The CLI is used because Python's
``cryptography`` does not expose SM2. The certificate's trust chain is **not** judged (no Chinese root store
here): a valid result means "mathematically valid for the embedded certificate", and says whose it is.
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from asn1crypto import algos, core, x509

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
_OPENSSL_TIMEOUT_S = 30
_MALFORMED = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)
"""What asn1crypto raises on a malformed value (it parses lazily, so any access may raise)."""
_SUBJECT_NAMES = {"2.5.4.3": "CN", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.6": "C"}

State = Literal["valid", "invalid", "unchecked"]


@dataclass(frozen=True)
class SignatureCheck:
    """The verdict on one seal's signature value, with the sentence that explains it."""

    state: State
    reason: str
    """Why (Chinese, for the catalogue remark): what failed, or why it could not be checked."""
    signer: str = ""
    """The embedded certificate's subject (empty when the certificate could not be read)."""
    version: int | None = None
    seal_name: str = ""
    """The seal's own name (ES_PropertyInfo.name), e.g. the sealing authority."""


@dataclass(frozen=True)
class _Parsed:
    version: int
    to_sign: bytes
    data_hash: bytes
    cert: bytes
    algorithm: str
    signature: bytes
    seal_name: str
    seal_certs: tuple[bytes, ...] | None
    """v4: the signer certificates the seal allows (as listed or as SM3/SHA digests); None for v1."""


def check_signature(signed_value: bytes, signature_xml: bytes) -> SignatureCheck:
    """Verify SIGNED_VALUE (an SES_Signature, v1 or v4) against SIGNATURE_XML, the Signature.xml it signs."""
    try:
        parsed = _parse(signed_value)
    except _MALFORMED as exc:
        return SignatureCheck("unchecked", f"签名值不是可识别的SES_Signature结构（{exc}），未能验证")
    signer = ""
    try:
        cert = x509.Certificate.load(parsed.cert)
        signer = _subject(cert)
        key = cert.public_key
        curve = key["algorithm"]["parameters"].chosen if key.algorithm == "ec" else None
        curve_oid = curve.dotted if isinstance(curve, core.ObjectIdentifier) else ""
        state, reason = _verdict(parsed, signature_xml, key.algorithm, curve_oid, key.dump())
    except _MALFORMED as exc:
        state, reason = "unchecked", f"签名证书无法解析（{exc}），未能验证"
    return SignatureCheck(state, reason, signer, parsed.version, parsed.seal_name)


def _verdict(parsed: _Parsed, signature_xml: bytes, key_type: str, curve: str, public_key: bytes) -> tuple[State, str]:
    """The first check that fails is the verdict: what this verifier cannot judge, then whether the seal
    allows the certificate, whether the signature covers this Signature.xml, and the SM2 signature itself."""
    if parsed.algorithm != SM3_WITH_SM2:
        return "unchecked", f"签名算法{parsed.algorithm}不支持，未能验证"
    if key_type != "ec" or curve != SM2_CURVE:
        return "unchecked", f"签名证书的公钥不是SM2（{key_type} {curve}），未能验证"
    if parsed.seal_certs is not None and parsed.cert not in parsed.seal_certs:
        return "invalid", "签名证书不在印章的证书列表中"
    if hashlib.new("sm3", signature_xml).digest() != parsed.data_hash:
        return "invalid", "Signature.xml与签名时不同（dataHash不符），签名不覆盖现有签章描述"
    state, detail = _openssl_verify(public_key, parsed.to_sign, _der_signature(parsed.signature))
    if state == "valid":
        return state, "签名值验证有效（仅数学验证，证书链未核验）"
    if state == "invalid":
        return state, "签名值与签名证书不符（SM2验证失败）"
    return state, f"OpenSSL未能完成验证（{detail}）"


def _parse(signed_value: bytes) -> _Parsed:
    """The parts of an SES_Signature, by the shape of v4 (GB/T 38540) or v1 (GM/T 0031)."""
    top = core.Sequence.load(signed_value, strict=True)
    to_sign = top[0]
    if not isinstance(to_sign, core.Sequence):
        raise ValueError("toSign不是SEQUENCE")
    version = _integer(to_sign[0])
    properties = to_sign[1][0][2]  # SESeal.esealInfo.property
    if len(top) >= 4 and isinstance(top[1], core.OctetString):  # v4: cert, algorithm, signature after toSign
        cert, algorithm, signature = _octets(top[1]), top[2], top[3]
        seal_certs: tuple[bytes, ...] | None = _seal_certs(properties, cert)
    elif len(top) == 2 and len(to_sign) >= 7:  # v1: cert and algorithm inside TBS_Sign, hence signed
        cert, algorithm, signature = _octets(to_sign[5]), to_sign[6], top[1]
        seal_certs = None
    else:
        raise ValueError(f"版本{version}的结构无法识别")
    return _Parsed(
        version=version,
        to_sign=to_sign.dump(),
        data_hash=_bits(to_sign[3]),
        cert=cert,
        algorithm=_oid(algorithm),
        signature=_bits(signature),
        seal_name=bytes(properties[1].contents).decode("utf-8", "replace"),
        seal_certs=seal_certs,
    )


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


def _der_signature(signature: bytes) -> bytes:
    """The signature as DER SEQUENCE { r, s }; some signers store the raw 64-byte r‖s instead."""
    if len(signature) == 64:
        return bytes(algos.DSASignature.from_p1363(signature).dump())
    return signature


def _subject(cert: x509.Certificate) -> str:
    """The certificate subject, e.g. ``CN=Test Certificate,O=OFD R&W``, decoded without asn1crypto's
    cp1252 guess for Teletex strings (Chinese issuers put UTF-8 or GB 18030 bytes there)."""
    parts = []
    for rdn in cert.subject.chosen:
        for attribute in rdn:
            name = _SUBJECT_NAMES.get(attribute["type"].dotted)
            if name is None:
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
            parts.append(f"{name}={text}")
    return ",".join(reversed(parts))


def _openssl_verify(public_key: bytes, to_sign: bytes, signature: bytes) -> tuple[State, str]:
    """SM3withSM2 verification by OpenSSL 3: ("valid"|"invalid", "") or ("unchecked", why)."""
    with tempfile.TemporaryDirectory(prefix="edossier-sm2-") as tmp:
        key_path, sig_path = Path(tmp) / "key.der", Path(tmp) / "sig.der"
        key_path.write_bytes(public_key)
        sig_path.write_bytes(signature)
        command = [
            "openssl", "pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey", str(key_path),
            "-rawin", "-digest", "sm3", "-pkeyopt", f"distid:{DEFAULT_USER_ID}", "-sigfile", str(sig_path),
        ]  # fmt: skip
        try:
            done = subprocess.run(command, input=to_sign, capture_output=True, timeout=_OPENSSL_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return "unchecked", f"openssl: {exc}"
    out = done.stdout.decode("utf-8", "replace")
    if done.returncode == 0 and "Verified Successfully" in out:
        return "valid", ""
    if "Verification Failure" in out:
        return "invalid", ""
    error = done.stderr.decode("utf-8", "replace").strip().splitlines()
    return "unchecked", f"openssl退出码{done.returncode}：{error[0] if error else out.strip()}"
