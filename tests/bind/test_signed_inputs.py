"""Signed inputs judged by the right rules (issue 18): the catalogue remark matches pyHanko's verdict.

An outside PDF is someone else's: judged by pyHanko's own rules for later
changes (not a dossier's), its document timestamps as timestamps, a PAdES-LTA
signature as of now with what it carries.  Inputs: pyHanko's own test PDFs
(tests/data/shared-samples/pyhanko) and PAdES-LTA files signed here on the
certomancer test PKI.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko_certvalidator import ValidationContext
from tests.conftest import SHARED_SAMPLES
from tests.pki import P12_PASSPHRASE

from edossier.bind.ltv import fetching_context, load_roots
from edossier.bind.verify import signature_remark, verify_pdf

PYHANKO = SHARED_SAMPLES / "pyhanko"


@pytest.fixture(scope="module")
def lta_input(pki, tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    """pyHanko's minimal.pdf signed at PAdES B-LTA by the test PKI's signer (pyHanko's own defaults)."""
    out = tmp_path_factory.mktemp("lta") / "lta-input.pdf"
    signer = signers.SimpleSigner.load_pkcs12(str(pki.signer_p12), passphrase=P12_PASSPHRASE)
    meta = signers.PdfSignatureMetadata(
        field_name="Outside", subfilter=fields.SigSeedSubFilter.PADES, embed_validation_info=True,
        use_pades_lta=True, validation_context=fetching_context([pki.root]),
    )
    with open(PYHANKO / "minimal.pdf", "rb") as inf, open(out, "wb") as outf:
        signers.sign_pdf(IncrementalPdfFileWriter(inf), meta, signer=signer,
                         timestamper=timestamps.HTTPTimeStamper(pki.tsa_url), output=outf)
    return out


def test_pyhanko_finds_the_lta_input_valid_and_so_do_we(lta_input, pki):  # type: ignore[no-untyped-def]
    with open(lta_input, "rb") as handle:
        sig = PdfFileReader(handle).embedded_regular_signatures[0]
        status = validate_pdf_signature(sig, ValidationContext(trust_roots=load_roots([pki.root])))
        assert status.bottom_line
    assert signature_remark(lta_input, [pki.root]) == "原件电子签名有效"
    report = verify_pdf(lta_input, [pki.root], outside=True)
    assert [s.kind for s in report.signatures] == ["signature", "document timestamp"]
    assert report.signatures[0].level == "B-LTA"


def test_lta_input_from_an_unknown_ca_is_intact_but_untrusted(lta_input):  # type: ignore[no-untyped-def]
    assert signature_remark(lta_input, []) == "原件电子签名完整，签名人未列入信任根"


def test_self_signed_pyhanko_sample_is_intact_but_untrusted() -> None:
    assert signature_remark(PYHANKO / "minimal-signed-twice-both-created.pdf") == "原件电子签名完整，签名人未列入信任根"


def test_unsigned_inputs_get_no_remark() -> None:
    assert signature_remark(PYHANKO / "minimal.pdf") is None
    assert signature_remark(PYHANKO / "minimal-with-field.pdf") is None  # an empty field signs nothing


@pytest.mark.parametrize("where", ["digest", "contents"])
def test_broken_signature_is_remarked_invalid_without_a_traceback(where, tmp_path, capsys, caplog):  # type: ignore[no-untyped-def]
    data = bytearray((PYHANKO / "minimal-signed-twice-both-created.pdf").read_bytes())
    with open(PYHANKO / "minimal-signed-twice-both-created.pdf", "rb") as handle:
        byte_range = list(PdfFileReader(handle).embedded_signatures[0].byte_range)
    # a byte of the signed content, or the signature's own DER (which then no longer parses)
    position = byte_range[1] // 2 if where == "digest" else byte_range[1] + 3
    data[position] = ord("0") if data[position] != ord("0") else ord("1")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING):
        assert signature_remark(broken) == "原件电子签名无效"
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert not [r for r in caplog.records if r.exc_info]
