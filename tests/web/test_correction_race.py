"""A clerk's catalogue correction races a lawyer's submission on the same case, on the real store.

A correction runs in the clerk's request; a submission runs on the queue's
worker threads (web/submission_queue.py).  Both publish the case's next version.
Whatever order they meet in, the case must end with one version per number, every
filing in the dossier once, the correction either made on the version the clerk
was looking at or refused with a message that sends the clerk to the latest
version, no object in the store that no version names, and every signature and
the audit chain intact.  Everything is real: a live server (uvicorn in a thread),
the pipeline (born-digital papers, so no OCR time), signing, the file store.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient

from bench.pagegen import text_pdf
from edossier.casenumber import CaseNumber
from edossier.config import Settings, load_settings
from edossier.pipeline.process import Material, process_case, trust_roots
from edossier.pipeline.recatalogue import Correction, catalogue_rows, correct_catalogue
from edossier.pipeline.verify_case import verify_case
from edossier.storage import open_store
from edossier.storage.audit import AuditLog
from edossier.storage.fixity import orphans
from edossier.storage.manifest import published_versions, read_manifest
from edossier.types import sha256_file
from edossier.web.accounts import accounts_path, open_accounts
from edossier.web.app import create_app
from edossier.web.submission_queue import FINAL, JobQueue
from tests.faults.doubles import StoreWithWriterAhead
from tests.web.web_dossiers import COMPLAINT, POWER

pytestmark = pytest.mark.timeout(900)

CASE = "（2024）浙0102民初4321号"
PASSWORD = "initial-pass-123"
NEW_PASSWORD = "chosen-pass-4567"
ROUNDS = ("together", "while running", "together", "correction first", "while running", "together")
"""When the correction is sent in each round: with the submission, once its job is being processed, or first."""
REFUSALS = (
    re.compile(r"卷宗刚生成了第\d+版，请打开最新版本后再更正"),  # another version took the number meanwhile
    re.compile(r"卷宗已有第\d+版，请打开最新版本后再更正"),  # one was published before the clerk's request
    re.compile(r"本案有新提交的材料正在收入卷宗，请稍候打开最新版本后再更正"),  # one is being published now
)


def filed_case(root: Path) -> Settings:
    """The case at version 1 (a 2-page complaint, a power of attorney), a clerk, and the party's lawyer."""
    settings = load_settings(data_dir=root / "data", user="clerk1")
    accounts = open_accounts(settings)
    for name, role, cases in (("clerk1", "clerk", ()), ("lawyer1", "lawyer", (CASE,))):
        accounts.add(name, role, PASSWORD, cases)
        accounts.change_password(name, PASSWORD, NEW_PASSWORD)
    accounts.close()
    papers = [Material(text_pdf(root / "complaint.pdf", COMPLAINT), declared_type="起诉状", title="民事起诉状"),
              Material(text_pdf(root / "power.pdf", POWER), declared_type="授权委托书", title="授权委托书")]
    process_case(papers, CASE, settings)
    return settings


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Settings]]:
    import uvicorn

    settings = filed_case(tmp_path)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    live = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=live.run, daemon=True)
    thread.start()
    while not live.started:
        assert thread.is_alive(), "the web server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", settings
    live.should_exit = True
    thread.join(timeout=30)


def signed_in(url: str, user: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=300)
    me = client.post("/api/session", json={"user": user, "password": NEW_PASSWORD})
    assert me.status_code == 200, me.text
    client.headers["X-CSRF-Token"] = me.json()["csrf"]
    return client


def test_a_correction_racing_a_submission_loses_nothing(server: tuple[str, Settings], tmp_path: Path) -> None:
    url, settings = server
    store = open_store(settings.store_uri, settings.storage)
    case = CaseNumber.parse(CASE)
    queue = JobQueue(accounts_path(settings))
    clerk, lawyer = signed_in(url, "clerk1"), signed_in(url, "lawyer1")
    filed: dict[str, str] = {}  # job id -> the sha256 of the paper it filed
    corrections: list[tuple[int, str, int, dict[str, object]]] = []  # (seen version, action, status, answer)

    for round_, when in enumerate(ROUNDS):
        seen = catalogue_rows(CASE, settings, store)
        complaint = next(d for d in seen["documents"] if d["title"] == "民事起诉状")
        # split the complaint's second page off, or merge it back: always a correction that can be made
        after = seen["documents"][complaint["number"]]
        split = complaint["last_page"] > complaint["first_page"]
        body = {"version": seen["version"], "action": "split" if split else "merge", "document": complaint["number"]}
        if split:
            body["page"] = complaint["first_page"] + 1
        else:
            assert after["first_page"] == complaint["last_page"] + 1  # the part split off in an earlier round
        paper = text_pdf(tmp_path / f"evidence-{round_}.pdf", [f"证据材料\n第{round_ + 1}组证据：借款合同及转账记录。"])
        results: dict[str, object] = {}
        start = threading.Barrier(2)

        def submit() -> None:
            start.wait()
            answer = lawyer.post(f"/api/cases/{quote(CASE)}/submissions", data={"doc_type": "其他"},  # noqa: B023
                                 files={"files": (f"证据{round_}.pdf", paper.read_bytes())})  # noqa: B023
            assert answer.status_code == 202, answer.text
            results["job"] = answer.json()["id"]  # noqa: B023

        def correct() -> None:
            start.wait()
            if when == "while running":
                while (job := results.get("job")) is None or queue.job(str(job)).state == "queued":  # noqa: B023
                    time.sleep(0.01)
            answer = clerk.post(f"/api/cases/{quote(CASE)}/catalogue", json=body)  # noqa: B023
            results["correction"] = (answer.status_code, answer.json())  # noqa: B023

        threads = [threading.Thread(target=correct), threading.Thread(target=submit)]
        if when == "correction first":
            threads[0].start()
            time.sleep(0.3)  # the clerk's request is under way when the lawyer's upload arrives
            threads[1].start()
        else:
            for thread in threads:
                thread.start()
        for thread in threads:
            thread.join(timeout=600)
        status, answer = results["correction"]  # type: ignore[misc]
        corrections.append((seen["version"], str(body["action"]), status, answer))
        job_id = str(results["job"])
        while (job := queue.job(job_id)) is not None and (job.state not in FINAL or job.owner is not None):
            time.sleep(0.1)  # until its outcome is recorded and audited (the worker lets go of it then)
        assert job is not None and job.state == "accepted", (when, job)
        filed[job_id] = sha256_file(paper)
        print(f"round {round_} ({when}): correction on v{seen['version']} → {status} {answer}; "
              f"submission → v{job.version}")

    versions = published_versions(store, case)
    assert versions == list(range(1, versions[-1] + 1))
    entries = list(AuditLog(store).entries())
    publications = [e.detail["version"] for e in entries if e.case == case.normalized
                    and e.action in ("publish", "recatalogue")]
    assert sorted(publications) == versions  # one publication per version number, none lost or doubled
    latest = read_manifest(store, case)
    sources = [d["source_sha256"] for d in latest.documents]
    assert all(sources.count(sha) == 1 for sha in filed.values())  # every filing is in the dossier, once
    accepted = {e.detail["job"]: e.detail["version"] for e in entries if e.action == "submission_accepted"}
    assert set(accepted) == set(filed)

    made = 0
    for seen_version, action, status, answer in corrections:
        if status == 200:  # made on the version the clerk looked at: its manifest grows from that one
            made += 1
            manifest = read_manifest(store, case, int(answer["version"]))  # type: ignore[call-overload]
            assert manifest.provenance["correction"]["action"] == action
            before = read_manifest(store, case, manifest.version - 1)
            assert before.version == seen_version, (seen_version, answer)
            assert len(manifest.catalogue) == len(before.catalogue) + (1 if action == "split" else -1)
        else:
            assert status == 409 and any(r.fullmatch(str(answer["detail"])) for r in REFUSALS), answer
    assert made == sum(1 for e in entries if e.action == "recatalogue")
    print("corrections made:", made, "of", len(corrections))

    report = verify_case(store, case, trust_roots(settings))
    assert report["valid"], report["problems"]
    assert AuditLog(store).verify() == []
    assert orphans(store, case) == []  # nothing sealed that no version names


def test_a_submission_that_a_correction_at_a_terminal_overtakes_is_bound_again(tmp_path: Path) -> None:
    """``edossier catalogue`` at a terminal holds nothing in the server's queue: here it publishes the version
    a lawyer's submission was about to write.  The submission is bound again onto the corrected version."""
    settings = filed_case(tmp_path)
    case = CaseNumber.parse(CASE)
    complaint = catalogue_rows(CASE, settings)["documents"][0]
    clerk = settings.model_copy(update={"user": "clerk1"})
    correction = Correction("split", complaint["number"], page=complaint["first_page"] + 1)
    store = StoreWithWriterAhead(settings.data_dir / "store", lambda: correct_catalogue(CASE, correction, clerk,
                                                                                          store=store))
    paper = text_pdf(tmp_path / "evidence.pdf", ["证据材料\n借款合同及转账记录。"])
    with TestClient(create_app(settings, store)) as app:
        lawyer = app
        me = lawyer.post("/api/session", json={"user": "lawyer1", "password": NEW_PASSWORD})
        lawyer.headers["X-CSRF-Token"] = me.json()["csrf"]
        answer = lawyer.post(f"/api/cases/{quote(CASE)}/submissions", data={"doc_type": "其他"},
                             files={"files": ("证据.pdf", paper.read_bytes())})
        assert answer.status_code == 202, answer.text
        while (job := lawyer.get(f"/api/submissions/{answer.json()['id']}").json())["state"] not in FINAL:
            time.sleep(0.1)
    assert store.ahead is None  # the correction did go first
    assert (job["state"], job["state_name"], job["version"]) == ("accepted", "已收入", 3), job
    corrected, latest = read_manifest(store, case, 2), read_manifest(store, case, 3)
    assert corrected.provenance["correction"]["action"] == "split" and len(corrected.catalogue) == 3
    assert [e["title"] for e in latest.catalogue[:3]] == [e["title"] for e in corrected.catalogue]
    assert [d["source_sha256"] for d in latest.documents].count(sha256_file(paper)) == 1
    assert verify_case(store, case, trust_roots(settings))["valid"]
    assert AuditLog(store).verify() == []
    # what a writer outside the server's hold still costs: the first try's signed PDF, which no version names
    # (``edossier fixity --orphans`` lists it)
    left = orphans(store, case)
    assert len(left) == 1 and left[0].startswith(f"cases/{case.key}/versions/000002/dossier-"), left
