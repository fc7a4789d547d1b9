"""The eSCL driver against the eSCL test server (tests/scanners/escl_server.py), and
that server against Debian's sane-airscan, so both ends speak the real protocol."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from edossier.scanners.base import CoverOpenError, DeviceGoneError, FeederEmptyError, PaperJamError, ScanRequest
from edossier.scanners.escl import NS, EsclScanner
from tests.scanners.escl_server import EsclTestServer

SAMPLES = Path(__file__).parents[2] / "samples"
PAGES = [SAMPLES / "01-complaint.tif", SAMPLES / "02-power-of-attorney.jpg"]


@pytest.fixture
def server():
    with EsclTestServer(PAGES) as running:
        yield running


def test_reads_capabilities(server):
    scanner = EsclScanner(server.url)
    assert scanner.capabilities.make_and_model == "edossier test eSCL scanner"
    assert set(scanner.capabilities.inputs) == {"flatbed", "adf", "duplex"}
    assert 300 in scanner.capabilities.inputs["adf"].resolutions


def test_feeder_job_yields_each_page_and_deletes_the_job(server, tmp_path):
    scanner = EsclScanner(server.url)
    pages = list(scanner.scan(ScanRequest(resolution=100, mode="gray"), tmp_path))
    assert [p.number for p in pages] == [1, 2]
    sent = server.settings[-1]
    assert sent.findtext("scan:ColorMode", None, NS) == "Grayscale8"
    assert sent.findtext("scan:XResolution", None, NS) == "100"
    assert sent.findtext("pwg:InputSource", None, NS) == "Feeder"
    # the page is the served sample, at the resolution asked for
    with Image.open(PAGES[1]) as original, Image.open(pages[1].image) as scanned:
        assert scanned.size == (round(original.width / 3), round(original.height / 3))
        expected = np.asarray(original.convert("L").resize(scanned.size), dtype=float)
        assert np.abs(np.asarray(scanned, dtype=float) - expected).mean() < 8
    methods = [m for m, _ in server.requests]
    assert methods[-1] == "DELETE" and methods.count("POST") == 1
    assert not server.jobs


def test_flatbed_takes_one_page(server, tmp_path):
    pages = list(EsclScanner(server.url).scan(ScanRequest(resolution=75, source="flatbed"), tmp_path))
    assert len(pages) == 1 and pages[0].mode == "color"
    assert server.settings[-1].findtext("pwg:InputSource", None, NS) == "Platen"


def test_jam_keeps_pages_and_cleans_up(server, tmp_path):
    server.feeder.jam_after = 1
    received = []
    with pytest.raises(PaperJamError) as caught:
        for page in EsclScanner(server.url).scan(ScanRequest(resolution=75), tmp_path):
            received.append(page)
    assert caught.value.next_page == 2 and len(received) == 1 and received[0].image.exists()
    assert server.requests[-1][0] == "DELETE" and not server.jobs


def test_empty_feeder_and_open_cover_are_told_apart(server, tmp_path):
    scanner = EsclScanner(server.url)
    server.load([])
    with pytest.raises(FeederEmptyError):
        list(scanner.scan(ScanRequest(resolution=75), tmp_path))
    server.load(PAGES)
    server.feeder.cover_open = True
    with pytest.raises(CoverOpenError):
        list(scanner.scan(ScanRequest(resolution=75), tmp_path))


def test_device_gone_mid_batch(server, tmp_path):
    scanner = EsclScanner(server.url, timeout_s=5)
    batch = scanner.scan(ScanRequest(resolution=75), tmp_path)
    first = next(batch)
    server.stop()
    with pytest.raises(DeviceGoneError) as caught:
        next(batch)
    assert first.number == 1 and caught.value.next_page == 2


def test_resolution_snaps_to_one_the_scanner_offers(server, tmp_path):
    pages = list(EsclScanner(server.url).scan(ScanRequest(resolution=120, source="flatbed"), tmp_path))
    assert server.settings[-1].findtext("scan:XResolution", None, NS) == "100"
    assert pages[0].dpi == 100


@pytest.mark.skipif(shutil.which("scanimage") is None, reason="sane-utils (scanimage) is not installed")
def test_sane_airscan_scans_from_the_test_server(server, tmp_path):
    if not list(Path("/usr/lib").glob("*/sane/libsane-airscan.so*")):
        pytest.skip("sane-airscan is not installed")
    config = tmp_path / "sane.d"
    config.mkdir()
    (config / "dll.conf").write_text("airscan\n")
    (config / "airscan.conf").write_text(
        f'[devices]\n"edossier test" = {server.url}, eSCL\n[options]\ndiscovery = disable\n'
    )
    env = dict(os.environ, SANE_CONFIG_DIR=str(config))
    result = subprocess.run(
        ["scanimage", "-d", "airscan:e0:edossier test", "--source", "ADF", "--resolution", "75",
         "--mode", "Gray", f"--batch={tmp_path}/p%d.png", "--format=png"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert "2 pages scanned" in result.stderr, result.stderr
    with Image.open(tmp_path / "p1.png") as page:
        assert page.mode == "L" and 610 <= page.width <= 640  # airscan pads to its own scan window
    assert server.requests[-1][0] == "DELETE"
