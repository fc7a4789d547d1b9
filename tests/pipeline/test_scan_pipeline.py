"""The filing window end to end: scanner or hot folder in, stored and signed dossier out."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest

from edossier.casenumber import CaseNumber
from edossier.config import load_settings
from edossier.errors import InputFileError, StageError
from edossier.pipeline.cli import main
from edossier.pipeline.scan import scan_to_case
from edossier.pipeline.watch import drain_folder
from edossier.scanners.base import PaperJamError
from edossier.scanners.hot_folder import DONE, FAILED, HotFolder
from edossier.storage import open_store
from edossier.storage.manifest import latest_version, read_manifest
from tests.ingest.scan_pages import blank_page, cover_page, render_pdf_page, sample_page
from tests.scanners.escl_server import EsclTestServer

CASE = "(2024)浙0102民初100号"
NORMAL = "（2024）浙0102民初100号"
OTHER = "(2024)浙0102民初101号"


def settings_in(tmp_path: Path):
    return load_settings(
        data_dir=tmp_path / "data", scan={"resolution": 75, "folder_stable_s": 0}, limits={"raster_dpi": 100}
    )


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pages")
    return {
        "cover_complaint": cover_page(folder, "c1", CASE, "起诉状", title="民事起诉状", pages=1),
        "cover_poa": cover_page(folder, "c2", CASE, "授权委托书", pages=1),
        "cover_other_case": cover_page(folder, "c3", OTHER, "答辩状"),
        "complaint": sample_page(folder, "p1", "01-complaint.tif"),
        "poa": sample_page(folder, "p2", "02-power-of-attorney.jpg"),
        "blank": blank_page(folder, "b1"),
    }


def test_scan_from_the_sane_test_device_stores_a_dossier(tmp_path, monkeypatch):
    """The issue's done criterion, through the installed ``edossier`` command."""
    env = dict(os.environ, EDOSSIER_DATA_DIR=str(tmp_path / "data"), EDOSSIER_SCAN__RESOLUTION="75")
    env.pop("EDOSSIER_CONFIG", None)
    done = subprocess.run(
        [str(Path(sys.executable).with_name("edossier")), "scan", "--device", "sane:test", "--case", CASE, "--json"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)[0]
    # the bound volume adds a cover, the catalogue and the closing sheet (备考表) to the 10 scanned pages
    assert result["pages_received"] == 10 and result["versions"] == [{"case": NORMAL, "version": 1, "pages": 13}]
    # identical test-pattern pages are all flagged as possible double feeds, none dropped
    assert [f["page"] for f in result["flags"] if f["kind"] == "double_feed"] == list(range(2, 11))
    assert Path(result["report"]).read_text().count("<figure>") == 9

    settings = load_settings(data_dir=tmp_path / "data")
    manifest = read_manifest(open_store(settings.store_uri), CaseNumber.parse(CASE))
    (document,) = manifest.documents
    # a test pattern is no court paper: whatever type the model leans to, a clerk must look at it
    assert document["classification"]["needs_review"]
    assert "double_feed" in document["pages"][1]["flags"] and "double_feed" not in document["pages"][0]["flags"]
    monkeypatch.setenv("EDOSSIER_DATA_DIR", env["EDOSSIER_DATA_DIR"])
    assert main(["verify", "--case", CASE]) == 0


def test_escl_batch_splits_at_cover_sheets_into_typed_documents(tmp_path, pages):
    feed = [pages["cover_complaint"], pages["complaint"], pages["cover_poa"], pages["poa"], pages["blank"]]
    settings = settings_in(tmp_path)
    with EsclTestServer(feed) as server:
        (result,) = scan_to_case(f"escl:{server.url}", CASE, settings)
    (version,) = result.versions
    # cover sheets are not bound: 3 scanned pages, plus the volume's cover, catalogue and closing sheet
    assert (version.case, version.version, version.pages) == (NORMAL, 1, 6)
    assert [(e.type, e.title, e.first_page, e.last_page) for e in version.documents] == [
        ("起诉状", "民事起诉状", 3, 3),
        ("授权委托书", "授权委托书", 4, 5),
    ]
    assert [f.kind for f in result.split.flags] == ["blank_page"]  # counted: 1 declared = 1 with content
    manifest = read_manifest(open_store(settings.store_uri), CaseNumber.parse(CASE))
    poa = next(d for d in manifest.documents if d["classification"]["type"] == "授权委托书")
    assert ["blank_page" in p["flags"] for p in poa["pages"]] == [False, True]
    report = result.report.read_text()
    assert "5</b> pages received" in report and "blank" in report and report.count("<figure>") == 1


def test_a_jam_keeps_the_pages_and_resume_finishes_the_batch(tmp_path, pages):
    feed = [pages["cover_complaint"], pages["complaint"], pages["cover_poa"], pages["poa"]]
    settings = settings_in(tmp_path)
    store = open_store(settings.store_uri)
    with EsclTestServer(feed) as server:
        server.feeder.jam_after = 2
        with pytest.raises(PaperJamError) as caught:
            scan_to_case(f"escl:{server.url}", CASE, settings, store=store)
        assert caught.value.next_page == 3 and "--resume" in str(caught.value)
        assert latest_version(store, CaseNumber.parse(CASE)) == 0  # nothing half-stored
        server.load(feed[2:])  # the clerk puts pages 3 and 4 back in the feeder
        (result,) = scan_to_case(f"escl:{server.url}", CASE, settings, store=store, resume=True)
    assert [(e.type, e.first_page, e.last_page) for e in result.versions[0].documents] == [
        ("起诉状", 3, 3),  # after the volume's cover and catalogue
        ("授权委托书", 4, 4),
    ]
    assert result.split.pages_received == 4 and not result.split.flags


def test_cover_sheet_for_another_case_stops_the_batch(tmp_path, pages):
    settings = settings_in(tmp_path)
    with EsclTestServer([pages["cover_other_case"], pages["poa"]]) as server:
        with pytest.raises(InputFileError, match="for case （2024）浙0102民初101号"):
            scan_to_case(f"escl:{server.url}", CASE, settings)
    assert latest_version(open_store(settings.store_uri), CaseNumber.parse(CASE)) == 0


def test_the_qc_report_lists_pages_with_ink_that_no_ocr_could_read(tmp_path, pages):
    """A page with ink that yields no text by any way (a detector that accepts no box, no second engine)
    is listed 待复核 with its thumbnail; a blank page is not listed as unread."""
    settings = load_settings(
        data_dir=tmp_path / "data", scan={"resolution": 75, "folder_stable_s": 0}, limits={"raster_dpi": 100},
        ocr={"det_box_thresh": 0.99, "fallback_engine": "none"},
    )
    feed = [pages["cover_complaint"], pages["complaint"], pages["blank"]]
    with EsclTestServer(feed) as server:
        (result,) = scan_to_case(f"escl:{server.url}", CASE, settings)
    report = result.report.read_text()
    assert "page 2: ink but no text could be read (待复核)" in report
    assert "page 3: ink" not in report and "page 3: blank" in report
    assert report.count("<figure>") == 2 and "<b>2</b> flags" in report
    manifest = read_manifest(open_store(settings.store_uri), CaseNumber.parse(CASE))
    (document,) = manifest.documents
    assert document["classification"]["needs_review"]
    assert [page["read_by"] for page in document["ocr"] if page] == ["nothing"]


def _batch_pdf(target: Path, images: list[Path]) -> Path:
    """What a multifunction printer writes to its scan folder: one image-only PDF per batch."""
    doc = pymupdf.open()
    for image in images:
        page = doc.new_page(width=595, height=842)
        page.insert_image(page.rect, filename=str(image))
    doc.save(target)
    return target


def test_hot_folder_files_go_to_their_cases_and_survive_a_restart(tmp_path, pages):
    settings = settings_in(tmp_path)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _batch_pdf(inbox / "batch1.pdf", [pages["cover_complaint"], pages["complaint"]])
    (inbox / "broken.pdf").write_bytes(b"%PDF-1.7 torn off by the printer")
    folder = HotFolder(inbox, stable_s=0)
    results = drain_folder(folder, settings)
    assert [v.case for r in results for v in r.versions] == [NORMAL]
    assert sorted(p.name for p in (inbox / DONE).iterdir()) == ["batch1.pdf"]
    assert (inbox / FAILED / "broken.pdf.reason.txt").read_text().strip()

    # a worker that stored the batch but died before moving the file: its successor
    # processes the file again, and the content-addressed pipeline adds nothing twice
    shutil.copy(inbox / DONE / "batch1.pdf", inbox / ".claimed" / "batch1.pdf")
    again = drain_folder(HotFolder(inbox, stable_s=0), settings)
    assert [v.version for r in again for v in r.versions] == [1]
    assert latest_version(open_store(settings.store_uri), CaseNumber.parse(CASE)) == 1


def test_coversheet_and_watch_commands(tmp_path, pages, monkeypatch, capsys):
    monkeypatch.setenv("EDOSSIER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("EDOSSIER_SCAN__FOLDER_STABLE_S", "0")
    monkeypatch.setenv("EDOSSIER_LIMITS__RASTER_DPI", "100")
    sheet = tmp_path / "c.pdf"
    assert main(["coversheet", "--case", CASE, "--type", "证据目录", "--title", "证据一", "-o", str(sheet)]) == 0
    assert main(["coversheet", "--case", CASE, "--type", "菜单", "-o", str(tmp_path / "x.pdf")]) == 4
    assert "not a document type" in capsys.readouterr().err
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _batch_pdf(inbox / "evidence.pdf", [render_pdf_page(sheet, tmp_path / "cover.png", 100), pages["poa"]])
    assert main(["watch", f"folder:{inbox}", "--once", "--json"]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert result["documents"][0]["type"] == "证据目录" and result["documents"][0]["title"] == "证据一"
    assert (inbox / DONE / "evidence.pdf").exists()
    assert main(["watch", "sane:test", "--once"]) == 2  # watch takes hot folders only


def test_a_batch_scanned_but_not_stored_is_filed_again_without_rescanning(tmp_path, pages):
    settings = settings_in(tmp_path)
    broken = load_settings(
        data_dir=tmp_path / "data", scan={"resolution": 75}, signing={"pkcs12": tmp_path / "missing.p12"}
    )
    with EsclTestServer([pages["cover_poa"], pages["poa"]]) as server:
        url = f"escl:{server.url}"
        with pytest.raises(StageError, match="signing key"):  # nothing can be stored
            scan_to_case(url, CASE, broken)
    # the scanner is gone now; the spooled pages are enough
    (result,) = scan_to_case(url, CASE, settings, resume=True)
    assert [(e.type, e.last_page) for e in result.versions[0].documents] == [("授权委托书", 3)]  # after the cover and the catalogue
