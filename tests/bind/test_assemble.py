"""The bound dossier as a reader sees it: structure, text, page images, PDF/A, qpdf."""

from __future__ import annotations

import subprocess

import numpy as np
import pymupdf
import pytest
from PIL import Image

from edossier.bind.image_codec import CodecSettings, encode_page_image
from edossier.bind.pdfa import check_pdfa


def test_qpdf_finds_no_errors(bound):  # type: ignore[no-untyped-def]
    result = subprocess.run(["qpdf", "--check", str(bound["pdf"])], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors" in result.stdout


def test_pdfa_structure_holds_after_signing(bound):  # type: ignore[no-untyped-def]
    assert check_pdfa(bound["unsigned"]) == []
    assert check_pdfa(bound["pdf"]) == []


def test_pdfa_check_catches_a_missing_output_intent(bound, tmp_path):  # type: ignore[no-untyped-def]
    import pikepdf

    with pikepdf.open(bound["unsigned"]) as pdf:
        del pdf.Root["/OutputIntents"]
        pdf.save(tmp_path / "no-intent.pdf")
    assert any("output intent" in p for p in check_pdfa(tmp_path / "no-intent.pdf"))


def test_cover_catalogue_order_and_page_numbers(bound, sample_documents):  # type: ignore[no-untyped-def]
    with pymupdf.open(bound["pdf"]) as pdf:
        cover = pdf[0].get_text()
        catalogue = pdf[1].get_text()
        assert "（2020）浙0102民初1234号" in cover and "杭州市上城区人民法院" in cover
        assert "卷" in catalogue and "目" in catalogue
        entries = bound["addition"].entries
        for entry in entries:
            assert entry.title in catalogue
        assert [e.first_page for e in entries] == [3, 3 + len(sample_documents[0].pages),
                                                  3 + len(sample_documents[0].pages) + len(sample_documents[1].pages)]
        for number, page in enumerate(pdf, start=1):
            top_right = pymupdf.Rect(page.rect.width - 80, 0, page.rect.width, 40)
            assert page.get_text(clip=top_right).strip() == str(number)
        assert pdf.page_count == bound["addition"].pages


def test_bookmarks_nest_under_the_volume(bound):  # type: ignore[no-untyped-def]
    with pymupdf.open(bound["pdf"]) as pdf:
        toc = pdf.get_toc()
    assert toc[0][:2] == [1, "正卷"]
    assert all(level == 2 for level, _, _ in toc[1:])
    titles = [t for _, t, _ in toc]
    assert "卷皮" in titles and "卷内目录" in titles
    assert any("民事起诉状" in t for t in titles) and any(t.startswith("备考表") for t in titles)


def test_chinese_text_layer_survives_pdfa_and_signing(bound, sample_documents):  # type: ignore[no-untyped-def]
    first = bound["addition"].entries[0].first_page
    with pymupdf.open(bound["pdf"]) as pdf:
        text = pdf[first - 1].get_text().replace("\n", "")
    expected = sample_documents[0].ocr[0].lines[1].text.strip("\u3000")
    assert expected in text


def test_born_digital_page_keeps_its_own_text_and_is_not_an_image(bound):  # type: ignore[no-untyped-def]
    entry = bound["addition"].entries[2]
    with pymupdf.open(bound["pdf"]) as pdf:
        page = pdf[entry.first_page - 1]
        assert "受理案件通知书" in page.get_text()
        assert page.get_images() == []


def test_text_page_is_small_bilevel_and_faithful(sample_documents):  # type: ignore[no-untyped-def]
    """A greyscale A4 300-dpi text page is G4 and at most 150 KB; decoding gives the thresholded scan back."""
    path = sample_documents[0].pages[0].image
    encoded = encode_page_image(path, CodecSettings())
    assert encoded.kind == "g4"
    assert len(encoded.data) <= 150_000
    pdf = pymupdf.open()
    page = pdf.new_page(width=595, height=842)
    from edossier.bind.assemble import _image_object

    page.insert_image(page.rect, xref=_image_object(pdf, encoded))
    pix = pdf.extract_image(page.get_images()[0][0])
    decoded = np.asarray(Image.open(__import__("io").BytesIO(pix["image"])).convert("L")) < 128
    original = np.asarray(Image.open(path).convert("L")) < 128
    assert decoded.shape == original.shape
    assert (decoded != original).mean() < 0.001


def test_seal_page_stays_in_colour(sample_documents):  # type: ignore[no-untyped-def]
    path = sample_documents[1].pages[-1].image
    encoded = encode_page_image(path, CodecSettings())
    assert encoded.kind == "jpeg" and not encoded.grey


@pytest.mark.parametrize("share", [0.3])
def test_photo_like_grey_page_is_not_posterised(tmp_path, share):  # type: ignore[no-untyped-def]
    gradient = np.tile(np.linspace(0, 255, 1240, dtype=np.uint8), (1754, 1))
    path = tmp_path / "grey.png"
    Image.fromarray(gradient, "L").save(path)
    assert encode_page_image(path, CodecSettings()).kind == "jpeg"
