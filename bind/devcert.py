"""A development signing key, made on first use so a fresh machine can sign at once.

Its subject says DEVELOPMENT ONLY - NOT FOR PRODUCTION: a court configures its
own PKCS#12 key (``signing.pkcs12``) issued under its own trust root.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEV_PASSPHRASE = b"edossier-development"
DEV_SUBJECT = "edossier DEVELOPMENT ONLY - NOT FOR PRODUCTION"


def ensure_dev_key(keys_dir: Path) -> tuple[Path, Path]:
    """Return (PKCS#12 file, certificate PEM), creating them once."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    p12 = keys_dir / "dev-signing-rsa.p12"
    pem = keys_dir / "dev-signing-rsa-cert.pem"
    with open(keys_dir / ".lock", "w", encoding="ascii") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two workers starting at once must agree on one key
        if not (p12.exists() and pem.exists()):
            _create(p12, pem)
    return p12, pem


def _create(p12: Path, pem: Path) -> None:
    # RSA, not ECDSA: pyHanko marks an ECDSA-signed file as PDF 2.0 (ISO 32002),
    # which PDF/A-2 does not allow
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, DEV_SUBJECT),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "edossier development"),
        ]
    )
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .sign(key, hashes.SHA256())
    )
    blob = pkcs12.serialize_key_and_certificates(
        b"edossier-dev", key, cert, None, serialization.BestAvailableEncryption(DEV_PASSPHRASE)
    )
    for path, data in ((p12, blob), (pem, cert.public_bytes(serialization.Encoding.PEM))):
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
