"""The signer edossier seals with: pyHanko's SimpleSigner with the key loaded once and dry runs that sign nothing.

The dry run is how pyHanko sizes the signature container; its placeholder must be
exactly as long as the real signature, or the container is too small (pyHanko
fails) or padded for nothing.  Keys other than RSA go through SimpleSigner.
"""

from __future__ import annotations

import asyncio
import datetime
import io
from pathlib import Path

import pymupdf
import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, Encoding, pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from tests.bind.bind_samples import spec_for

from edossier.bind.devcert import DEV_PASSPHRASE
from edossier.bind.sign import SignatureSpec, load_signer
from edossier.errors import StageError


def test_an_rsa_dry_run_is_as_long_as_the_signature_and_signs_nothing(dev_key: tuple[Path, Path]) -> None:
    signer = load_signer(spec_for(dev_key[0], 1))
    dry = asyncio.run(signer.async_sign_raw(b"the signed attributes", "sha256", dry_run=True))
    real = asyncio.run(signer.async_sign_raw(b"the signed attributes", "sha256"))
    certificate = x509.load_der_x509_certificate(signer.signing_cert.dump())
    modulus = certificate.public_key().key_size // 8  # type: ignore[union-attr]  # an RSA key
    assert len(dry) == len(real) == modulus and dry == bytes(modulus)
    certificate.public_key().verify(real, b"the signed attributes", PKCS1v15(), hashes.SHA256())  # type: ignore[call-arg, arg-type]  # an RSA key


def _ec_pkcs12(folder: Path) -> Path:
    """A self-signed P-256 signing certificate in a PKCS#12 file protected by the dev passphrase."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "测试法院 EC 签章")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    target = folder / "ec.p12"
    target.write_bytes(pkcs12.serialize_key_and_certificates(
        b"ec", key, certificate, None, BestAvailableEncryption(DEV_PASSPHRASE)))
    return target


def _signed_and_validated(signer: signers.Signer, trust: x509.Certificate) -> tuple[bool, bool]:
    """A one-page PDF signed by SIGNER through pyHanko (dry run included); (intact, valid) as pyHanko validates it."""
    with pymupdf.open() as doc:
        doc.new_page().insert_text((72, 72), "卷内目录")
        pdf = doc.tobytes()
    out = io.BytesIO()
    signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), signers.PdfSignatureMetadata(field_name="Sig"),
                     signer=signer, output=out)
    root = asn1_x509.Certificate.load(trust.public_bytes(Encoding.DER))
    status = validate_pdf_signature(PdfFileReader(out).embedded_signatures[0], ValidationContext(trust_roots=[root]))
    return status.intact, status.valid


def test_an_ec_key_signs_through_simplesigner_and_validates(tmp_path: Path) -> None:
    p12 = _ec_pkcs12(tmp_path)
    signer = load_signer(SignatureSpec(p12, DEV_PASSPHRASE, "edossier-v1", "电子卷宗装订"))
    certificate = x509.load_der_x509_certificate(signer.signing_cert.dump())
    assert _signed_and_validated(signer, certificate) == (True, True)


def test_an_rsa_key_signs_a_pdf_that_validates(dev_key: tuple[Path, Path]) -> None:
    signer = load_signer(spec_for(dev_key[0], 1))
    certificate = x509.load_pem_x509_certificate(dev_key[1].read_bytes())
    assert _signed_and_validated(signer, certificate) == (True, True)


def test_a_wrong_passphrase_names_the_file(dev_key: tuple[Path, Path]) -> None:
    with pytest.raises(StageError, match=rf"{dev_key[0].name}: cannot load the signing key .*wrong passphrase"):
        load_signer(SignatureSpec(dev_key[0], b"not the passphrase", "edossier-v1", "电子卷宗装订"))
