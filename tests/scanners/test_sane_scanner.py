"""The SANE driver against SANE's own ``test`` virtual device (no network probing)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from PIL import Image

from edossier.errors import NotFoundError, ServiceUnavailableError, UnsupportedInputError
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


def test_a_page_that_never_comes_ends_the_batch_and_restarts_the_driver(tmp_path):
    with SaneScanner("test", PROJECT_SANE_CONFIG, page_timeout_s=2.0) as scanner:
        first = scanner._helper.process
        for name, value in (("read-limit", True), ("read-limit-size", 1), ("read-delay", True)):
            scanner.set_option(name, value)
        scanner.set_option("read-delay-duration", 200000)  # 0.2 s per byte: a page takes days
        with pytest.raises(DeviceGoneError, match=r"stopped answering at page 1 \(no answer to next_page in 2 s\)"):
            list(scanner.scan(ScanRequest(resolution=50, mode="gray"), tmp_path))
        assert first.returncode is not None  # the stuck helper was killed, not left behind
        scanner.set_option("read-delay", False)
        (page,) = scanner.scan(ScanRequest(resolution=50, mode="gray", source="flatbed"), tmp_path)
        assert page.image.exists() and scanner._helper.process is not first


def test_a_driver_that_dies_mid_batch_keeps_the_pages_before_it(scanner, tmp_path):
    """A driver killed between two pages is the device gone at the next page, never an empty feeder
    (it was once taken for a slow cancel, restarted with no batch begun, and the batch ended quietly)."""
    received = []
    with pytest.raises(DeviceGoneError, match=r"at page 3 \(the SANE driver exited") as caught:
        for page in scanner.scan(ScanRequest(resolution=50, mode="gray"), tmp_path):
            received.append(page)
            if page.number == 2:
                os.kill(scanner._helper.process.pid, signal.SIGKILL)  # as a driver segfault would
                scanner._helper.process.wait()  # dead before the next page is asked for
    assert caught.value.next_page == 3 and all(p.image.exists() for p in received)


def test_a_hung_driver_is_restarted_with_the_options_set_so_far(tmp_path):
    with SaneScanner("test", PROJECT_SANE_CONFIG, cancel_timeout_s=1.0) as scanner:
        scanner.set_option("test-picture", "Grid")
        # Stopped only once it has tidied up after that answer: stopped before, it is a helper still cancelling,
        # which the next call replaces and asks again (it answered, and the test failed under CI's load).
        assert scanner._helper.settle(10.0)
        os.kill(scanner._helper.process.pid, signal.SIGSTOP)
        with pytest.raises(ServiceUnavailableError, match="sane:test: no answer to options in 1 s"):
            scanner.options()
        assert {o.name: o.value for o in scanner.options()}["test-picture"] == "Grid"


def test_a_batch_abandoned_by_the_caller_is_cancelled_on_the_device(scanner, tmp_path):
    batch = scanner.scan(ScanRequest(resolution=50, mode="gray"), tmp_path)
    assert next(batch).number == 1
    batch.close()
    pages = list(scanner.scan(ScanRequest(resolution=50, mode="gray"), tmp_path / "again"))
    # A new batch, numbered from 1: the 9 sheets left in the test feeder, or 10 where a cancel
    # that deadlocked (see sane_scanner.py) got the driver restarted with a full feeder.
    assert len(pages) in (9, 10) and [p.number for p in pages] == list(range(1, len(pages) + 1))


def test_each_device_reads_its_own_sane_config(tmp_path):
    (tmp_path / "dll.conf").write_text("")  # no backends at all
    assert list_devices(tmp_path) == []
    assert list_devices(PROJECT_SANE_CONFIG) == ["sane:test:0"]
