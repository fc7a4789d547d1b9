"""PAdES B-T: a signature timestamped by an RFC 3161 authority reached over HTTP.

The authority is a local HTTP endpoint in this test, answering with pyHanko's
own test TSA (DummyTimeStamper) under a throwaway certificate: no public TSA
can be reached from here.  The request and reply still travel over HTTP as
with a court's TSA.
"""

from __future__ import annotations

import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from tests.bind.bind_samples import spec_for
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps import DummyTimeStamper

from edossier.bind.sign import seal_version
from edossier.bind.verify import verify_pdf


def _tsa_certificate(folder: Path) -> tuple[DummyTimeStamper, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "edossier test TSA")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = folder / "tsa.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
        ),
    )
    return stamper, pem


@pytest.fixture()
def local_tsa(tmp_path):  # type: ignore[no-untyped-def]
    stamper, pem = _tsa_certificate(tmp_path)
    requests: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            reply = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            requests.append(len(body))
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/tsa", pem, requests
    server.shutdown()


def test_timestamped_signature_verifies_with_the_tsa_trusted(bound, dev_key, local_tsa, tmp_path):  # type: ignore[no-untyped-def]
    url, tsa_root, requests = local_tsa
    out = tmp_path / "bt.pdf"
    seal_version(bound["unsigned"], out, spec_for(dev_key[0], 1, timestamp_url=url), bound["meta"],
                 bound["addition"].bookmarks)
    assert requests, "the TSA was never asked"
    report = verify_pdf(out, [dev_key[1], tsa_root])
    assert report.valid, report.as_dict()
    assert report.signatures[0].timestamp is not None
    untrusted_tsa = verify_pdf(out, [dev_key[1]])
    assert not untrusted_tsa.valid
