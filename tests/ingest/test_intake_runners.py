"""The same intake in online submission (the web runner) and for phone photos in HEIC.

The web test drives the real app (FastAPI TestClient, a real file store, real accounts from
tests/web/web_dossiers) with real OFD and Word files; the submission job runs the pipeline, and the
published version must hold the files' own text and the originals byte for byte. Refusals name the
file as it was uploaded, never the server's folder.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pymupdf
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from edossier.config import LimitsSettings
from edossier.ingest.pages import open_source, read_pages
from edossier.storage import open_store
from tests.ingest.intake_truth import DATA, char_recall, docx_text, ofd_page_texts
from tests.web.web_dossiers import CASE_A, NEW_PASSWORD, PASSWORD, WebEnv, make_env


DECLARED = {"doc_type": "其他"}  # a lawyer declares what is filed


@pytest.fixture(scope="module")
def web_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebEnv]:
    saved = {k: v for k, v in os.environ.items() if k.startswith("EDOSSIER_")}
    for key in saved:
        del os.environ[key]
    os.environ["EDOSSIER_CONFIG"] = "/nonexistent/edossier.toml"  # no developer's config in tests
    yield make_env(tmp_path_factory.mktemp("web"))
    os.environ.pop("EDOSSIER_CONFIG", None)
    os.environ.update(saved)


@pytest.fixture(scope="module")
def lawyer(web_env: WebEnv) -> Iterator[TestClient]:
    from edossier.web.app import create_app

    with TestClient(create_app(web_env.settings)) as client:
        me = client.post("/api/session", json={"user": "lawyer1", "password": PASSWORD})
        assert me.status_code == 200, me.text
        client.headers["X-CSRF-Token"] = me.json()["csrf"]  # as the reader's page sends it
        assert client.post("/api/password", json={"old": PASSWORD, "new": NEW_PASSWORD}).status_code == 200
        yield client


def _wait(client: TestClient, job_id: str) -> dict:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        job = client.get(f"/api/submissions/{job_id}").json()
        if job["state"] not in ("queued", "running"):
            return job
        time.sleep(0.5)
    raise AssertionError("the submission did not finish")


def test_ofd_and_word_submitted_online(lawyer: TestClient, web_env: WebEnv) -> None:
    names = ["20240531141733.ofd", "python-docx-par-known-paragraphs.docx"]
    files = [("files", (name, (DATA / name).read_bytes())) for name in names]
    sent = lawyer.post(f"/api/cases/{quote(CASE_A)}/submissions", files=files, data=DECLARED)
    assert sent.status_code == 202, sent.text
    job = _wait(lawyer, sent.json()["id"])
    assert job["state"] == "accepted", job
    store = open_store(web_env.settings.store_uri)
    from edossier.casenumber import CaseNumber
    from edossier.storage.manifest import read_manifest

    manifest = read_manifest(store, CaseNumber.parse(CASE_A), job["version"])
    tmp = web_env.root / "check"
    tmp.mkdir(exist_ok=True)
    dossier = next(o for o in manifest.objects if o.role == "dossier")
    store.get_file(dossier.key, tmp / "dossier.pdf")
    with pymupdf.open(tmp / "dossier.pdf") as pdf:
        bound = "".join(page.get_text() for page in pdf)
    truths = ["".join(ofd_page_texts(DATA / names[0])), docx_text(DATA / names[1])]
    for name, truth in zip(names, truths, strict=True):
        assert char_recall(truth, bound) >= 0.9, name
        sha = hashlib.sha256((DATA / name).read_bytes()).hexdigest()
        original = next(o for o in manifest.objects if o.role == "original" and o.sha256 == sha)
        store.get_file(original.key, tmp / name)
        assert (tmp / name).read_bytes() == (DATA / name).read_bytes()
    invoice = next(d for d in manifest.documents if d["source_sha256"] == hashlib.sha256(
        (DATA / names[0]).read_bytes()).hexdigest())
    assert invoice["metadata"]["发票号码"] == "24112000000048542163"


def test_online_refusals_name_the_uploaded_file(lawyer: TestClient, web_env: WebEnv) -> None:
    store = open_store(web_env.settings.store_uri)
    before = list(store.list("cases/"))
    program = lawyer.post(f"/api/cases/{quote(CASE_A)}/submissions",
                          files={"files": ("起诉状.docx", Path("/bin/true").read_bytes())}, data=DECLARED)
    assert program.status_code == 415 and "起诉状.docx：文件类型不受支持" in program.text
    ofd_as_word = lawyer.post(f"/api/cases/{quote(CASE_A)}/submissions",
                              files={"files": ("代理词.docx", (DATA / "fptpl.ofd").read_bytes())}, data=DECLARED)
    assert ofd_as_word.status_code == 422 and "代理词.docx：" in ofd_as_word.text
    assert str(web_env.settings.data_dir) not in ofd_as_word.text + program.text
    assert list(store.list("cases/")) == before
    assert not any((web_env.settings.data_dir / "web" / "uploads").glob("*/*"))


def test_heic_phone_photo_is_read_upright(tmp_path: Path) -> None:
    """pillow-heif's iPhone photo (3024x4032, portrait as taken): one raster page, upright, full size."""
    source = open_source(DATA / "pillow-heif-arrow.heic", LimitsSettings())
    assert source.media_type == "image/heic"
    pages = list(read_pages(source, tmp_path, LimitsSettings()))
    assert len(pages) == 1 and pages[0].kind == "raster"
    assert (pages[0].width_px, pages[0].height_px) == (3024, 4032)
    assert [(c.kind, c.value) for c in pages[0].corrections] == [("exif_orientation", 6)]
    assert pages[0].image is not None
    with Image.open(pages[0].image) as image:
        ink = np.asarray(image.convert("L")) < 80
    half = ink.shape[0] // 2

    def widest(rows: np.ndarray) -> int:
        spans = [np.nonzero(row)[0] for row in rows[::20]]
        return max((int(s.max() - s.min()) for s in spans if len(s)), default=0)

    # the photo is of an arrow drawn pointing up: upright, its wide head is in the top half
    assert widest(ink[:half]) > 1.5 * widest(ink[half:])


def test_ofd_and_word_in_a_batch(tmp_path: Path) -> None:
    """``edossier batch``: one worker reads, another step binds from the store (the converted PDF is stored)."""
    import json
    import shutil
    import subprocess
    import sys

    archive = tmp_path / "archive" / "case-000"
    archive.mkdir(parents=True)
    names = ["fptpl.ofd", "olefile-test-ole-file.doc"]
    for name in names:
        shutil.copy(DATA / name, archive / name)
    case_map = tmp_path / "cases.csv"
    case_map.write_text("path,case,type\ncase-000,（2024）浙0102民初23号,\n", encoding="utf-8")
    data = tmp_path / "data"
    env = {**os.environ, "EDOSSIER_DATA_DIR": str(data), "EDOSSIER_CONFIG": str(data / "none.toml")}
    edossier = str(Path(sys.executable).parent / "edossier")
    done = subprocess.run([edossier, "batch", str(tmp_path / "archive"), "--cases", str(case_map), "--workers", "1",
                           "--json"], env=env, capture_output=True, text=True, timeout=600)
    status = json.loads(done.stdout)
    assert done.returncode == 0 and status["cases"]["done"] == 1, (status, done.stderr[-2000:])
    store = data / "store"
    manifest = json.loads(next(store.glob("cases/*/versions/000001/manifest.json")).read_text(encoding="utf-8"))
    dossier = next(o for o in manifest["objects"] if o["role"] == "dossier")
    with pymupdf.open(store / dossier["key"]) as pdf:
        bound = "".join(page.get_text() for page in pdf)
    assert char_recall("".join(ofd_page_texts(DATA / names[0])), bound) >= 0.9
    assert "Test OLE file, saved as Word 97-2003 Document." in bound.replace("\n", " ")
    originals = {o["sha256"]: store / o["key"] for o in manifest["objects"] if o["role"] == "original"}
    for name in names:
        data_bytes = (DATA / name).read_bytes()
        assert originals[hashlib.sha256(data_bytes).hexdigest()].read_bytes() == data_bytes


@pytest.mark.parametrize(("name", "dpi"), [("paddle_ch_street_rec_1.png", 100.0), ("paddle_table_1.jpg", 150.0),
                                            ("pillow-heif-arrow.heic", 300.0)])
def test_real_photos_are_not_warped_as_pages(name: str, dpi: float) -> None:
    """Real phone photos with no page outline against a darker background keep their geometry.

    Before the paper-share check, the street sign's bright letters closed into a 'page' and were warped.
    (A real photo of a page on a dark desk is not among the project's samples: the positive case is checked
    on rendered photos in test_cleanup.)
    """
    import cv2

    from edossier.config import CleanupSettings
    from edossier.ingest.cleanup import clean_image

    with Image.open(DATA / name) as image:
        photo = cv2.cvtColor(np.asarray(image.convert("RGB")), cv2.COLOR_RGB2BGR)
    cleaned = clean_image(photo, dpi, CleanupSettings())
    assert not any(c.kind == "perspective" for c in cleaned.corrections)


def test_ofd_and_word_dropped_in_a_hot_folder(tmp_path: Path) -> None:
    """``edossier watch``: born-digital files are filed whole into the folder's case with their own text."""
    import json
    import shutil
    import subprocess
    import sys

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    names = ["n.ofd", "olefile-test-ole-file.doc"]
    for name in names:
        shutil.copy(DATA / name, inbox / name)
        os.utime(inbox / name, (time.time() - 60, time.time() - 60))  # landed a minute ago: stable
    data = tmp_path / "data"
    env = {**os.environ, "EDOSSIER_DATA_DIR": str(data), "EDOSSIER_CONFIG": str(data / "none.toml"),
           "EDOSSIER_SCAN__FOLDER_STABLE_S": "0"}
    edossier = str(Path(sys.executable).parent / "edossier")
    done = subprocess.run([edossier, "watch", f"folder:{inbox}", "--case", "（2024）浙0102民初24号", "--once", "--json"],
                          env=env, capture_output=True, text=True, encoding="utf-8", timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(done.stdout)
    assert [r["born_digital"] for r in results] == [True, True]
    assert [v["version"] for r in results for v in r["versions"]] == [1, 2]
    assert not any(inbox.glob("failed/*")), list(inbox.glob("failed/*"))
    store = data / "store"
    manifest = json.loads(next(store.glob("cases/*/versions/000002/manifest.json")).read_text(encoding="utf-8"))
    bound = ""
    for volume in (o for o in manifest["objects"] if o["role"] in ("dossier", "dossier_secondary")):
        with pymupdf.open(store / volume["key"]) as pdf:  # the 批复 is court-internal: it is bound in the 副卷
            bound += "".join(page.get_text() for page in pdf)
    assert char_recall("".join(ofd_page_texts(DATA / names[0])), bound) >= 0.9
    assert "Test OLE file, saved as Word 97-2003 Document." in bound.replace("\n", " ")
    originals = {o["sha256"]: store / o["key"] for o in manifest["objects"] if o["role"] == "original"}
    for name in names:
        data_bytes = (DATA / name).read_bytes()
        assert originals[hashlib.sha256(data_bytes).hexdigest()].read_bytes() == data_bytes
