"""Commands that publish a case's next version at a terminal take their turn with the reader's submissions.

``edossier process``, ``scan``, ``watch`` and ``archive`` (and ``catalogue``,
tests/pipeline/test_recatalogue.py) hold the case in the submission queue of
their data folder while they publish, as the reader's corrections do.  Every
test runs the real CLI in a child process against the real queue (the account
database a server leaves in the data folder); the submission a test makes
"being processed" is a real row of that queue, admitted, claimed and past its
check, as a server's worker leaves it.

To look at a command while it holds its case, its first input is a named pipe:
the command takes the hold, then blocks reading that input until the test
writes to it (or kills the command), so what happens meanwhile does not depend
on how fast the machine is.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from bench.pagegen import text_pdf
from edossier.casenumber import CaseNumber
from edossier.config import Settings, load_settings
from edossier.pipeline.batch.sqlite_broker import consumer_owner
from edossier.storage import open_store
from edossier.storage.manifest import latest_version
from edossier.web.accounts import accounts_path, open_accounts
from edossier.web.submission_queue import SMALL, Job, JobQueue, new_owner
from tests.edossier_cli import run, start, stored_files
from tests.ingest.scan_pages import cover_page, sample_page
from tests.scanners.escl_server import EsclTestServer
from tests.web.web_dossiers import COMPLAINT

pytestmark = pytest.mark.timeout(900)

CASE = "（2024）浙0102民初900号"
NORMAL = CaseNumber.parse(CASE).normalized
CLERK = "clerk-zhou"
REPLY = ["民事答辩状\n答辩人：李四，男，1980年2月2日出生。\n答辩意见：原告所述借款已于2023年12月归还，请求驳回原告的诉讼请求。"]
LEASE_S = 2.0
"""The hold's lease in the commands a test watches while they hold: renewed every 0.5 s."""
BUSY = f"case {NORMAL}: a submission of the case is being processed; 本案有新提交的材料正在收入卷宗"


def _process(data: Path, *inputs: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return run(["process", *map(str, inputs), "--case", CASE, "--json"], data, USER=CLERK, **env)


def _queue(data: Path) -> tuple[Settings, JobQueue]:
    """The reader's queue in DATA, as a server leaves it (created if no server ran there yet)."""
    settings = load_settings(data_dir=data)
    return settings, JobQueue(accounts_path(settings))


def _processing(queue: JobQueue, settings: Settings, job_id: str) -> str:
    """A lawyer's submission of the case admitted, claimed and past its check (``running``); its worker."""
    worker = new_owner(consumer_owner())
    queue.admit(Job(job_id, "lawyer-wang", NORMAL, None, ["a.pdf"], [], 1, 1000, SMALL), settings.web)
    assert queue.claim(SMALL, worker) is not None and queue.passed_check(job_id, worker)
    return worker


def _processed(queue: JobQueue, job_id: str, worker: str) -> None:
    assert queue.finish(job_id, worker, "accepted")
    queue.audited(job_id)


def _holds(queue: JobQueue) -> list[tuple[str, str, str]]:
    return queue.db.execute("SELECT case_no, owner, act FROM case_holds").fetchall()


def _latest(data: Path) -> int:
    settings = load_settings(data_dir=data)
    return latest_version(open_store(settings.store_uri, settings.storage), CaseNumber.parse(CASE))


def _error(result: subprocess.CompletedProcess[str]) -> list[str]:
    return result.stderr.strip().splitlines()


def _held_by(queue: JobQueue, child: subprocess.Popen[bytes], output: Path) -> tuple[str, str, str]:
    """The hold CHILD took, once it appears (the child must still be running)."""
    deadline = time.monotonic() + 120
    while True:
        mine = [h for h in _holds(queue) if f":{child.pid}:" in h[1]]
        if mine:
            return mine[0]
        assert child.poll() is None, output.read_text("utf-8")
        assert time.monotonic() < deadline, "the command never held its case"
        time.sleep(0.05)


def _verified(data: Path) -> list[int]:
    report = json.loads(run(["verify", "--case", CASE, "--json"], data).stdout)
    assert report["valid"], report["problems"]
    return list(report["versions"])


def test_process_at_a_terminal_takes_its_turn_and_a_killed_one_lets_go(tmp_path: Path) -> None:
    """``edossier process`` is refused (exit 13, one line, the reader's sentence, nothing stored, no hold left)
    while a submission of the case is processed or a correction holds it.  While it publishes, the reader and
    ``catalogue`` are refused and no submission of the case starts; its hold outlives two of its leases because it
    renews it.  Killed with SIGKILL, it cannot let go, and the next claim or hold does it for it (its pid is gone);
    a command that ends on an error of its own leaves no hold either."""
    data = tmp_path / "data"
    complaint = text_pdf(tmp_path / "complaint.pdf", COMPLAINT)
    reply = text_pdf(tmp_path / "reply.pdf", REPLY)
    first = _process(data, complaint)
    assert first.returncode == 0 and json.loads(first.stdout)["version"] == 1, first.stderr
    settings = load_settings(data_dir=data)
    assert not accounts_path(settings).exists()  # no reader ever ran here: no queue is made
    settings, queue = _queue(data)
    stored = stored_files(data)

    worker = _processing(queue, settings, "job-1")
    refused = _process(data, reply)
    assert refused.returncode == 13
    assert _error(refused) == [f"edossier: error: {BUSY}，请稍候再收入"]
    assert stored_files(data) == stored and _holds(queue) == []
    _processed(queue, "job-1", worker)

    reader = new_owner(consumer_owner())  # a clerk correcting the catalogue in the reader
    assert queue.hold_case(NORMAL, reader, "correction", 60) is None
    held = _process(data, reply)
    assert held.returncode == 13
    assert _error(held) == [f"edossier: error: case {NORMAL}: another correction of the case is being published; "
                            "本案的编目正在由他人更正，请稍候再收入"]
    queue.release_case(NORMAL, reader)

    fax = tmp_path / "传真.pdf"
    os.mkfifo(fax)
    output = tmp_path / "process.txt"
    child = start(["process", str(fax), str(reply), "--case", CASE], data, output, USER=CLERK,
                  EDOSSIER_WEB__CASE_HOLD_LEASE_S=str(LEASE_S))
    try:
        hold = _held_by(queue, child, output)
        taken = time.monotonic()
        assert hold[0] == NORMAL and hold[2] == "filing"
        corrected = run(["catalogue", CASE, "--retitle", "1", "起诉状"], data, USER=CLERK)
        assert corrected.returncode == 13
        assert _error(corrected) == [f"edossier: error: case {NORMAL}: new material is being filed into the case "
                                     "elsewhere; 本案正在由他人收入新材料，请稍候打开最新版本后再更正"]
        time.sleep(max(0.0, taken + 2 * LEASE_S + 0.5 - time.monotonic()))
        assert queue.hold_case(NORMAL, reader, "correction", 60) == "filing"  # renewed: it outlived two leases
        worker = new_owner(consumer_owner())
        queue.admit(Job("job-2", "lawyer-wang", NORMAL, None, ["b.pdf"], [], 1, 1000, SMALL), settings.web)
        assert queue.claim(SMALL, worker) is not None and not queue.passed_check("job-2", worker)  # checked, waits
        assert queue.claim(SMALL, worker) is None
        assert child.poll() is None
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=60) == -signal.SIGKILL
    finally:
        child.kill()
        child.wait()
    assert _holds(queue) == [hold]  # a killed command cannot let go of its case itself…
    job = queue.claim(SMALL, worker)  # …the next claim sees its pid gone
    assert job is not None and (job.id, job.state) == ("job-2", "running")
    assert _holds(queue) == [] and _latest(data) == 1
    _processed(queue, "job-2", worker)

    child = start(["process", str(fax), "--case", CASE], data, output, USER=CLERK)
    try:
        _held_by(queue, child, output)
        with open(fax, "wb"):  # an empty input: refused by intake while the case is held
            pass
        assert child.wait(timeout=300) == 3, output.read_text("utf-8")
    finally:
        child.kill()
        child.wait()
    assert "is empty (0 bytes)" in output.read_text("utf-8") and _holds(queue) == []

    done = _process(data, reply)
    assert done.returncode == 0 and json.loads(done.stdout)["version"] == 2, done.stderr
    assert _holds(queue) == [] and _verified(data) == [1, 2]


def test_a_hold_left_by_a_command_on_another_machine_lapses_with_its_lease(tmp_path: Path) -> None:
    """A hold whose owner runs on another host (or in another container) cannot be judged by its pid: it counts
    while its holder renews it, and is dropped once its lease has run out unrenewed (the holder crashed there)."""
    data = tmp_path / "data"
    complaint = text_pdf(tmp_path / "complaint.pdf", COMPLAINT)
    _settings, queue = _queue(data)
    elsewhere = "registry-pc:4242:0badc0de"
    queue.db.execute("INSERT INTO case_holds (case_no, owner, since, act, expires) VALUES (?, ?, ?, 'filing', ?)",
                     (NORMAL, elsewhere, time.time(), time.time() + 600))
    refused = _process(data, complaint)
    assert refused.returncode == 13
    assert _error(refused) == [f"edossier: error: case {NORMAL}: new material is being filed into the case "
                               "elsewhere; 本案正在由他人收入新材料，请稍候再收入"]
    queue.db.execute("UPDATE case_holds SET expires = ? WHERE owner = ?", (time.time() - 1, elsewhere))
    done = _process(data, complaint)
    assert done.returncode == 0 and json.loads(done.stdout)["version"] == 1, done.stderr
    assert _holds(queue) == []

    # a hold with no lease (as a server from before leases takes it) lapses an hour after it was taken
    reader = new_owner(consumer_owner())
    for since, left in ((time.time() - 60, "correction"), (time.time() - 3700, None)):
        queue.db.execute("INSERT INTO case_holds (case_no, owner, since) VALUES (?, ?, ?)", (NORMAL, elsewhere, since))
        assert queue.hold_case(NORMAL, reader, "correction", 60) == left
        queue.db.execute("DELETE FROM case_holds")


def test_a_hot_folder_waits_its_turn_while_a_submission_is_processed(tmp_path: Path) -> None:
    """``edossier watch`` holds the case only while it files a file into it; while a submission of the case is
    being processed it says so once and waits (a refusal would send a good file to failed/), then files it."""
    data = tmp_path / "data"
    assert _process(data, text_pdf(tmp_path / "complaint.pdf", COMPLAINT)).returncode == 0
    settings, queue = _queue(data)
    worker = _processing(queue, settings, "job-1")
    inbox = tmp_path / "inbox"
    text_pdf(inbox / "答辩状.pdf", REPLY)
    output = tmp_path / "watch.txt"
    child = start(["watch", f"folder:{inbox}", "--case", CASE, "--once"], data, output, USER=CLERK,
                  EDOSSIER_SCAN__FOLDER_STABLE_S="0")
    try:
        deadline = time.monotonic() + 120
        while "waiting its turn" not in output.read_text("utf-8"):
            assert child.poll() is None, output.read_text("utf-8")  # the old watcher filed it beside the job
            assert time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(5)  # it keeps waiting, and says so once
        assert child.poll() is None and _latest(data) == 1 and (inbox / ".claimed" / "答辩状.pdf").exists()
        assert [line for line in output.read_text("utf-8").splitlines() if "waiting" in line] == [
            f"waiting its turn: {BUSY}，请稍候再收入"]
        _processed(queue, "job-1", worker)
        assert child.wait(timeout=300) == 0, output.read_text("utf-8")
    finally:
        child.kill()
        child.wait()
    assert _latest(data) == 2 and (inbox / "done" / "答辩状.pdf").exists() and _holds(queue) == []
    assert _verified(data) == [1, 2]


def test_a_scan_refused_while_a_submission_is_processed_is_filed_with_resume(tmp_path: Path) -> None:
    """``edossier scan`` from a scanner is refused after scanning (exit 13, the reader's sentence and the way on):
    the spooled batch is filed by ``--resume`` without the scanner once the case is free."""
    data = tmp_path / "data"
    pages = tmp_path / "pages"
    pages.mkdir()
    feed = [cover_page(pages, "c", CASE, "授权委托书", pages=1), sample_page(pages, "p", "02-power-of-attorney.jpg")]
    settings, queue = _queue(data)
    worker = _processing(queue, settings, "job-1")
    env = {"USER": CLERK, "EDOSSIER_SCAN__RESOLUTION": "75", "EDOSSIER_LIMITS__RASTER_DPI": "100",
           "EDOSSIER_OCR__THREADS": "1"}
    with EsclTestServer(feed) as server:
        device = f"escl:{server.url}"
        refused = run(["scan", "--device", device, "--case", CASE], data, **env)
    assert refused.returncode == 13, refused.stderr
    assert _error(refused)[-1] == (
        f"edossier: error: case {NORMAL}: a submission of the case is being processed (the scanned batch is kept: "
        "add --resume to file it without scanning again); 本案有新提交的材料正在收入卷宗，请稍候再收入")
    assert _latest(data) == 0 and _holds(queue) == []
    _processed(queue, "job-1", worker)
    resumed = run(["scan", "--device", device, "--case", CASE, "--resume", "--json"], data, **env)  # scanner gone
    assert resumed.returncode == 0, resumed.stderr
    (result,) = json.loads(resumed.stdout)
    assert [v["version"] for v in result["versions"]] == [1] and result["pages_received"] == 2
    assert _holds(queue) == []


def test_archiving_at_a_terminal_takes_its_turn(tmp_path: Path) -> None:
    """``edossier archive CASE`` is refused while a submission of the case is processed; ``archive renew`` does not
    hold (or report) a case that was never archived; a refusal for another reason leaves no hold.  (``archive
    renew`` on a busy archived case: tests/pipeline/test_archive.py, which has the test PKI's timestamps.)"""
    data = tmp_path / "data"
    assert _process(data, text_pdf(tmp_path / "complaint.pdf", COMPLAINT)).returncode == 0
    settings = load_settings(data_dir=data)
    open_accounts(settings).add("archivist-li", "archivist", "archivist-password-1")
    settings, queue = _queue(data)
    worker = _processing(queue, settings, "job-1")
    refused = run(["archive", CASE, "-o", str(tmp_path / "bag")], data, USER="archivist-li")
    assert refused.returncode == 13
    assert _error(refused) == [f"edossier: error: {BUSY}，请稍候再归档"]
    assert _holds(queue) == [] and not (tmp_path / "bag").exists()
    renewed = run(["archive", "renew"], data, USER="archivist-li")
    assert renewed.returncode == 0 and renewed.stdout.strip() == "nothing due", renewed.stderr
    _processed(queue, "job-1", worker)

    no_tsa = run(["archive", CASE, "-o", str(tmp_path / "bag")], data, USER="archivist-li")
    assert no_tsa.returncode == 2 and "timestamp authority" in no_tsa.stderr  # this test configures none
    assert _holds(queue) == [] and _latest(data) == 1
