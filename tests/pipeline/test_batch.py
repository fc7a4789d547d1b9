"""Batch conversion: the same dossiers on every broker, after a worker is SIGKILLed anywhere, and dead letters.

The default OCR engine (RapidOCR), real Redis and RabbitMQ (scripts/services starts them in CI), a
small rendered archive (bench.batch.make_archive: 2 cases, 2 documents each,
short texts at 1/4 of 300 dpi, so OCR is quick).  Faults are injected the way
OCRmyPDF's test plugins do: a worker process forked from the test replaces one
function (the OCR engine, bind_and_sign, manifest publishing) with one that
SIGKILLs its own process at that point; a fresh worker then finishes the batch.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.batch import make_archive
from tests.pipeline.machines import QUEUE

EDOSSIER = str(Path(sys.executable).parent / "edossier")
REDIS = "redis://127.0.0.1:6379/14"
RABBIT = "amqp://guest:guest@127.0.0.1:5672/%2F"
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
FORK = multiprocessing.get_context("fork")


def _env(data: Path) -> dict[str, str]:
    return {
        **os.environ,
        "EDOSSIER_DATA_DIR": str(data),
        "EDOSSIER_OCR__JOBS": "1",
        # one thread per worker process, whichever runs it: bfloat16 results (AMX CPUs) depend on the thread layout
        "EDOSSIER_OCR__THREADS": "1",
        "EDOSSIER_BATCH_HEARTBEAT_MS": "2000",
        "EDOSSIER_BATCH_MAINTENANCE_CHANCE": "1000000",
        "OMP_THREAD_LIMIT": "1",
        "EDOSSIER_CONFIG": str(data / "no-such-config.toml"),
        "EDOSSIER_BATCH_QUEUE": QUEUE,  # other runs may share the broker: this run's messages are its own
    }


def _cli(args: list[str], data: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([EDOSSIER, *args], env=_env(data), capture_output=True, text=True, timeout=300)
    if check and done.returncode != 0:
        raise AssertionError(f"edossier {' '.join(args)} exited {done.returncode}: {done.stderr[-3000:]}")
    return done


def _essence(store: Path) -> dict[str, list[dict]]:
    """Each case's manifests minus what differs per run: time, local paths, signature bytes, audit head."""
    result: dict[str, list[dict]] = {}
    for path in sorted(store.glob("cases/*/versions/*/manifest.json")):
        manifest = json.loads(path.read_text())
        docs = [
            {**doc, "pages": [{k: v for k, v in p.items() if k not in ("image", "recognition_image", "pdf")}
                              for p in doc["pages"]]}
            for doc in manifest["documents"]
        ]
        result.setdefault(manifest["case"], []).append({
            "version": manifest["version"],
            "objects": sorted((o["key"], o["sha256"], o["role"]) for o in manifest["objects"] if o["role"] != "dossier"),
            "documents": docs,
            "catalogue": manifest["catalogue"],
            "provenance": {k: v for k, v in manifest["provenance"].items() if k != "audit_head"},
        })
    return result


def _published(data: Path) -> Counter[str]:
    """Audit entries 'publish' per case: the proof each case was bound and published once."""
    counts: Counter[str] = Counter()
    for path in (data / "store" / "audit").glob("*.json"):
        entry = json.loads(path.read_text())
        if entry["action"] == "publish":
            counts[entry["case"]] += 1
    return counts


@pytest.fixture(scope="session")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_archive(tmp_path_factory.mktemp("batch"), cases=2, pages_per_case=3, scale=0.25, body_chars=60)


@pytest.fixture(scope="session")
def reference(archive: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict]]:
    """A clean in-process run with 2 worker processes: what every other run must reproduce."""
    data = tmp_path_factory.mktemp("clean")
    done = _cli(["batch", str(archive.parent / "archive"), "--cases", str(archive), "--workers", "2", "--json"], data)
    status = json.loads(done.stdout)
    assert status["cases"] == {"done": 2, "failed": 0, "pending": 0}
    assert status["pages"]["done"] == status["pages"]["total"] == 6
    essence = _essence(data / "store")
    assert len(essence) == 2 and all(len(v) == 1 for v in essence.values())
    assert _published(data) == Counter({case: 1 for case in essence})
    # Rerunning a finished batch redoes nothing: no second version, no second publication.
    _cli(["batch", str(archive.parent / "archive"), "--cases", str(archive), "--workers", "1", "--json"], data)
    assert _essence(data / "store") == essence
    assert _published(data) == Counter({case: 1 for case in essence})
    return essence


def _start(archive: Path, data: Path, broker: str, state: str | None = None) -> dict:
    extra = ["--state", state] if state else []
    return json.loads(_cli(["batch", str(archive.parent / "archive"), "--cases", str(archive), "--broker", broker,
                            "--json", *extra], data).stdout)


def _start_here(archive: Path, data: Path, broker: str, case_map: Path | None = None) -> dict:
    """As `edossier batch --broker` does, without starting another interpreter (the CLI path has its own tests).

    CASE_MAP: the archive's files mapped otherwise (the archive's own map by default)."""
    from edossier.config import load_settings
    from edossier.pipeline.batch.run import start_batch

    settings = load_settings(data_dir=data, ocr={"jobs": 1})
    batch, state = start_batch(archive.parent / "archive", case_map or archive, settings, broker)
    return {"batch": batch, "state": state.uri}


def _wait(started: dict, timeout: float = 240) -> dict:
    from edossier.pipeline.batch.state import batch_status, open_state

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = batch_status(open_state(started["state"]), started["batch"])
        if status["finished"]:
            return status
        time.sleep(0.3)
    raise AssertionError(f"batch {started['batch']} did not finish in {timeout} s")


def _finished(started: dict, *workers: multiprocessing.Process) -> dict:
    """The batch's status once it has finished; WORKERS stopped however the wait ends."""
    try:
        return _wait(started)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.join(60)


def _worker(broker: str, data: Path, fault: str | None = None, command: list[str] | None = None
            ) -> multiprocessing.Process:
    process = FORK.Process(target=_worker_main, args=(broker, str(data), fault, command), daemon=True)
    process.start()
    return process


def _worker_main(broker: str, data: str, fault: str | None, command: list[str] | None) -> None:
    os.environ.update(_env(Path(data)))
    if fault:
        _install_fault(fault, Path(data), command)
    from edossier.pipeline.batch.run import run_worker

    run_worker(broker)


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _install_fault(point: str, data: Path, command: list[str] | None = None) -> None:
    """Replace one step with one that SIGKILLs this worker at that point (test double, this process only).

    ``overtaken-*``: runs the terminal COMMAND (``edossier process`` of the same case) once, there, so that
    another publication of the case lands between the batch fixing its version and publishing it: ``fixed``
    right after the version is fixed, ``binding`` as binding starts.  ``during-publish``: runs COMMAND as the
    batch publishes and keeps what it answered in DATA/during-publish.json; the batch's log goes to
    DATA/worker.log.
    """
    from edossier.ocr.rapid import RapidOcrEngine
    from edossier.pipeline import steps
    from edossier.pipeline.batch.state import BatchState

    def run_command() -> subprocess.CompletedProcess[str]:
        assert command is not None
        return _cli(command, data, check=False)

    if point == "ocr":
        real_recognize = RapidOcrEngine.recognize
        calls = []

        def recognize(self, image):  # type: ignore[no-untyped-def]
            calls.append(image)
            if len(calls) == 3:  # the third page: two already sealed, the rest not yet read
                _die()
            return real_recognize(self, image)

        RapidOcrEngine.recognize = recognize  # type: ignore[method-assign]
    elif point == "bind":
        real_sign = steps.sign_volume

        def sign_volume(*args, **kwargs):  # type: ignore[no-untyped-def]
            real_sign(*args, **kwargs)  # signed, but killed before anything is sealed
            _die()

        steps.sign_volume = sign_volume
    elif point == "publish":
        real_publish = steps.publish_manifest

        def publish(store, case, version, objects, *args, **kwargs):  # type: ignore[no-untyped-def]
            def sealed_then_killed():  # type: ignore[no-untyped-def]
                for i, item in enumerate(objects):
                    if i == 3:  # some objects sealed (the PDF among them), no manifest
                        _die()
                    yield item

            return real_publish(store, case, version, sealed_then_killed(), *args, **kwargs)

        steps.publish_manifest = publish
    elif point == "recorded":
        real_step = steps.publish

        def published_then_killed(*args, **kwargs):  # type: ignore[no-untyped-def]
            real_step(*args, **kwargs)  # the manifest is written: the version is published
            _die()  # before the batch state records the case done

        steps.publish = published_then_killed
    elif point in ("overtaken-fixed", "overtaken-binding"):
        ran: list[subprocess.CompletedProcess[str]] = []

        def overtake() -> None:
            if not ran:
                ran.append(run_command())
                assert ran[0].returncode == 0, ran[0].stderr[-3000:]

        if point == "overtaken-fixed":
            real_fix = BatchState.case_version

            def case_version(self, *args, **kwargs):  # type: ignore[no-untyped-def]
                fixed = real_fix(self, *args, **kwargs)
                overtake()
                return fixed

            BatchState.case_version = case_version  # type: ignore[method-assign]
        else:
            real_bind = steps.bind

            def bind(*args, **kwargs):  # type: ignore[no-untyped-def]
                overtake()
                return real_bind(*args, **kwargs)

            steps.bind = bind
    elif point == "during-publish":
        import logging

        batch_log = logging.getLogger("edossier.batch")
        batch_log.addHandler(logging.FileHandler(data / "worker.log", encoding="utf-8"))
        batch_log.setLevel(logging.INFO)
        real_step = steps.publish

        def publish_step(*args, **kwargs):  # type: ignore[no-untyped-def]
            done = run_command()
            (data / "during-publish.json").write_text(json.dumps({"rc": done.returncode, "stderr": done.stderr}),
                                                      encoding="utf-8")
            return real_step(*args, **kwargs)

        steps.publish = publish_step
    else:
        raise ValueError(point)


def _flush(broker: str) -> None:
    from edossier.pipeline.batch.brokers import open_broker

    os.environ["EDOSSIER_BATCH_QUEUE"] = QUEUE  # the workers forked from here, and the status polls, use it too
    open_broker(broker).flush_all()


def _redis_up() -> bool:
    return subprocess.run(["redis-cli", "-n", "14", "ping"], capture_output=True, text=True).stdout.strip() == "PONG"


def _port_open(port: int) -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return False
    return True


needs_redis = pytest.mark.skipif(not _redis_up(), reason="Redis is not running on 127.0.0.1:6379 "
                                 "(scripts/services/redis.sh starts it)")
needs_rabbit = pytest.mark.skipif(not _port_open(5672), reason="RabbitMQ is not running on 127.0.0.1:5672 "
                                  "(scripts/services/rabbitmq.sh starts it)")
EVERY_BROKER = [pytest.param(REDIS, marks=needs_redis, id="redis"),
                pytest.param(RABBIT, marks=needs_rabbit, id="rabbitmq")]


@pytest.mark.parametrize("broker", EVERY_BROKER)
def test_same_dossiers_on_every_broker(broker: str, archive: Path, reference: dict, tmp_path: Path) -> None:
    _flush(broker)
    started = _start(archive, tmp_path, broker)
    worker = _worker(broker, tmp_path)
    status = _finished(started, worker)
    assert status["cases"] == {"done": 2, "failed": 0, "pending": 0}
    assert _essence(tmp_path / "store") == reference
    assert _published(tmp_path) == Counter({case: 1 for case in reference})


@pytest.fixture
def postgres_state() -> Iterator[str]:
    """A batch state in its own PostgreSQL schema of database test (dropped afterwards)."""
    import psycopg

    schema = f"edossier_batch_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {schema}")
    yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    with psycopg.connect(POSTGRES, autocommit=True) as db:
        db.execute(f"DROP SCHEMA {schema} CASCADE")


@needs_redis
@pytest.mark.skipif(not _port_open(5432), reason="PostgreSQL is not running on 127.0.0.1:5432 "
                    "(scripts/services/postgresql.sh starts it)")
def test_state_in_postgresql_for_many_machines(archive: Path, reference: dict, tmp_path: Path,
                                               postgres_state: str) -> None:
    _flush(REDIS)
    started = _start(archive, tmp_path, REDIS, postgres_state)
    assert started["state"] == postgres_state
    workers = [_worker(REDIS, tmp_path / f"machine-{n}") for n in range(2)]  # separate data folders
    status = _finished(started, *workers)
    assert status["cases"] == {"done": 2, "failed": 0, "pending": 0}
    assert _essence(tmp_path / "store") == reference


@needs_redis
@pytest.mark.parametrize("point", ["ocr", "bind", "publish", "recorded"])
def test_worker_killed_mid_batch_then_replaced(point: str, archive: Path, reference: dict, tmp_path: Path) -> None:
    _flush(REDIS)
    started = _start_here(archive, tmp_path, REDIS)
    doomed = _worker(REDIS, tmp_path, fault=point)
    doomed.join(180)
    assert doomed.exitcode == -signal.SIGKILL, f"the worker was not killed at {point} (exit {doomed.exitcode})"
    worker = _worker(REDIS, tmp_path)
    status = _finished(started, worker)
    assert status["cases"] == {"done": 2, "failed": 0, "pending": 0}, status["failed"]
    assert status["pages"]["done"] == status["pages"]["total"] == 6
    assert _essence(tmp_path / "store") == reference  # no page lost or doubled, same OCR, one version each
    assert _published(tmp_path) == Counter({case: 1 for case in reference})


OVERTAKEN = "（2024）浙0102民初3000号"


@needs_redis
@pytest.mark.parametrize("when", ["fixed", "binding"])
def test_a_case_overtaken_by_another_publication_is_bound_onto_it(when: str, archive: Path, tmp_path: Path) -> None:
    """Between the batch fixing a case's version and publishing it, `edossier process` at a terminal publishes that
    version (WHEN: right after it is fixed, or as binding starts).  The batch binds again onto it: nothing lost.

    The terminal files another case's complaint and one file the batch brings too, which is bound only once.  On the
    old code the batch took the other publication for its own and finished with its judgment never published.
    """
    from edossier.casenumber import CaseNumber
    from edossier.storage import open_store
    from edossier.storage.fixity import orphans
    from edossier.storage.manifest import published_versions, read_manifest
    from edossier.types import sha256_file

    source = archive.parent / "archive"
    case_map = tmp_path / "one-case.csv"
    case_map.write_text(f"path,case\ncase-000,{OVERTAKEN}\n", encoding="utf-8")
    at_terminal = [source / "case-001" / "complaint.tif", source / "case-000" / "complaint.tif"]
    _flush(REDIS)
    started = _start_here(archive, tmp_path, REDIS, case_map)
    worker = _worker(REDIS, tmp_path, f"overtaken-{when}",
                     ["process", *map(str, at_terminal), "--case", OVERTAKEN, "--json"])
    status = _finished(started, worker)
    assert status["cases"] == {"done": 1, "failed": 0, "pending": 0}, status["failed"]

    store = open_store((tmp_path / "store").resolve().as_uri())
    case = CaseNumber.parse(OVERTAKEN)
    assert published_versions(store, case) == [1, 2]
    theirs, ours = (read_manifest(store, case, version) for version in (1, 2))
    assert "batch" not in theirs.provenance and ours.provenance["batch"] == started["batch"]
    assert ours.provenance["inputs"] == ["judgment.tif"]  # the complaint the terminal filed too is not bound again
    kept = [d["source_sha256"] for d in theirs.documents]
    assert [d["source_sha256"] for d in ours.documents][:len(kept)] == kept  # version 1's documents, kept first
    assert {d["source_sha256"] for d in ours.documents} == {
        sha256_file(path) for path in (*at_terminal, source / "case-000" / "judgment.tif")}
    assert orphans(store) == []
    report = json.loads(_cli(["verify", "--case", OVERTAKEN, "--json"], tmp_path).stdout)
    assert report["valid"] and report["versions"] == [1, 2]
    assert _published(tmp_path) == Counter({case.normalized: 2})


@needs_redis
def test_the_batch_takes_its_turn_in_the_readers_queue(archive: Path, tmp_path: Path) -> None:
    """Where the worker's data folder has the reader's queue, the batch holds the case while it binds and publishes.

    It waits while a clerk's correction holds the case (nothing published meanwhile), and `edossier process` of
    the same case at a terminal is refused (exit 13) while the batch publishes.
    """
    from edossier.casenumber import CaseNumber
    from edossier.pipeline.batch.sqlite_broker import consumer_owner
    from edossier.storage import open_store
    from edossier.storage.manifest import latest_version, published_versions
    from edossier.web.submission_queue import JobQueue, new_owner, retire_owner

    source = archive.parent / "archive"
    case = CaseNumber.parse("（2024）浙0102民初3001号")
    case_map = tmp_path / "one-case.csv"
    case_map.write_text(f"path,case\ncase-000,{case.normalized}\n", encoding="utf-8")
    store = open_store((tmp_path / "store").resolve().as_uri())
    queue = JobQueue(tmp_path / "web" / "accounts.sqlite3")  # where the reader keeps it in this data folder
    clerk = new_owner(consumer_owner())
    assert queue.hold_case(case.normalized, clerk, "correction", 600) is None  # a correction in the reader
    log = tmp_path / "worker.log"
    _flush(REDIS)
    started = _start_here(archive, tmp_path, REDIS, case_map)
    worker = _worker(REDIS, tmp_path, "during-publish",
                     ["process", str(source / "case-001" / "complaint.tif"), "--case", case.normalized])
    try:
        deadline = time.monotonic() + 240
        while "waiting its turn" not in (log.read_text(encoding="utf-8") if log.exists() else ""):
            assert latest_version(store, case) == 0, "the batch published while a correction held the case"
            assert worker.is_alive() and time.monotonic() < deadline, "the batch never waited for the held case"
            time.sleep(0.3)
        assert latest_version(store, case) == 0
        queue.release_case(case.normalized, clerk)
        status = _wait(started)
    finally:
        retire_owner(clerk)
        worker.terminate()
        worker.join(60)
    assert status["cases"] == {"done": 1, "failed": 0, "pending": 0}, status["failed"]
    assert "本案的编目正在由他人更正，请稍候再收入" in log.read_text(encoding="utf-8")
    during = json.loads((tmp_path / "during-publish.json").read_text(encoding="utf-8"))
    assert during["rc"] == 13 and "本案正在由他人收入新材料，请稍候再收入" in during["stderr"], during
    assert published_versions(store, case) == [1]
    another = new_owner(consumer_owner())
    assert queue.hold_case(case.normalized, another, "correction", 60) is None  # the batch let go
    queue.release_case(case.normalized, another)
    retire_owner(another)


def test_corrupt_file_is_dead_lettered_and_the_batch_goes_on(archive: Path, tmp_path: Path) -> None:
    source = archive.parent / "archive"
    (source / "broken").mkdir(exist_ok=True)
    (source / "broken" / "scan.pdf").write_bytes(b"%PDF-1.7\n this is not a PDF at all")
    case_map = tmp_path / "cases.csv"
    case_map.write_text("path,case,type\ncase-000/complaint.tif,（2024）浙0102民初1000号,起诉状\n"
                        "broken,（2024）浙0102民初2000号,\n", encoding="utf-8")
    done = _cli(["batch", str(source), "--cases", str(case_map), "--workers", "1", "--json"], tmp_path, check=False)
    assert done.returncode == 1, done.stderr[-2000:]
    status = json.loads(done.stdout)
    assert status["cases"] == {"done": 1, "failed": 1, "pending": 0}
    [failure] = status["failed"]
    assert failure["case"] == "（2024）浙0102民初2000号" and "scan.pdf" in failure["reason"]
    assert failure["actor"] == "read_material"
    assert list(_essence(tmp_path / "store")) == ["（2024）浙0102民初1000号"]
    text = _cli(["status", status["batch"]], tmp_path).stdout
    assert "1 done, 1 failed, 0 pending" in text and "scan.pdf" in text


def _drop_connections(broker: str, stop: threading.Event) -> int:
    """Cut every client connection of the broker, again and again, until STOP (the server's own commands)."""
    drops = 0
    while not stop.wait(1.5):
        if broker.startswith("redis"):
            subprocess.run(["redis-cli", "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"],
                           capture_output=True, timeout=30)
        else:
            subprocess.run(["rabbitmqctl", "close_all_connections", "fault injected by the test suite"],
                           capture_output=True, timeout=60)
        drops += 1
    return drops


@pytest.mark.parametrize("broker", EVERY_BROKER)
def test_broker_dropping_connections_mid_batch(broker: str, archive: Path, reference: dict, tmp_path: Path) -> None:
    """The broker drops every connection repeatedly while a batch runs: it still finishes, same dossiers."""
    _flush(broker)
    started = _start(archive, tmp_path, broker)
    worker = _worker(broker, tmp_path)
    stop = threading.Event()
    drops: list[int] = []
    dropper = threading.Thread(target=lambda: drops.append(_drop_connections(broker, stop)))
    dropper.start()
    try:
        time.sleep(8)
        stop.set()
        dropper.join(120)
        status = _wait(started)
    finally:
        stop.set()
        worker.terminate()
        worker.join(60)
    assert drops and drops[0] >= 3
    assert status["cases"] == {"done": 2, "failed": 0, "pending": 0}
    assert _essence(tmp_path / "store") == reference
    assert _published(tmp_path) == Counter({case: 1 for case in reference})


def test_batch_grows_an_existing_case_by_a_signed_incremental_update(archive: Path, tmp_path: Path) -> None:
    """A batch that brings new files for a case already in the store appends them: version 1's bytes stay."""
    data = tmp_path / "grow"
    source = archive.parent / "archive"
    case = "（2024）浙0102民初1000号"
    _cli(["process", str(source / "case-000" / "complaint.tif"), "--case", case, "--json"], data)
    case_map = tmp_path / "judgment-only.csv"
    case_map.write_text(f"path,case\ncase-000/judgment.tif,{case}\n", encoding="utf-8")
    status = json.loads(_cli(["batch", str(source), "--cases", str(case_map), "--workers", "1", "--json"], data).stdout)
    assert status["cases"] == {"done": 1, "failed": 0, "pending": 0}

    versions = sorted((data / "store").glob("cases/*/versions/*/dossier-*.pdf"))
    assert [p.parent.name for p in versions] == ["000001", "000002"]
    first, second = (p.read_bytes() for p in versions)
    assert second.startswith(first) and len(second) > len(first)
    report = json.loads(_cli(["verify", "--case", case, "--json"], data).stdout)
    assert report["valid"] and report["versions"] == [1, 2]
    manifest = json.loads(next((data / "store").glob("cases/*/versions/000002/manifest.json")).read_text())
    # make_archive's judgment.tif holds its one titled page twice: cataloguing (classify.split = auto) reads two
    # judgments there, so version 2 holds the complaint and the judgment file's pages, whatever they are cut into
    documents = manifest["documents"]
    assert [entry["title"] for entry in manifest["catalogue"]] and documents[0]["title"] == "民事反诉状"
    assert sum(len(d["pages"]) for d in documents) == 3 and {d["classification"]["type"] for d in documents[1:]} == {"判决书"}


def test_blank_page_is_bound_not_failed(tmp_path: Path) -> None:
    """A blank duplex back in an archive file is flagged and bound with its document; there is nothing to OCR."""
    from PIL import Image, ImageSequence

    case_map = make_archive(tmp_path / "src", cases=1, pages_per_case=2, scale=0.25, body_chars=60)
    tiff = case_map.parent / "archive" / "case-000" / "complaint.tif"
    with Image.open(tiff) as image:
        frames = [frame.copy() for frame in ImageSequence.Iterator(image)]
    frames.append(Image.new("L", frames[0].size, 255))
    frames[0].save(tiff, save_all=True, append_images=frames[1:], compression="tiff_lzw", dpi=(75, 75))

    done = _cli(["batch", str(case_map.parent / "archive"), "--cases", str(case_map), "--workers", "1", "--json"],
                tmp_path / "data", check=False)
    status = json.loads(done.stdout)
    assert done.returncode == 0 and status["cases"]["done"] == 1, status["failed"]
    manifest = json.loads(next((tmp_path / "data" / "store").glob("cases/*/versions/000001/manifest.json")).read_text())
    complaint = next(d for d in manifest["documents"] if len(d["pages"]) == 2)
    assert "blank_page" in complaint["pages"][1]["flags"] and complaint["ocr"][1] is None


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _alive(pids: set[int]) -> set[int]:
    return {pid for pid in pids if Path(f"/proc/{pid}").exists()
            and (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z")}


@needs_redis
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_stopped_worker_leaves_no_child_behind(stop: signal.Signals, tmp_path: Path) -> None:
    """`edossier worker --processes 2` stopped or killed: its worker processes go too.

    One left behind would go on taking the broker's messages with the code it started with."""
    parent = subprocess.Popen([EDOSSIER, "worker", "--broker", "redis://127.0.0.1:6379/13", "--processes", "2"],
                              env=_env(tmp_path))
    children: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while len(children := _children(parent.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(children) == 2
        parent.send_signal(stop)
        parent.wait(60)
        deadline = time.monotonic() + 60
        while _alive(children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(children)
    finally:
        for pid in _alive(children):
            os.kill(pid, signal.SIGKILL)
        parent.kill()
