"""Injected faults end in a finished dossier or a clean error, nothing partial visible, resumable."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from edossier.config import load_settings
from edossier.casenumber import CaseNumber
from edossier.errors import ServiceUnavailableError, StageError
from edossier.pipeline.process import Material, process_case
from edossier.storage.filesystem import FilesystemStore
from edossier.storage.manifest import latest_version, read_manifest
from tests.conftest import SAMPLES
from tests.faults.doubles import EngineCrashingOnPage, StoreFailingAtWrite
from tests.ingest import hostile

CASE = "（2024）浙0102民初9号"


@pytest.fixture
def born_digital(tmp_path: Path) -> list[Material]:
    """Two born-digital PDFs: real intake, binding, signing and publishing, no OCR cost."""
    return [
        Material(hostile.text_pdf(tmp_path / "a.pdf", pages=2), declared_type="起诉状"),
        Material(hostile.text_pdf(tmp_path / "b.pdf", pages=1), declared_type="授权委托书"),
    ]


def _comparable(manifest) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return sorted((o.key, o.sha256) for o in manifest.objects if o.role != "dossier")


def test_store_failing_at_each_write_of_a_publish(tmp_path: Path, data_dir: Path, born_digital: list[Material]) -> None:
    settings = load_settings()
    clean = FilesystemStore(tmp_path / "clean-store")
    process_case(born_digital, CASE, settings, store=clean)
    expected = _comparable(read_manifest(clean, CaseNumber.parse(CASE)))
    writes = len(read_manifest(clean, CaseNumber.parse(CASE)).objects) + 1  # objects, then the manifest
    for fail_at in range(1, writes + 1):
        root = tmp_path / f"store-{fail_at}"
        failing = StoreFailingAtWrite(root, fail_at)
        with pytest.raises(ServiceUnavailableError):
            process_case(born_digital, CASE, settings, store=failing)
        assert latest_version(failing, CaseNumber.parse(CASE)) == 0, f"partial version visible after write {fail_at}"
        resumed = FilesystemStore(root)  # the server is back: rerun the same command
        summary = process_case(born_digital, CASE, settings, store=resumed)
        assert summary.version == 1
        assert _comparable(read_manifest(resumed, CaseNumber.parse(CASE))) == expected


def test_ocr_engine_crash_on_one_page_is_clean_and_resumable(data_dir: Path) -> None:
    settings = load_settings()
    store = FilesystemStore(data_dir / "store")
    inputs = [Material(SAMPLES / "01-complaint.tif"), Material(SAMPLES / "03-judgment.pdf")]
    probe = EngineCrashingOnPage(crash_on=None)
    process_case(inputs[:1], "（2024）浙0102民初99号", settings, store=FilesystemStore(data_dir / "probe"), engine=probe)
    judgment_pages = sorted((data_dir / "work" / "pages").glob("*.png"))
    crashing = EngineCrashingOnPage(crash_on=None)
    # Crash on the judgment's second page: find its image by reading the judgment first.
    from edossier.pipeline.process import read_material

    _, pages = read_material(inputs[1], settings, settings.work_dir, None)
    crashing.crash_on = pages[1].recognition_image
    with pytest.raises(StageError) as info:
        process_case(inputs, CASE, settings, store=store, engine=crashing)
    assert str(info.value).startswith(f"{inputs[1].path}: page 2: OCR failed: engine process died")
    assert latest_version(store, CaseNumber.parse(CASE)) == 0
    assert judgment_pages  # the probe ran
    healthy = EngineCrashingOnPage(crash_on=None)
    summary = process_case(inputs, CASE, settings, store=store, engine=healthy)
    assert summary.version == 1 and summary.pages == 7  # cover, catalogue, 4 document pages, closing sheet
    # Resumable: pages read before the crash are not read again.
    assert len(healthy.calls) < 4


def _cli(args: list[str], data_dir: Path, module: str = "edossier.pipeline.cli",
         **env: str) -> subprocess.CompletedProcess[str]:
    """``edossier ARGS`` on DATA_DIR, or the same command run by a test double MODULE (tests/faults/killed_mid_publish)."""
    full_env = {**os.environ, "EDOSSIER_DATA_DIR": str(data_dir), "EDOSSIER_CONFIG": "/nonexistent.toml", **env}
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True,
                          text=True, env=full_env, timeout=600)


def test_ocr_timeout_on_a_page_is_a_clean_error(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    result = _cli(["process", str(SAMPLES / "02-power-of-attorney.jpg"), "--case", CASE], data_dir,
                  EDOSSIER_OCR__ENGINE="tesseract", EDOSSIER_OCR__PAGE_TIMEOUT_S="0.05")
    assert result.returncode == 6, result.stderr
    assert "02-power-of-attorney.jpg: page 1: OCR failed: tesseract timed out after 0.05 s" in result.stderr
    assert not (data_dir / "store" / "cases").exists()


def test_disk_filling_up_is_a_clean_error_and_resumable(tmp_path: Path, born_digital: list[Material]) -> None:
    """RLIMIT_FSIZE makes the kernel refuse writes past a size, as a full quota does."""
    data_dir = tmp_path / "data"
    big = SAMPLES / "03-judgment.pdf"  # the store copy of this original crosses the limit
    args = ["process", str(born_digital[0].path), str(big), "--case", CASE, "--type", "其他"]

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))

    env = {**os.environ, "EDOSSIER_DATA_DIR": str(data_dir), "EDOSSIER_CONFIG": "/nonexistent.toml"}
    full = subprocess.run([sys.executable, "-m", "edossier.pipeline.cli", *args], capture_output=True, text=True,
                          env=env, timeout=600, preexec_fn=limit)
    assert full.returncode == 14, full.stderr
    assert full.stderr.startswith("edossier: error: ") and "File too large" in full.stderr
    assert "Traceback" not in full.stderr
    assert not list((data_dir / "store").rglob("manifest.json")) if (data_dir / "store").exists() else True
    again = _cli([*args, "--json"], data_dir)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["version"] == 1


def test_a_correction_killed_between_its_pdf_and_its_manifest_is_resumed(
    data_dir: Path, born_digital: list[Material]
) -> None:
    """SIGKILL right after the corrected volume's signed PDF is sealed: no version shows, and the clerk's
    same correction, asked again, publishes that very PDF (nothing left that no version names)."""
    from edossier.pipeline.process import trust_roots
    from edossier.pipeline.recatalogue import catalogue_rows
    from edossier.pipeline.verify_case import verify_case
    from edossier.storage.audit import AuditLog
    from edossier.storage.fixity import orphans

    settings = load_settings()
    case = CaseNumber.parse(CASE)
    process_case(born_digital, CASE, settings)
    store = FilesystemStore(data_dir / "store")
    complaint = next(d for d in catalogue_rows(CASE, settings, store)["documents"] if d["last_page"] > d["first_page"])
    args = ["catalogue", CASE, "--split-at", f"{complaint['number']}:{complaint['first_page'] + 1}", "--json"]
    killed = _cli(args, data_dir, module="tests.faults.killed_mid_publish")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert latest_version(store, case) == 1  # nothing partial visible
    left = orphans(store, case)
    assert len(left) == 1 and left[0].startswith(f"cases/{case.key}/versions/000002/dossier-"), left

    again = _cli(args, data_dir)  # the clerk asks for the same correction again
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["version"] == 2
    manifest = read_manifest(store, case)
    assert manifest.dossier.key == left[0]  # the PDF sealed before the kill, taken back, not signed again
    assert manifest.provenance["correction"]["action"] == "split"
    assert len(manifest.catalogue) == len(born_digital) + 1
    assert orphans(store, case) == []
    assert verify_case(store, case, trust_roots(settings))["valid"]
    trail = AuditLog(store)
    assert trail.verify() == []
    assert [e.detail["version"] for e in trail.entries() if e.action == "recatalogue"] == [2]


@pytest.mark.parametrize("sealed", [1, 2], ids=["after-the-rebound-main-volume", "after-both-volumes"])
def test_a_correction_moving_a_paper_to_the_secondary_volume_killed_mid_publish_is_resumed(
    data_dir: Path, born_digital: list[Material], sealed: int
) -> None:
    """A move 正卷→副卷 seals two PDFs (the 正卷 bound anew, the 副卷 it joins); SIGKILL right after the first or
    the second: no version shows, and the same move asked again publishes them as the next version, nothing left
    that no version names, the 正卷 that parties read no longer holds the paper."""
    import pymupdf

    from edossier.pipeline.process import trust_roots
    from edossier.pipeline.recatalogue import catalogue_rows
    from edossier.pipeline.verify_case import verify_case
    from edossier.storage.fixity import orphans
    from edossier.web.volumes import withheld_from_parties

    settings = load_settings()
    case = CaseNumber.parse(CASE)
    process_case(born_digital, CASE, settings)
    store = FilesystemStore(data_dir / "store")
    complaint, paper = catalogue_rows(CASE, settings, store)["documents"]  # 起诉状 (2 pages), 授权委托书 (1)
    args = ["catalogue", CASE, "--move", str(paper["number"]), "--json"]
    # One object sealed at a time, so that "after the first PDF" is the 正卷 alone.
    killed = _cli(args, data_dir, module="tests.faults.killed_mid_publish", KILL_AFTER_PDFS=str(sealed),
                  EDOSSIER_STORAGE__JOBS="1")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert latest_version(store, case) == 1  # nothing partial visible
    left = orphans(store, case)
    prefix = f"cases/{case.key}/versions/000002/"
    assert sorted(k.removeprefix(prefix).split("-")[0] for k in left) == ["dossier", "dossier_secondary"][:sealed], left

    again = _cli(args, data_dir)  # the clerk asks for the same move again
    assert again.returncode == 0, again.stderr
    moved = json.loads(again.stdout)
    assert (moved["version"], moved["from"], moved["to"]) == (2, "main", "secondary")
    manifest = read_manifest(store, case)
    assert set(left) <= {o.key for o in manifest.objects}  # the PDFs sealed before the kill, taken back
    assert orphans(store, case) == []
    rows = catalogue_rows(CASE, settings, store)["documents"]
    assert [(d["volume"], d["title"]) for d in rows] == [("main", complaint["title"]), ("secondary", paper["title"])]
    assert withheld_from_parties(store, case) == {1}  # v1's 正卷 held the paper: parties no longer get it
    main = next(o for o in manifest.objects if o.role == "dossier")
    with pymupdf.open(store.get_file(main.key, data_dir / "main.pdf")) as pdf:
        assert sum("本院受理原告" in page.get_text() for page in pdf) == 2  # the 起诉状's two pages, not the paper's
    assert verify_case(store, case, trust_roots(settings))["valid"]
