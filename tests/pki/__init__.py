"""The test PKI on real parts: certomancer's CA, OCSP, CRL and TSA services on a loopback port.

``running_pki(folder)`` writes fresh keys, fills the day offsets of
``certomancer.yml`` in with real dates, and serves certomancer's Animator WSGI
app from a thread; the signer's PKCS#12 and the root certificate are written
to FOLDER for the code under test to use like a court's own files.
"""

from __future__ import annotations

import datetime as dt
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import logging

import pytest
import yaml
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.serving import make_server

CONFIG = Path(__file__).with_name("certomancer.yml")
KEYS = ("root", "interm", "interm-ocsp", "signer", "tsa", "tsa2")
P12_PASSPHRASE = b"test-court"
logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise


@dataclass(frozen=True)
class TestPki:
    url: str
    today: dt.datetime
    root: Path
    """the trust root (PEM), as a court configures signing.trust_roots"""
    signer_p12: Path
    revoked_signer_p12: Path
    arch: object
    animator: Animator

    @contextmanager
    def travel(self, offset_days: int) -> Iterator[dt.datetime]:
        """certomancer's time travel: OCSP, CRL and TSA answer as on day OFFSET_DAYS (from the day the tests run)."""
        moment = self.day(offset_days) + dt.timedelta(hours=12)
        self.animator.fixed_time = moment
        try:
            yield moment
        finally:
            self.animator.fixed_time = None

    @property
    def tsa_url(self) -> str:
        return f"{self.url}/court/tsa/tsa"

    @property
    def tsa2_url(self) -> str:
        return f"{self.url}/court/tsa/tsa2"

    def day(self, offset: int) -> dt.datetime:
        return self.today + dt.timedelta(days=offset)

    def expiry(self, label: str) -> dt.datetime:
        return self.arch.get_cert(CertLabel(label)).not_valid_after  # type: ignore[attr-defined]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _write_keys(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in KEYS:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (folder / f"{name}.key.pem").write_bytes(
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
        )


def _config_text(url: str, keys: Path, today: dt.datetime) -> str:
    def date(match: re.Match[str]) -> str:
        moment = today + dt.timedelta(days=int(match.group(1)))
        return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")

    text = CONFIG.read_text("utf-8").replace("URL_PREFIX", url).replace("KEY_DIR", str(keys))
    return re.sub(r"DAY([+-]\d+)", date, text)


@contextmanager
def running_pki(folder: Path) -> Iterator[TestPki]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    today = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    _write_keys(folder / "keys")
    config = CertomancerConfig(yaml.safe_load(_config_text(url, folder / "keys", today)), key_search_dir=str(folder))
    arch = config.get_pki_arch(ArchLabel("court"))
    root = folder / "court-root.pem"
    root.write_bytes(arch.get_cert(CertLabel("root")).dump())
    p12s = {}
    for label in ("signer", "signer-revoked"):
        p12s[label] = folder / f"{label}.p12"
        p12s[label].write_bytes(arch.package_pkcs12(CertLabel(label), password=P12_PASSPHRASE))
    animator = Animator(AnimatorArchStore({arch.arch_label: arch}), with_web_ui=False)
    server = make_server("127.0.0.1", port, animator, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield TestPki(url, today, root, p12s["signer"], p12s["signer-revoked"], arch, animator)
    finally:
        server.shutdown()
        thread.join()


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestPki]:
    """The court's test PKI served on loopback for the session (import this fixture where needed)."""
    with running_pki(tmp_path_factory.mktemp("pki")) as running:
        yield running
