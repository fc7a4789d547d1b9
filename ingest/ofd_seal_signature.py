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
_OPENSSL_TIMEOUT_S = 30
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


@dataclass(frozen=True)
class _Parsed:
    version: int
    to_sign: bytes
    data_hash: bytes
    cert: bytes
    algorithm: str
    signature: bytes


def check_signature(signed_value: bytes, signature_xml: bytes) -> SignatureCheck:
    """Verify SIGNED_VALUE (an SES_Signature, v1 or v4) against SIGNATURE_XML, the Signature.xml it signs."""
    try:
        parsed = _parse(signed_value)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        return SignatureCheck("unchecked", f"签名值不是可识别的SES_Signature结构（{exc}），未能验证")
    if parsed.algorithm != SM3_WITH_SM2:
        return SignatureCheck("unchecked", f"签名算法{parsed.algorithm}不支持，未能验证", version=parsed.version)
    try:
        cert = x509.Certificate.load(parsed.cert)
        signer = _subject(cert)
        key = cert.public_key
        curve = key["algorithm"]["parameters"].chosen
        curve_oid = curve.dotted if isinstance(curve, core.ObjectIdentifier) else ""
        public_key = key.dump()
    except (ValueError, TypeError, KeyError) as exc:
        return SignatureCheck("unchecked", f"签名证书无法解析（{exc}），未能验证", version=parsed.version)
    if key.algorithm != "ec" or curve_oid != SM2_CURVE:
        return SignatureCheck(
            "unchecked", f"签名证书的公钥不是SM2（{key.algorithm} {curve_oid}），未能验证", signer, parsed.version
        )
    if hashlib.new("sm3", signature_xml).digest() != parsed.data_hash:
        return SignatureCheck(
            "invalid", "Signature.xml与签名时不同（dataHash不符），签名不覆盖现有签章描述", signer, parsed.version
        )
    state, detail = _openssl_verify(public_key, parsed.to_sign, _der_signature(parsed.signature))
    if state == "valid":
        return SignatureCheck("valid", "签名值验证有效（仅数学验证，证书链未核验）", signer, parsed.version)
    if state == "invalid":
        return SignatureCheck("invalid", "签名值与签名证书不符（SM2验证失败）", signer, parsed.version)
    return SignatureCheck("unchecked", f"OpenSSL未能完成验证（{detail}）", signer, parsed.version)


def _parse(signed_value: bytes) -> _Parsed:
    """The parts of an SES_Signature, by the shape of v4 (GB/T 38540) or v1 (GM/T 0031)."""
    top = core.Sequence.load(signed_value, strict=True)
    to_sign = top[0]
    if not isinstance(to_sign, core.Sequence):
        raise ValueError("toSign不是SEQUENCE")
    version = _integer(to_sign[0])
    if len(top) >= 4 and isinstance(top[1], core.OctetString):  # v4: cert, algorithm, signature after toSign
        cert, algorithm, signature = top[1], top[2], top[3]
    elif len(top) == 2 and len(to_sign) >= 7:  # v1: cert and algorithm inside TBS_Sign
        cert, algorithm, signature = to_sign[5], to_sign[6], top[1]
    else:
        raise ValueError(f"版本{version}的结构无法识别")
    return _Parsed(
        version=version,
        to_sign=to_sign.dump(),
        data_hash=_bits(to_sign[3]),
        cert=_octets(cert),
        algorithm=_oid(algorithm),
        signature=_bits(signature),
    )


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
