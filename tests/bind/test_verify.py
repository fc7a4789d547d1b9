"""verify: a dossier that was not changed passes; any change it cannot explain fails."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.bind.bind_samples import CASE, raster_document, spec_for
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers

from edossier.bind.assemble import Continuation, DossierMetadata, assemble
from edossier.bind.sign import load_signer, seal_version
from edossier.bind.verify import verify_pdf
from edossier.config import BindSettings



def test_untouched_dossier_verifies(bound, dev_key):  # type: ignore[no-untyped-def]
    report = verify_pdf(bound["pdf"], [dev_key[1]])
    assert report.valid, report.as_dict()
    assert report.signatures[0].coverage == "ENTIRE_FILE"


def test_untrusted_signer_fails(bound):  # type: ignore[no-untyped-def]
    report = verify_pdf(bound["pdf"], [])
    assert not report.valid
    assert not report.signatures[0].trusted


def _signature_gap(pdf: Path) -> tuple[int, int]:
    from pyhanko.pdf_utils.reader import PdfFileReader

    with open(pdf, "rb") as handle:
        sig = PdfFileReader(handle).embedded_signatures[-1]
        byte_range = list(sig.byte_range)
    return byte_range[1], byte_range[2]


@pytest.mark.parametrize("where", ["start", "middle", "signature", "after-signature-value", "end"])
def test_one_changed_byte_fails(bound, dev_key, tmp_path, where):  # type: ignore[no-untyped-def]
    data = bytearray(bound["pdf"].read_bytes())
    gap_start, gap_end = _signature_gap(bound["pdf"])
    position = {
        "start": 12,
        "middle": len(data) // 2,
        "signature": gap_start + 40,
        "after-signature-value": gap_end - 4,  # the zero padding inside /Contents
        "end": len(data) - 3,
    }[where]
    data[position] = data[position] ^ 0x01 if data[position] not in b"0<>" else ord("1")
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(data))
    assert not verify_pdf(tampered, [dev_key[1]]).valid


def _rewrite_first_document_page(source: Path, target: Path, page_index: int, sign_with=None) -> None:  # type: ignore[no-untyped-def]
    """Replace a signed page's content with other text, as an incremental update (optionally signed)."""
    with open(source, "rb") as handle:
        writer = IncrementalPdfFileWriter(handle, strict=False)
        page_ref, _ = writer.find_page_for_modification(page_index)
        page = page_ref.get_object()
        forged = generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 720 Td (forged) Tj ET")
        page["/Contents"] = writer.add_object(forged)
        writer.update_container(page)
        with open(target, "wb") as out:
            if sign_with is None:
                writer.write(out)
            else:
                meta = signers.PdfSignatureMetadata(field_name="forger", md_algorithm="sha256")
                signers.sign_pdf(writer, meta, signer=sign_with, output=out)


def test_unsigned_incremental_update_altering_a_page_fails(bound, dev_key, tmp_path):  # type: ignore[no-untyped-def]
    target = tmp_path / "altered.pdf"
    _rewrite_first_document_page(bound["pdf"], target, 2)
    report = verify_pdf(target, [dev_key[1]])
    assert not report.valid
    assert any("added after the last signature" in p for p in report.as_dict()["problems"])


def test_signed_update_altering_an_earlier_page_fails(bound, dev_key, tmp_path):  # type: ignore[no-untyped-def]
    """Even signed with the court's own key: the earlier signature reports the change."""
    target = tmp_path / "altered-signed.pdf"
    _rewrite_first_document_page(bound["pdf"], target, 2, sign_with=load_signer(spec_for(dev_key[0], 9)))
    report = verify_pdf(target, [dev_key[1]])
    assert not report.valid
    first = report.signatures[0]
    assert first.intact and not first.ok
    assert any("never grows" in p for p in first.problems)


def test_unsigned_append_of_pages_fails(bound, dev_key, tmp_path):  # type: ignore[no-untyped-def]
    """Appending is allowed only as a signed version: an unsigned tail is rejected."""
    with open(bound["pdf"], "rb") as handle:
        writer = IncrementalPdfFileWriter(handle, strict=False)
        writer.insert_page(generic.DictionaryObject({
            generic.NameObject("/Type"): generic.NameObject("/Page"),
            generic.NameObject("/MediaBox"): generic.ArrayObject([generic.NumberObject(v) for v in (0, 0, 595, 842)]),
        }))
        with open(tmp_path / "appended.pdf", "wb") as out:
            writer.write(out)
    assert not verify_pdf(tmp_path / "appended.pdf", [dev_key[1]]).valid


def test_growth_then_tampering_with_an_older_revision_fails(bound, dev_key, tmp_path):  # type: ignore[no-untyped-def]
    addition_doc = raster_document(tmp_path, "defence", "民事答辩状", "答辩状", repeat=1)
    meta = DossierMetadata(case=CASE, version=2, bound_by="书记员王五")
    after = Continuation(bound["addition"].pages, len(bound["addition"].entries))
    addition = assemble([addition_doc], tmp_path / "add.pdf", meta, BindSettings(jobs=1), after)
    seal_version(bound["pdf"], tmp_path / "v2.pdf", spec_for(dev_key[0], 2), meta, addition.bookmarks,
                 addition=tmp_path / "add.pdf")
    report = verify_pdf(tmp_path / "v2.pdf", [dev_key[1]])
    assert report.valid, report.as_dict()
    assert report.signatures[0].modification_level == "ANNOTATIONS"
    data = bytearray((tmp_path / "v2.pdf").read_bytes())
    gap_start, _ = _signature_gap(bound["pdf"])
    data[gap_start // 2] ^= 0x01  # inside the first revision
    (tmp_path / "v2-tampered.pdf").write_bytes(bytes(data))
    assert not verify_pdf(tmp_path / "v2-tampered.pdf", [dev_key[1]]).valid
