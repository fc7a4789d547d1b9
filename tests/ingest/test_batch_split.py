"""Batch splitting and page accounting on scanned pages with cover sheets."""

from __future__ import annotations

import pytest
from PIL import Image

from edossier.config import ScanSettings
from edossier.ingest.batch_split import inspect_page, split_batch, write_document
from tests.ingest.scan_pages import blank_page, cover_page, sample_page

CASE = "(2024)浙0102民初100号"
SETTINGS = ScanSettings()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("batch")
    return {
        "cover_complaint": cover_page(folder, "c1", CASE, "起诉状", title="民事起诉状", pages=1),
        "cover_poa": cover_page(folder, "c2", CASE, "授权委托书", pages=2),
        "cover_damaged": cover_page(folder, "c3", CASE, "判决书", damaged=True),
        "complaint": sample_page(folder, "p1", "01-complaint.tif", grain=4),
        "poa": sample_page(folder, "p2", "02-power-of-attorney.jpg", grain=4),
        "poa_again": sample_page(folder, "p2b", "02-power-of-attorney.jpg", grain=5),
        "blank": blank_page(folder, "b1"),
        "blank2": blank_page(folder, "b2", grain=5),
    }


def inspect(paths):
    checks = []
    for number, path in enumerate(paths, 1):
        checks.append(inspect_page(number, path, checks[-1] if checks else None, SETTINGS))
    return checks


def test_cover_sheets_split_documents_with_their_types(pages):
    checks = inspect(
        [pages["cover_complaint"], pages["complaint"], pages["cover_poa"], pages["poa"], pages["blank"]]
    )
    split = split_batch(checks, declared_pages=3)
    assert [(d.cover.type, [p.number for p in d.pages]) for d in split.documents] == [
        ("起诉状", [2]),
        ("授权委托书", [4, 5]),
    ]
    assert split.documents[0].cover.title == "民事起诉状"
    assert [c.number for c in split.left_out] == [1, 3]
    # the blank back is kept in its document and flagged; counts match with or without it
    assert [(f.kind, f.page) for f in split.flags] == [("blank_page", 5)]
    assert split.documents[1].page_flags(checks[4]) == ("blank_page",)
    assert split.pages_received == 5


def test_missing_cover_sheet_is_reported(pages):
    checks = inspect([pages["complaint"], pages["cover_poa"], pages["poa"], pages["complaint"], pages["poa"]])
    split = split_batch(checks)
    kinds = {f.kind: f.message for f in split.flags}
    assert split.documents[0].cover is None
    assert "pages 1-1 come before any cover sheet" in kinds["missing_cover"]
    # the 授权委托书 declared 2 pages but 3 arrived: its next cover sheet is probably missing
    assert "3 pages received, 2 declared" in kinds["page_count"] and "missing after page 4" in kinds["page_count"]


def test_damaged_cover_is_reported_and_its_page_kept(pages):
    checks = inspect([pages["cover_complaint"], pages["complaint"], pages["cover_damaged"], pages["poa"]])
    split = split_batch(checks)
    assert [len(d.pages) for d in split.documents] == [3]  # not guessed as a new document
    damaged = [f for f in split.flags if f.kind == "damaged_cover"]
    assert damaged and damaged[0].page == 3 and "reprint" in damaged[0].message
    assert any(f.kind == "page_count" for f in split.flags)  # 1 declared, 3 received


def test_double_feed_and_blank_backs_are_flagged_never_dropped(pages):
    checks = inspect([pages["poa"], pages["poa_again"], pages["complaint"], pages["blank"], pages["blank2"]])
    split = split_batch(checks, declared_pages=4)
    assert len(split.documents) == 1 and len(split.documents[0].pages) == 5
    flags = [(f.kind, f.page) for f in split.flags]
    assert ("double_feed", 2) in flags and ("blank_page", 4) in flags and ("blank_page", 5) in flags
    assert ("double_feed", 5) not in flags  # two blank backs are blank, not a double feed
    count = next(f for f in split.flags if f.kind == "page_count")
    assert "5 pages received (2 blank), 4 declared" in count.message


def test_duplex_back_of_a_cover_sheet_is_listed_not_bound(pages):
    checks = inspect([pages["cover_complaint"], pages["blank"], pages["complaint"]])
    split = split_batch(checks)
    assert [p.number for p in split.documents[0].pages] == [3]
    assert [c.number for c in split.left_out] == [1, 2]
    assert [f.kind for f in split.flags] == ["cover_back"]


def test_document_is_written_as_a_lossless_multipage_tiff(pages, tmp_path):
    checks = inspect([pages["complaint"], pages["poa"]])
    tiff = write_document(checks, tmp_path / "doc.tif")
    with Image.open(tiff) as image, Image.open(pages["poa"]) as original:
        assert image.n_frames == 2
        image.seek(1)
        assert image.convert("RGB").tobytes() == original.convert("RGB").tobytes()
