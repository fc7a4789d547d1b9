"""The SANE driver against SANE's own ``test`` virtual device (no network probing)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from edossier.errors import NotFoundError, UnsupportedInputError
from edossier.scanners.base import (
    CoverOpenError,
    DeviceGoneError,
    FeederEmptyError,
    PaperJamError,
    ScanRequest,
)
from edossier.scanners.sane_scanner import PROJECT_SANE_CONFIG, SaneScanner, list_devices


@pytest.fixture
def scanner():
    device = SaneScanner("test", PROJECT_SANE_CONFIG)
    yield device
    device.close()


def test_only_the_test_device_is_configured():
    assert list_devices(PROJECT_SANE_CONFIG) == ["sane:test:0"]


def test_lists_options_with_their_choices(scanner):
    options = {o.name: o for o in scanner.options()}
    assert "Color" in options["mode"].choices
    assert "Automatic Document Feeder" in options["source"].choices
    assert options["resolution"].unit == "dpi" and options["resolution"].range == (1.0, 1200.0, 1.0)


def test_feeder_batch_streams_every_page_to_disk(scanner, tmp_path):
    pages = list(scanner.scan(ScanRequest(resolution=75, mode="gray"), tmp_path))
    assert [p.number for p in pages] == list(range(1, 11))  # the test ADF holds 10 sheets
    for page in pages:
        with Image.open(page.image) as image:
            assert image.mode == "L"
            assert image.info["dpi"][0] == pytest.approx(75, abs=0.5)
        assert page.width_px == round(210 / 25.4 * 75)  # A4 width at 75 dpi


def test_flatbed_lineart_gives_one_bilevel_page(scanner, tmp_path):
    pages = list(scanner.scan(ScanRequest(resolution=75, mode="lineart", source="flatbed"), tmp_path))
    assert len(pages) == 1 and pages[0].mode == "lineart"
    with Image.open(pages[0].image) as image:
        assert image.mode == "1"


def test_duplex_is_refused_by_a_simplex_feeder(scanner, tmp_path):
    with pytest.raises(UnsupportedInputError, match="duplex"):
        list(scanner.scan(ScanRequest(source="duplex"), tmp_path))


@pytest.mark.parametrize(
    ("status", "error"),
    [
        ("SANE_STATUS_JAMMED", PaperJamError),
        ("SANE_STATUS_COVER_OPEN", CoverOpenError),
        ("SANE_STATUS_IO_ERROR", DeviceGoneError),
    ],
)
def test_a_fault_mid_batch_keeps_the_pages_and_names_the_page_to_rescan(scanner, tmp_path, status, error):
    received = []
    with pytest.raises(error) as caught:
        for page in scanner.scan(ScanRequest(resolution=50), tmp_path):
            received.append(page)
            if page.number == 3:
                scanner.set_option("read-return-value", status)
    scanner.set_option("read-return-value", "Default")
    assert caught.value.next_page == 4
    assert "rescan from page 4" in str(caught.value) and "pages 1-3 are kept" in str(caught.value)
    assert all(p.image.exists() for p in received) and len(received) == 3


def test_an_empty_feeder_before_the_first_page_is_an_error(scanner, tmp_path):
    scanner.set_option("read-return-value", "SANE_STATUS_NO_DOCS")
    try:
        with pytest.raises(FeederEmptyError, match="load the paper"):
            list(scanner.scan(ScanRequest(resolution=50), tmp_path))
    finally:
        scanner.set_option("read-return-value", "Default")
    assert not list(Path(tmp_path).glob("*.png"))


def test_unknown_device_is_not_found():
    with pytest.raises(NotFoundError, match="no such SANE device"):
        SaneScanner("nosuchscanner", PROJECT_SANE_CONFIG)


def test_colour_after_line_art_is_eight_bits_again(scanner, tmp_path):
    list(scanner.scan(ScanRequest(resolution=50, mode="lineart", source="flatbed"), tmp_path / "a"))
    (page,) = scanner.scan(ScanRequest(resolution=50, mode="color", source="flatbed"), tmp_path / "b")
    with Image.open(page.image) as image:
        assert image.mode == "RGB" and len(image.getcolors(1 << 16) or range(300)) > 8  # 1 bit per channel gives 8
