"""Online submissions on the durable queue: held blank uploads, lanes, limits, review, restarts, several servers.

Everything here is real: the pipeline (born-digital filings, so no OCR time),
signing, the file store, the account database, and for restarts and
``serve --workers 2`` real server processes started with the ``edossier`` CLI
and stopped with SIGKILL and SIGTERM.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.synchronize
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pymupdf
import pytest
from fastapi.testclient import TestClient

from bench.pagegen import text_pdf
from tests.web.test_browser import CHROMEDRIVER, CHROMIUM, browser  # noqa: F401 (the headless Chromium fixture)
from edossier.casenumber import CaseNumber
from edossier.config import Settings, load_settings
from edossier.pipeline.batch.sqlite_broker import consumer_owner
from edossier.storage import open_store
from edossier.storage.audit import AuditLog
from edossier.storage.manifest import published_versions, read_manifest
from edossier.web.accounts import accounts_path, open_accounts
from edossier.web.app import create_app
from edossier.web.submission_queue import FINAL, LARGE, SMALL, Job, JobQueue, new_owner, retire_owner

PASSWORD = "initial-pass-123"
NEW_PASSWORD = "chosen-pass-4567"
CASE_X = "（2024）浙0102民初2001号"
CASE_Y = "（2024）京0105民初3002号"  # another court's case
COMPLAINT = "民事起诉状\n原告：张三，住杭州市西湖区文三路100号。\n被告：李四。\n诉讼请求：判令被告归还借款本金人民币伍万元整。"


def make_settings(root: Path, **web: object) -> Settings:
    settings = load_settings(data_dir=root / "data", user="clerk1", web=web or None)
    accounts = open_accounts(settings)
    for name, role in (("clerk1", "clerk"), ("clerk2", "clerk"), ("clerk3", "clerk"), ("lawyer1", "lawyer")):
        accounts.add(name, role, PASSWORD)
        accounts.change_password(name, PASSWORD, NEW_PASSWORD)
    accounts.close()
    return settings


def blank_pdf(path: Path, pages: int) -> Path:
    doc = pymupdf.open()
    for _ in range(pages):
        doc.new_page(width=595, height=842)
    doc.save(path, garbage=3, deflate=True)
    return path


def half_blank_pdf(path: Path) -> Path:
    """A page of text and a blank page: half blank, so held for review by default."""
    doc = pymupdf.open(text_pdf(path.with_suffix(".text.pdf"), [COMPLAINT]))
    doc.new_page(width=595, height=842)
    doc.save(path)
    return path


def sign_in(client: TestClient | httpx.Client, user: str) -> TestClient | httpx.Client:
    me = client.post("/api/session", json={"user": user, "password": NEW_PASSWORD})
    assert me.status_code == 200, me.text
    client.headers["X-CSRF-Token"] = me.json()["csrf"]  # as the reader's page sends it
    return client


def user_client(app: TestClient, user: str) -> TestClient:
    return sign_in(TestClient(app.app), user)  # type: ignore[return-value]


def wait(client: TestClient | httpx.Client, job_id: str, timeout: float = 300) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/api/submissions/{job_id}").json()
        if job["state"] in (*FINAL, "held") or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def file(client: TestClient | httpx.Client, case: str, name: str, data: bytes, doc_type: str | None = "起诉状") -> dict:  # type: ignore[type-arg]
    answer = client.post(f"/api/cases/{quote(case)}/submissions", files={"files": (name, data)},
                         data={"doc_type": doc_type} if doc_type else {})
    assert answer.status_code == 202, answer.text
    return answer.json()


def outcomes(settings: Settings) -> dict[str, list[str]]:
    """Per job received: the outcomes the audit trail records for it."""
    received: dict[str, list[str]] = {}
    for entry in AuditLog(open_store(settings.store_uri)).entries():
        job = entry.detail.get("job")
        if entry.action == "submission_received":
            received[str(job)] = []
        elif entry.action.startswith("submission_") and job in received:
            received[str(job)].append(entry.action.removeprefix("submission_"))
    return received


# --- a 3,000-page blank upload beside a one-page filing ------------------------------------------


def test_blank_3000_pages_are_held_and_do_not_delay_a_one_page_filing(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    big = blank_pdf(tmp_path / "blank.pdf", 3000).read_bytes()
    assert 300_000 < len(big) < 450_000  # the 367 KB
    small = text_pdf(tmp_path / "complaint.pdf", [COMPLAINT]).read_bytes()
    with TestClient(create_app(settings)) as app:
        clerk1, clerk2 = user_client(app, "clerk1"), user_client(app, "clerk2")
        held = file(clerk1, CASE_X, "扫描件.pdf", big, doc_type=None)
        filed = file(clerk2, CASE_Y, "起诉状.pdf", small)
        assert (held["pages"], filed["pages"]) == (3000, 1)
        filed = wait(clerk2, filed["id"])
        held = wait(clerk1, held["id"])
        seconds = filed["finished"] - filed["created"]
        print(f"one-page filing: {seconds:.2f} s from received to accepted; blank upload checked "
              f"{held['checked_at'] - held['created']:.2f} s after it was received")
        assert filed["state"] == "accepted" and filed["version"] == 1, filed
        assert filed["pages_done"] == filed["pages"] == 1 and filed["progress"] == "已处理 1 / 1 页"
        assert held["state"] == "held" and held["state_name"] == "待审核", held
        assert "3000 页中有 3000 页为空白页" in held["reason"] and "须经法院审核" in held["reason"]
        assert held["version"] is None and held["pages_done"] == 0
        # the target is 10 s (measured and reported in notes/issue-20.md); bound loosely for a loaded CI machine
        assert seconds < 60
        # the submitter sees the hold, with its reason, in their list too
        mine = clerk1.get("/api/submissions").json()
        assert [(j["id"], j["state_name"]) for j in mine] == [(held["id"], "待审核")]
    store = open_store(settings.store_uri)
    assert published_versions(store, CaseNumber.parse(CASE_X)) == []  # nothing sealed
    assert not list(store.list(f"cases/{CaseNumber.parse(CASE_X).key}"))
    assert (settings.data_dir / "web" / "uploads" / held["id"] / "001.pdf").read_bytes() == big  # kept for review
    assert outcomes(settings) == {held["id"]: ["held"], filed["id"]: ["accepted"]}


def test_a_big_job_being_processed_does_not_hold_up_the_small_lane(tmp_path: Path) -> None:
    """Even a big submission that is being processed (say a clerk released it) leaves small ones free;
    a second job of the same case waits, checked, until the case's running job ends."""
    queue = JobQueue(tmp_path / "accounts.sqlite3")
    web = load_settings(data_dir=tmp_path).web
    owner = new_owner(consumer_owner())

    def job(id_: str, case: str, pages: int, lane: str) -> Job:
        return Job(id=id_, user="clerk1", case=case, client=None, files=[f"{id_}.pdf"], materials=[], pages=pages,
                   bytes=1000, lane=lane)

    queue.admit(job("big", CASE_X, 2800, LARGE), web)
    queue.admit(job("small-same-case", CASE_X, 1, SMALL), web)
    queue.admit(job("small-other-case", CASE_Y, 1, SMALL), web)
    taken = queue.claim(LARGE, owner)
    assert taken is not None and taken.id == "big" and taken.state == "checking"
    assert queue.passed_check("big", owner)  # now running: it holds case X
    assert queue.job("big").state == "running"  # type: ignore[union-attr]
    first = queue.claim(SMALL, owner)
    assert first is not None and first.id == "small-same-case"
    assert not queue.passed_check(first.id, owner)  # case X is busy: back in the queue, checked
    second = queue.claim(SMALL, owner)
    assert second is not None and second.id == "small-other-case"  # not behind the big one
    assert queue.passed_check(second.id, owner)
    assert queue.claim(SMALL, owner) is None  # case X still busy
    assert queue.finish("big", owner, "accepted", version=1)
    again = queue.claim(SMALL, owner)
    assert again is not None and again.id == "small-same-case" and again.state == "running"


# --- a clerk's review ---------------------------------------------------------------------


def test_a_clerk_releases_or_rejects_a_held_submission(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    half = half_blank_pdf(tmp_path / "half.pdf").read_bytes()
    blank = blank_pdf(tmp_path / "blank.pdf", 40).read_bytes()
    with TestClient(create_app(settings)) as app:
        clerk1, clerk2, lawyer = user_client(app, "clerk1"), user_client(app, "clerk2"), user_client(app, "lawyer1")
        to_release = wait(clerk1, file(clerk1, CASE_X, "起诉状.pdf", half)["id"])
        to_reject = wait(clerk1, file(clerk1, CASE_Y, "空白.pdf", blank, doc_type=None)["id"])
        assert to_release["state"] == to_reject["state"] == "held"
        assert "2 页中有 1 页为空白页" in to_release["reason"]
        assert lawyer.get("/api/submissions?held=true").status_code == 403
        refused = lawyer.post(f"/api/submissions/{to_release['id']}/release")
        assert refused.status_code == 403 and refused.json()["detail"] == "仅书记员可审核网上提交"
        assert lawyer.get(f"/api/submissions/{to_release['id']}").status_code == 404  # not the lawyer's
        held = clerk2.get("/api/submissions?held=true").json()
        assert {j["id"] for j in held} == {to_release["id"], to_reject["id"]}

        released = clerk2.post(f"/api/submissions/{to_release['id']}/release")
        assert released.status_code == 200 and released.json()["state"] == "queued"
        done = wait(clerk1, to_release["id"])
        assert done["state"] == "accepted" and done["version"] == 1 and done["reviewed_by"] == "clerk2", done

        rejected = clerk2.post(f"/api/submissions/{to_reject['id']}/reject", json={"reason": "空白扫描件，请重新扫描"})
        assert rejected.status_code == 200
        seen = clerk1.get(f"/api/submissions/{to_reject['id']}").json()
        assert (seen["state"], seen["state_name"], seen["reason"]) == ("rejected", "已退回", "空白扫描件，请重新扫描")
        again = clerk2.post(f"/api/submissions/{to_reject['id']}/release")
        assert again.status_code == 404 and "待审核" in again.json()["detail"]
    store = open_store(settings.store_uri)
    manifest = read_manifest(store, CaseNumber.parse(CASE_X))
    assert manifest.version == 1 and len(manifest.documents) == 1  # released: published with its blank page
    assert published_versions(store, CaseNumber.parse(CASE_Y)) == []
    assert not (settings.data_dir / "web" / "uploads" / to_reject["id"]).exists()
    assert outcomes(settings) == {to_release["id"]: ["held", "released", "accepted"],
                                  to_reject["id"]: ["held", "rejected"]}
    reviews = [e for e in AuditLog(store).entries() if e.action in ("submission_released", "submission_rejected")]
    assert [(e.user, e.detail["submitter"]) for e in reviews] == [("clerk2", "clerk1")] * 2


# --- limits ------------------------------------------------------------------------------


def test_limits_are_refused_in_chinese_before_anything_is_kept(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, submission_max_pages=5, user_waiting_jobs=1, case_waiting_pages=3,
                             user_waiting_bytes=40_000)
    six = text_pdf(tmp_path / "six.pdf", [COMPLAINT] * 6).read_bytes()
    half = half_blank_pdf(tmp_path / "half.pdf").read_bytes()
    with TestClient(create_app(settings)) as app:
        clerk1, clerk2, clerk3 = (user_client(app, u) for u in ("clerk1", "clerk2", "clerk3"))
        too_long = clerk1.post(f"/api/cases/{quote(CASE_X)}/submissions", files={"files": ("长.pdf", six)})
        assert too_long.status_code == 413
        assert too_long.json()["detail"] == "本次提交共 6 页，超过每次至多 5 页的限制；请分次提交"
        waiting = wait(clerk1, file(clerk1, CASE_X, "起诉状.pdf", half)["id"])
        assert waiting["state"] == "held"  # held submissions wait, and count
        second = clerk1.post(f"/api/cases/{quote(CASE_Y)}/submissions", files={"files": ("b.pdf", half)})
        assert second.status_code == 429
        assert second.json()["detail"] == "您尚有 1 份提交未处理完，至多 1 份；请待处理完后再提交"
        case_full = clerk2.post(f"/api/cases/{quote(CASE_X)}/submissions", files={"files": ("c.pdf", half)})
        assert case_full.status_code == 429
        assert case_full.json()["detail"].startswith("本案待处理的材料共 2 页，加上本次 2 页将超过 3 页的限额")
        heavy = pymupdf.open()
        heavy.new_page().insert_image(pymupdf.Rect(0, 0, 595, 842), stream=_noise_png(), keep_proportion=False)
        heavy_bytes = heavy.tobytes()
        assert len(heavy_bytes) > 40_000
        too_heavy = clerk3.post(f"/api/cases/{quote(CASE_Y)}/submissions", files={"files": ("d.pdf", heavy_bytes)})
        assert too_heavy.status_code == 429
        assert too_heavy.json()["detail"] == "您待处理的材料将超过 39 KB 的限额；请待处理完后再提交"
    uploads = settings.data_dir / "web" / "uploads"
    assert [p.name for p in uploads.iterdir()] == [waiting["id"]]  # nothing of the refused ones kept
    refused = [e for e in AuditLog(open_store(settings.store_uri)).entries() if e.action == "submission_refused"]
    assert len(refused) == 4


def _noise_png() -> bytes:
    """An image that does not compress: a page as heavy as a scan."""
    return pymupdf.Pixmap(pymupdf.csRGB, 200, 200, os.urandom(200 * 200 * 3), False).tobytes("png")


# --- claims: no job twice -----------------------------------------------------------------


def _claim_until_empty(path: str, start: multiprocessing.synchronize.Barrier, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    queue = JobQueue(Path(path))
    owner = new_owner(consumer_owner())
    taken = []
    start.wait()  # all at once
    while (job := queue.claim(SMALL, owner)) is not None:
        time.sleep(0.01)  # working on it, as a worker would: the others claim meanwhile
        assert queue.finish(job.id, owner, "accepted", version=1)
        taken.append(job.id)
    out.put(taken)


def test_processes_racing_for_jobs_each_take_a_different_one(tmp_path: Path) -> None:
    path = tmp_path / "accounts.sqlite3"
    queue = JobQueue(path)
    web = load_settings(data_dir=tmp_path, web={"user_waiting_jobs": 100, "case_waiting_jobs": 100}).web
    for n in range(60):
        queue.admit(Job(id=f"job{n:02d}", user="clerk1", case=f"（2024）浙0102民初{n + 1}号", client=None,
                        files=["a.pdf"], materials=[], pages=1, bytes=10, lane=SMALL), web)
    spawn = multiprocessing.get_context("spawn")
    out, start = spawn.Queue(), spawn.Barrier(4)
    workers = [spawn.Process(target=_claim_until_empty, args=(str(path), start, out)) for _ in range(4)]
    for worker in workers:
        worker.start()
    taken = [out.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    every = [job for share in taken for job in share]
    assert sorted(every) == [f"job{n:02d}" for n in range(60)]  # each once
    print("jobs per process:", [len(share) for share in taken])
    assert sum(1 for share in taken if share) >= 2  # they did race


def test_an_outcome_whose_worker_died_before_auditing_it_is_audited_once(tmp_path: Path) -> None:
    """A server killed after recording two outcomes: one audited before it died, one not. A live server
    audits the missing one and leaves the other: each job ends with exactly one outcome in the trail."""
    settings = make_settings(tmp_path)
    store = open_store(settings.store_uri)
    queue = JobQueue(accounts_path(settings))
    dead = f"{socket.gethostname()}:{2**22 + 12345}:gone"  # a pid above Linux's pid_max: no such process
    web = settings.web
    audit = AuditLog(store)
    for job_id in ("audited", "unaudited"):
        queue.admit(Job(id=job_id, user="clerk1", case=CASE_X, client="10.0.0.7", files=[f"{job_id}.pdf"],
                        materials=[], pages=1, bytes=10, lane=SMALL), web)
        audit.append("clerk1", "submission_received", CASE_X, detail={"job": job_id})
        claimed = queue.claim(SMALL, dead)
        assert claimed is not None and claimed.id == job_id and queue.passed_check(job_id, dead)
        assert queue.finish(job_id, dead, "refused", reason="测试")
    audit.append("clerk1", "submission_refused", CASE_X, detail={"job": "audited"})  # it got this far, then died
    adopter = new_owner(consumer_owner())
    assert sorted(j.id for j in queue.adopt_outcomes(adopter)) == ["audited", "unaudited"]
    assert queue.adopt_outcomes(new_owner(consumer_owner())) == []  # a live worker's adoption is not taken again
    retire_owner(adopter)
    for job_id in ("audited", "unaudited"):  # put back as the dead server left them
        queue.db.execute("UPDATE submission_jobs SET owner = ?, audited = 0 WHERE id = ?", (dead, job_id))

    with TestClient(create_app(settings)):  # a server starts: its workers adopt what the dead one left
        deadline = time.monotonic() + 60
        while queue.db.execute("SELECT COUNT(*) FROM submission_jobs WHERE audited = 0").fetchone()[0]:
            assert time.monotonic() < deadline, "the outcome was not adopted"
            time.sleep(0.1)
    assert outcomes(settings) == {"audited": ["refused"], "unaudited": ["refused"]}
    entry = next(e for e in AuditLog(store).entries() if e.action == "submission_refused" and e.detail["job"] == "unaudited")
    assert (entry.user, entry.case, entry.client, entry.detail["reason"]) == ("clerk1", CASE_X, "10.0.0.7", "测试")
    assert [queue.job(j).owner for j in ("audited", "unaudited")] == [None, None]  # type: ignore[union-attr]


# --- real server processes: restart mid-queue, and two processes sharing the queue -------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """``edossier serve`` as a separate process on the settings' data directory."""

    def __init__(self, settings: Settings, port: int, *args: str, processes: int = 1,
                 env: dict[str, str] | None = None) -> None:
        self.url = f"http://127.0.0.1:{port}"
        environment = {k: v for k, v in os.environ.items() if not k.startswith("EDOSSIER_")}
        environment |= {"EDOSSIER_DATA_DIR": str(settings.data_dir), "EDOSSIER_CONFIG": "/nonexistent/edossier.toml",
                        "EDOSSIER_WEB__USER_WAITING_JOBS": "20"}  # one clerk files six papers at once here
        environment |= env or {}
        self.log = open(settings.data_dir.parent / f"server-{port}-{time.monotonic_ns()}.log", "wb")  # noqa: SIM115 (the server's lifetime)
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "edossier"), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            env=environment, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                started = Path(self.log.name).read_bytes().count(b"Application startup complete")
                if started >= processes and httpx.get(f"{self.url}/api/me", timeout=2).status_code == 401:
                    return
            except httpx.TransportError:
                pass
            assert self.process.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)

    def stop(self, sig: signal.Signals) -> None:
        os.killpg(self.process.pid, sig)
        self.process.wait(timeout=60)
        self.log.close()


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        if server.process.poll() is None:
            server.stop(signal.SIGKILL)


def test_a_restart_mid_queue_loses_no_submission(tmp_path: Path, servers: list[Server]) -> None:
    settings = make_settings(tmp_path)
    port = _free_port()
    servers.append(Server(settings, port))
    client = sign_in(httpx.Client(base_url=servers[0].url, timeout=60), "clerk1")
    papers = [text_pdf(tmp_path / f"p{n}.pdf", [f"{COMPLAINT}\n第{n}份材料。"]).read_bytes() for n in range(6)]
    jobs = [file(client, CASE_X, f"材料{n}.pdf", data)["id"] for n, data in enumerate(papers)]
    queue = JobQueue(accounts_path(settings))
    while queue.job(jobs[0]).state not in FINAL:  # type: ignore[union-attr]
        time.sleep(0.1)
    servers[0].stop(signal.SIGKILL)  # killed mid-queue: one filing done, the rest waiting or being processed
    waiting_after_kill = [j for j in jobs if queue.job(j).state not in FINAL]  # type: ignore[union-attr]
    assert waiting_after_kill

    servers.append(Server(settings, port))  # the same sessions work: they live in the shared database
    assert client.get(f"/api/submissions/{jobs[-1]}").status_code == 200
    while queue.job(jobs[2]).state not in FINAL:  # type: ignore[union-attr]
        time.sleep(0.1)
    servers[1].stop(signal.SIGTERM)  # stopped in order, again mid-queue
    waiting_after_stop = [j for j in jobs if queue.job(j).state not in FINAL]  # type: ignore[union-attr]
    assert waiting_after_stop

    servers.append(Server(settings, port))
    ended = [wait(client, j) for j in jobs]
    print("waiting at the kill:", len(waiting_after_kill), "at the stop:", len(waiting_after_stop),
          "runs:", [queue.job(j).runs for j in jobs])  # type: ignore[union-attr]
    assert all(job["state"] in ("accepted", "unchanged") for job in ended), ended
    manifest = read_manifest(open_store(settings.store_uri), CaseNumber.parse(CASE_X))
    assert len(manifest.documents) == len(papers)  # every filing is in the dossier, once
    assert published_versions(open_store(settings.store_uri), CaseNumber.parse(CASE_X)) == list(
        range(1, manifest.version + 1))
    assert all(len(outcome) == 1 for outcome in outcomes(settings).values()), outcomes(settings)
    assert set(outcomes(settings)) == set(jobs)


def test_a_stop_that_kills_the_binding_program_puts_the_submission_back(tmp_path: Path, servers: list[Server]) -> None:
    """A server stopped as systemd stops it (SIGTERM to the whole process group) while qpdf joins a
    submission's dossier: qpdf dies with the server, and the submission is run again after the restart,
    not refused for a fault of the clerk's (the CI failure of session 13's try, caught here on purpose).

    qpdf is the real one behind a wrapper that says it started and lingers a second first, so the
    signal reaches it mid-run every time; the second server runs with the plain PATH.
    """
    settings = make_settings(tmp_path)
    wrappers = tmp_path / "bin"
    wrappers.mkdir()
    started = tmp_path / "qpdf-started"
    qpdf = wrappers / "qpdf"
    qpdf.write_text(f'#!/bin/sh\ntouch "{started}"\nsleep 1\nexec {shutil.which("qpdf")} "$@"\n', encoding="utf-8")
    qpdf.chmod(0o755)
    port = _free_port()
    servers.append(Server(settings, port, env={"PATH": f"{wrappers}:{os.environ['PATH']}"}))
    client = sign_in(httpx.Client(base_url=servers[0].url, timeout=60), "clerk1")
    job = file(client, CASE_X, "起诉状.pdf", text_pdf(tmp_path / "p.pdf", [COMPLAINT]).read_bytes())["id"]
    queue = JobQueue(accounts_path(settings))
    deadline = time.monotonic() + 120
    while not started.exists():
        assert time.monotonic() < deadline and queue.job(job).state not in FINAL, queue.job(job)  # type: ignore[union-attr]
        time.sleep(0.05)
    servers[0].stop(signal.SIGTERM)
    assert queue.job(job).state in ("queued", "accepted"), queue.job(job)  # type: ignore[union-attr]

    servers.append(Server(settings, port))
    ended = wait(client, job)
    assert ended["state"] == "accepted", ended
    assert queue.job(job).runs >= 2  # type: ignore[union-attr]
    assert outcomes(settings) == {job: ["accepted"]}
    assert len(read_manifest(open_store(settings.store_uri), CaseNumber.parse(CASE_X)).documents) == 1


def test_two_server_processes_share_the_queue_and_run_each_job_once(tmp_path: Path, servers: list[Server]) -> None:
    settings = make_settings(tmp_path)
    servers.append(Server(settings, _free_port(), "--workers", "2", processes=2))
    client = sign_in(httpx.Client(base_url=servers[0].url, timeout=60), "clerk1")
    cases = [CASE_X, CASE_Y, "（2024）沪0101民初4003号"]
    jobs = [file(client, case, f"材料{n}.pdf", text_pdf(tmp_path / f"{n}-{i}.pdf", [f"{COMPLAINT}\n{case}第{n}份。"])
                 .read_bytes())["id"] for n in range(2) for i, case in enumerate(cases)]
    ended = [wait(client, j) for j in jobs]
    assert [job["state"] for job in ended] == ["accepted"] * len(jobs), ended
    store = open_store(settings.store_uri)
    for case in cases:
        assert published_versions(store, CaseNumber.parse(case)) == [1, 2]
        assert len(read_manifest(store, CaseNumber.parse(case)).documents) == 2
    queue = JobQueue(accounts_path(settings))
    assert [queue.job(j).runs for j in jobs] == [1] * len(jobs)  # type: ignore[union-attr]
    assert all(outcome == ["accepted"] for outcome in outcomes(settings).values())
    workers = Counter(str(e.detail["worker"]).split(":")[1] for e in AuditLog(store).entries()
                      if e.action == "submission_accepted")
    print("jobs per server process:", dict(workers))
    assert len(workers) == 2  # both took jobs (each process works one small job at a time)


# --- what the submitter and the reviewing clerk see in the browser ---------------------------------


@pytest.mark.skipif(not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
                    reason="needs Debian chromium and chromium-driver (scripts/apt-packages.txt)")
def test_the_submitter_sees_the_hold_and_a_clerk_rejects_it_in_the_browser(tmp_path: Path, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    import threading

    import uvicorn

    from tests.web.test_browser import css
    from tests.web.test_browser import sign_in as browser_sign_in
    from tests.web.test_browser import wait as until

    settings = make_settings(tmp_path)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive()
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}"
        client = sign_in(httpx.Client(base_url=url, timeout=60), "clerk1")
        held = wait(client, file(client, CASE_X, "扫描件.pdf", half_blank_pdf(tmp_path / "half.pdf").read_bytes())["id"])
        filed = wait(client, file(client, CASE_Y, "起诉状.pdf", text_pdf(tmp_path / "c.pdf", [COMPLAINT]).read_bytes())["id"])
        assert (held["state"], filed["state"]) == ("held", "accepted")

        browser_sign_in(browser, url, "clerk1")
        until(browser, lambda d: len(css(d, "#my-submissions-table tbody tr")) == 2)
        rows = {r.get_attribute("data-job"): r.text for r in css(browser, "#my-submissions-table tbody tr")}
        assert "待审核" in rows[held["id"]] and "2 页中有 1 页为空白页" in rows[held["id"]]
        assert "已收入" in rows[filed["id"]] and "已处理 1 / 1 页" in rows[filed["id"]] and "第1版" in rows[filed["id"]]
        browser.save_screenshot(str(tmp_path / "my-submissions.png"))

        browser_sign_in(browser, url, "clerk2")
        until(browser, lambda d: css(d, f'#review-table tr[data-job="{held["id"]}"]'))
        row = css(browser, f'#review-table tr[data-job="{held["id"]}"]')[0]
        assert "clerk1" in row.text and "空白页" in row.text
        row.find_element("css selector", "button.reject").click()
        alert = until(browser, lambda d: d.switch_to.alert)
        alert.send_keys("空白扫描件，请重新扫描")
        alert.accept()
        until(browser, lambda d: not css(d, "#review-table tbody tr"))
        seen = client.get(f"/api/submissions/{held['id']}").json()
        assert (seen["state_name"], seen["reason"], seen["reviewed_by"]) == ("已退回", "空白扫描件，请重新扫描", "clerk2")
    finally:
        server.should_exit = True
        thread.join(timeout=30)
