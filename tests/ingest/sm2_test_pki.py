"""A throwaway 国密 PKI made with the OpenSSL 3 CLI, and a real OFD seal re-signed with it.

The real sealed samples cannot show every case (a seal within its dates whose chain a court trusts, a timestamp,
a bad maker signature), and their private keys are not public. So tests take a real seal's structures
(ofdrw's SESV4SignDoc: its SESeal, picture, properties and TBS_Sign) and re-sign them with keys made here:
the maker's signature over the seal, the signer's over TBS_Sign, and optionally an RFC 3161 timestamp over the
signature value. Only what a case needs is changed (dates, certificates, the signatures). The root also
publishes CRLs (``openssl ca -gencrl``, signed with the SM2 ID as 国密 CAs sign them) revoking what a case needs.

The timestamp authority's key is P-256, not SM2: OpenSSL 3.0's ``ts -reply`` cannot sign with SM2 (its PKCS#7
code has no SM2), so an SM2 token cannot be made here. Nor will ``ts -reply`` sign with a certificate unfit for
timestamping, so the token of a TSA without the timeStamping key usage is made as plain CMS over a TSTInfo.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import core, pem, tsp, x509

from edossier.ingest.ofd_seal_signature import DEFAULT_USER_ID, SM3_WITH_SM2, sequence_elements
from tests.ingest.intake_truth import DATA

SEALED = DATA / "SESV4SignDoc.ofd"
SIGNED_VALUE = "Doc_0/Signs/Sign_0/SignedValue.dat"
NOW = dt.datetime.now(dt.timezone.utc)
DAY = dt.timedelta(days=1)
IN_DATE = (NOW - 30 * DAY, NOW + 30 * DAY)
"""A seal's validity period around the test run."""

_SM2 = ["-sigopt", f"distid:{DEFAULT_USER_ID}"]
_TSA_CONFIG = """\
[ tsa ]
default_tsa = tsa1
[ tsa1 ]
serial = {serial}
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sm3, sha256
ess_cert_id_alg = sha256
[ tsa_cert ]
basicConstraints = CA:FALSE
extendedKeyUsage = critical,timeStamping
[ tsa_any ]
basicConstraints = CA:FALSE
"""
_CA_CONFIG = """\
[ ca ]
default_ca = test_ca
[ test_ca ]
database = {index}
default_md = sm3
crlnumber = {number}
"""
TST_INFO = "1.2.840.113549.1.9.16.1.4"


def openssl(*arguments: str | Path, stdin: bytes = b"") -> bytes:
    done = subprocess.run(["openssl", *map(str, arguments)], input=stdin, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    return done.stdout


@dataclass(frozen=True)
class Identity:
    """A key and its certificate (DER)."""

    key: Path
    cert: bytes


class TestPki:
    """An SM2 root CA in FOLDER that issues SM2 certificates valid from now for a number of days."""

    __test__ = False  # not a pytest class

    def __init__(self, folder: Path, name: str = "edossier 测试根CA") -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        key = self._key("ca", "SM2")
        ca_pem = folder / "ca.pem"
        openssl("req", "-x509", "-new", "-key", key, "-sm3", *_SM2, "-utf8", "-subj", f"/CN={name}", "-days", 3650,
                "-addext", "basicConstraints=critical,CA:TRUE", "-out", ca_pem)  # fmt: skip
        self.ca = Identity(key, openssl("x509", "-in", ca_pem, "-outform", "DER"))
        self.ca_pem = ca_pem
        self.tsa: Identity | None = None

    def _key(self, name: str, curve: str) -> Path:
        path = self.folder / f"{name}.key"
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", f"ec_paramgen_curve:{curve}", "-out", path)
        return path

    def issue(self, name: str, days: int = 365, curve: str = "SM2", extensions: str = "") -> Identity:
        """A certificate for CN=NAME signed by the root, valid from now for DAYS."""
        key = self._key(name, curve)
        csr, cert = self.folder / f"{name}.csr", self.folder / f"{name}.pem"
        sm2 = [*_SM2, "-sm3"] if curve == "SM2" else []
        request = ["-vfyopt", f"distid:{DEFAULT_USER_ID}"] if curve == "SM2" else []
        openssl("req", "-new", "-key", key, *sm2, "-utf8", "-subj", f"/CN={name}/O=edossier tests", "-out", csr)
        extra = ["-extfile", self.folder / "tsa.cnf", "-extensions", extensions] if extensions else []
        openssl("x509", "-req", "-in", csr, "-CA", self.ca_pem, "-CAkey", self.ca.key, "-sm3", *_SM2, *request,
                "-days", days, *extra, "-out", cert)  # fmt: skip
        return Identity(key, openssl("x509", "-in", cert, "-outform", "DER"))

    def sign(self, who: Identity, data: bytes) -> bytes:
        """WHO's SM3withSM2 signature over DATA (DER r, s), as seal makers and signers make it."""
        return openssl("pkeyutl", "-sign", "-inkey", who.key, "-rawin", "-digest", "sm3",
                       "-pkeyopt", f"distid:{DEFAULT_USER_ID}", stdin=data)  # fmt: skip

    def timestamp(self, data: bytes, timestamping: bool = True) -> bytes:
        """An RFC 3161 token over DATA (SM3 imprint) by a TSA this root certified, its certificate inside; without
        TIMESTAMPING its certificate lacks the timeStamping key usage. The TSA is ``self.tsa`` afterwards."""
        config = self.folder / "tsa.cnf"
        config.write_text(_TSA_CONFIG.format(serial=self.folder / "tsa.serial"), encoding="utf-8")
        (self.folder / "tsa.serial").write_text("01\n", encoding="ascii")
        self.tsa = self.issue("tsa", curve="P-256", extensions="tsa_cert" if timestamping else "tsa_any")
        stamped, token = self.folder / "stamped.bin", self.folder / "token.der"
        if timestamping:
            stamped.write_bytes(data)
            query = self.folder / "query.tsq"
            openssl("ts", "-query", "-data", stamped, "-sm3", "-cert", "-no_nonce", "-out", query)
            openssl("ts", "-reply", "-queryfile", query, "-signer", self.folder / "tsa.pem", "-inkey", self.tsa.key,
                    "-config", config, "-token_out", "-out", token)  # fmt: skip
        else:
            imprint = {"hash_algorithm": {"algorithm": "1.2.156.10197.1.401"},
                       "hashed_message": hashlib.new("sm3", data).digest()}  # fmt: skip
            now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
            info = {"version": "v1", "policy": "1.2.3.4.1", "message_imprint": imprint, "serial_number": 1,
                    "gen_time": now}  # fmt: skip
            stamped.write_bytes(tsp.TSTInfo(info).dump())
            openssl("cms", "-sign", "-binary", "-nodetach", "-outform", "DER", "-econtent_type", TST_INFO,
                    "-signer", self.folder / "tsa.pem", "-inkey", self.tsa.key, "-md", "sha256", "-nosmimecap",
                    "-in", stamped, "-out", token)  # fmt: skip
        return token.read_bytes()

    def crl(self, target: Path, revoked: tuple[Revoked, ...] = (), next_update: dt.datetime | None = None) -> Path:
        """The root's CRL at TARGET (PEM) listing REVOKED, published now, next due at NEXT_UPDATE (default: in 30
        days), signed with the SM2 ID as a 国密 CA signs it."""
        index = target.with_suffix(".index")
        lines = [f"R\t{_utc(r.expires)}\t{r.entry()}\t{r.serial}\tunknown\t/CN=x\n"
                 for r in revoked]  # fmt: skip
        index.write_text("".join(lines), encoding="utf-8")
        config = target.with_suffix(".cnf")
        number = target.with_suffix(".number")
        number.write_text("01\n", encoding="ascii")
        config.write_text(_CA_CONFIG.format(index=index, number=number), encoding="utf-8")
        due = next_update or dt.datetime.now(dt.timezone.utc) + 30 * DAY
        openssl("ca", "-gencrl", "-config", config, "-keyfile", self.ca.key, "-cert", self.ca_pem, *_SM2,
                "-crl_nextupdate", _utc(due, "%Y"), "-out", target)  # fmt: skip
        return target


@dataclass(frozen=True)
class Revoked:
    """A certificate a CRL lists: revoked AT for REASON (in OpenSSL's ``ca`` index words)."""

    who: Identity
    at: dt.datetime
    reason: str = "superseded"

    @property
    def serial(self) -> str:
        """The certificate's serial in hex, as the index wants it: an even number of digits."""
        digits = f"{x509.Certificate.load(self.who.cert).serial_number:X}"
        return digits.zfill(len(digits) + len(digits) % 2)

    @property
    def expires(self) -> dt.datetime:
        return x509.Certificate.load(self.who.cert).not_valid_after

    def entry(self) -> str:
        """The index's revocation field: ``time,reason`` (UTCTime), and a compromise time (GeneralizedTime) where
        the index wants one (OpenSSL 3.0 does not put it into the CRL)."""
        since = [_utc(self.at, "%Y")] if self.reason in ("keyCompromise", "CACompromise") else []
        return ",".join([_utc(self.at), self.reason, *since])


def _utc(at: dt.datetime, year: str = "%y") -> str:
    """AT as OpenSSL's ``ca`` reads times: UTCTime (``%y``) or GeneralizedTime (``%Y``)."""
    return at.astimezone(dt.timezone.utc).strftime(f"{year}%m%d%H%M%SZ")


def children(der: bytes) -> list[bytes]:
    return sequence_elements(der)


def sequence(parts: list[bytes]) -> bytes:
    return core.Sequence(contents=b"".join(parts)).dump()


def _bits(value: bytes) -> bytes:
    return core.BitString(contents=b"\x00" + value).dump()


def _time(at: dt.datetime) -> bytes:
    return core.GeneralizedTime(at.astimezone(dt.timezone.utc)).dump()


def reseal(
    signed_value: bytes,
    pki: TestPki,
    signer: Identity,
    maker: Identity,
    *,
    signed_at: dt.datetime,
    seal_valid: tuple[dt.datetime, dt.datetime],
    made_at: dt.datetime | None = None,
    stamped: bool = False,
    tsa: TestPki | None = None,
    timestamping: bool = True,
) -> bytes:
    """SIGNED_VALUE (a real v4 SES_Signature) with the seal's dates, certificate list and maker replaced and
    re-signed by MAKER, the signing time set, and re-signed by SIGNER (optionally timestamped by TSA's
    authority, PKI's by default, whose certificate lacks the timeStamping usage without TIMESTAMPING).
    The seal is made at MADE_AT (createDate), by default now: after the keys."""
    top = children(signed_value)
    to_sign = children(top[0])
    seal = children(to_sign[1])
    info = children(seal[0])
    properties = children(info[2])
    properties[3] = sequence([core.OctetString(signer.cert).dump()])  # certList (type 1): the new signer
    made = made_at or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    properties[4:7] = [_time(made), _time(seal_valid[0]), _time(seal_valid[1])]
    info[2] = sequence(properties)
    seal[0] = sequence(info)
    seal[1] = core.OctetString(maker.cert).dump()
    seal[2] = core.ObjectIdentifier(SM3_WITH_SM2).dump()
    seal[3] = _bits(pki.sign(maker, seal[0]))
    to_sign[1] = sequence(seal)
    to_sign[2] = _time(signed_at)
    new_to_sign = sequence(to_sign)
    signature = pki.sign(signer, new_to_sign)
    parts = [new_to_sign, core.OctetString(signer.cert).dump(), top[2], _bits(signature)]
    if stamped:
        token = (tsa or pki).timestamp(signature, timestamping)
        parts.append(core.BitString(contents=b"\x00" + token, explicit=0).dump())
    return sequence(parts)


@dataclass(frozen=True)
class SealKeys:
    """The test root, a signer certificate valid for 365 days from its making, and a seal maker's."""

    pki: TestPki
    signer: Identity
    maker: Identity

    @classmethod
    def make(cls, folder: Path) -> SealKeys:
        pki = TestPki(folder)
        return cls(pki, pki.issue("测试签章人"), pki.issue("测试制章者"))


def resealed_ofd(
    target: Path,
    keys: SealKeys,
    *,
    signed_at: dt.datetime = NOW + DAY,
    seal_valid: tuple[dt.datetime, dt.datetime] = IN_DATE,
    made_at: dt.datetime | None = None,
    stamped: bool = False,
    tsa: TestPki | None = None,
    timestamping: bool = True,
    edit: Callable[[bytes], bytes] | None = None,
) -> Path:
    """SESV4SignDoc at TARGET with its seal re-made by KEYS (EDIT, if given, then rewrites the signed value)."""
    with zipfile.ZipFile(SEALED) as src:
        infos = src.infolist()
        parts = {info.filename: src.read(info) for info in infos}
    value = reseal(
        parts[SIGNED_VALUE],
        keys.pki,
        keys.signer,
        keys.maker,
        signed_at=signed_at,
        seal_valid=seal_valid,
        made_at=made_at,
        stamped=stamped,
        tsa=tsa,
        timestamping=timestamping,
    )
    parts[SIGNED_VALUE] = edit(value) if edit else value
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in infos:
            out.writestr(info, parts[info.filename])
    return target


def der_to_pem(der: bytes) -> bytes:
    return pem.armor("CERTIFICATE", der)
