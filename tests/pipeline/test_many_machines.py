"""Many machines: one enqueuer and two workers sharing only the broker, PostgreSQL and S3, one killed twice.

Real services on both brokers (Redis, RabbitMQ), the batch state in PostgreSQL,
the store on Ceph RGW with object lock, the default OCR engine (RapidOCR).
Each "machine" is a process with a data folder of its own and its secrets in
its own environment.  Worker 1 is SIGKILLed while OCRing a page; worker 2 is
SIGKILLed right after sealing a signed dossier PDF, before the manifest; both
machines are then restarted and finish the batch.  The dossiers must equal
those ``edossier process`` makes of the same files (manifests compared without
times; the signed PDFs themselves differ by their signing time), every page is
OCRed into one object, each case published once, and no object in the store is
left that no manifest names.  Kept to 2 cases of 2 pages so it runs in a few
minutes on 2 cores.
"""

from __future__ import annotations

import json
import signal
import subprocess
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bench.batch import make_archive
from tests.pipeline.machines import (
    RABBIT,
    REDIS,
    cli,
    court_key,
    flush,
    machine_env,
    needs_postgres,
    needs_rabbit,
    needs_redis,
    needs_s3,
    new_bucket_uri,
    postgres_schema,
    start_worker,
    stop,
    wait_finished,
)
from tests.storage.storage_helpers import S3_ACCESS_KEY, S3_SECRET_KEY

CASES = ("（2024）浙0102民初1000号", "（2024）浙0102民初1001号")
ONE_THREAD = {"EDOSSIER_OCR__JOBS": "1", "EDOSSIER_OCR__THREADS": "1"}
"""As every batch worker runs (see run_worker): the reference `process` reads pages alike."""


def _essence(manifests: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each case's manifests minus what differs per run: time, signed PDF bytes, audit head, batch id."""
    result: dict[str, list[dict[str, Any]]] = {}
    for manifest in sorted(manifests, key=lambda m: (m["case"], m["version"])):
        result.setdefault(manifest["case"], []).append({
            "version": manifest["version"],
            "objects": sorted((o["key"], o["sha256"], o["role"]) for o in manifest["objects"]
                              if not o["role"].startswith("dossier")),
            "documents": manifest["documents"],
            "catalogue": manifest["catalogue"],
            "provenance": {k: v for k, v in manifest["provenance"].items() if k not in ("audit_head", "batch")},
        })
    return result


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_archive(tmp_path_factory.mktemp("machines"), cases=2, pages_per_case=2, scale=0.25, body_chars=60)


@pytest.fixture(scope="module")
def signing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The court's signing key, installed on every machine; its passphrase is in each machine's environment."""
    passphrase = f"court-{uuid.uuid4().hex}"
    return (*court_key(tmp_path_factory.mktemp("keys"), passphrase), passphrase)


@pytest.fixture(scope="module")
def reference(archive: Path, signing: tuple[Path, Path, str], tmp_path_factory: pytest.TempPathFactory) -> dict:
    """`edossier process` on the same files, case by case, into a store of its own."""
    data = tmp_path_factory.mktemp("process")
    env = machine_env(data, signing, **ONE_THREAD)
    source = archive.parent / "archive"
    for n, case in enumerate(CASES):
        files = sorted(str(p) for p in (source / f"case-{n:03d}").glob("*.tif"))
        cli(["process", *files, "--case", case, "--json"], env)
    return _essence([json.loads(p.read_text()) for p in (data / "store").glob("cases/*/versions/*/manifest.json")])


@needs_s3
@needs_postgres
@pytest.mark.parametrize("broker", [pytest.param(REDIS, marks=needs_redis, id="redis"),
                                    pytest.param(RABBIT, marks=needs_rabbit, id="rabbitmq")])
def test_two_machines_one_killed_mid_page_one_mid_publish(
    broker: str, archive: Path, signing: tuple[Path, Path, str], reference: dict, tmp_path: Path
) -> None:
    from edossier.casenumber import CaseNumber
    from edossier.config import StorageSettings
    from edossier.storage import open_store
    from edossier.storage.fixity import orphans
    from edossier.storage.manifest import list_cases, published_versions, read_manifest

    store_uri = new_bucket_uri()
    machines = [tmp_path / "machine-1", tmp_path / "machine-2"]
    flush(broker)
    with postgres_schema() as state:
        started = json.loads(cli(["batch", str(archive.parent / "archive"), "--cases", str(archive), "--broker",
                                  broker, "--state", state, "--store", store_uri, "--json"],
                                 machine_env(tmp_path / "enqueuer", signing)).stdout)
        logs = [tmp_path / "machine-1.log", tmp_path / "machine-2.log"]
        for machine, log, fault in zip(machines, logs, ("ocr", "publish"), strict=True):
            doomed = start_worker(broker, machine_env(machine, signing), log, fault)
            try:
                assert doomed.wait(300) == -signal.SIGKILL, f"not killed at {fault}: {log.read_text()[-2000:]}"
            except subprocess.TimeoutExpired:
                stop(doomed)
                raise AssertionError(f"worker never reached {fault}: {log.read_text()[-2000:]}") from None
        workers = [start_worker(broker, machine_env(m, signing), log) for m, log in zip(machines, logs, strict=True)]
        try:
            status = wait_finished(state, started["batch"])
        finally:
            for worker in workers:
                stop(worker)

    assert status["cases"] == {"done": 2, "failed": 0, "pending": 0}, status["failed"]
    assert status["pages"]["done"] == status["pages"]["total"] == 4
    store = open_store(store_uri, StorageSettings(access_key=S3_ACCESS_KEY, secret_key=S3_SECRET_KEY))
    manifests = [read_manifest(store, number, v).model_dump(mode="json")
                 for number in map(CaseNumber.parse, list_cases(store))
                 for v in published_versions(store, number)]
    assert _essence(manifests) == reference
    assert orphans(store) == []  # the PDF sealed before the kill is the one the manifest names
    ocr_objects = Counter(key.rsplit("/", 1)[1].split(".")[0] for key in store.list("cases/") if "/ocr/" in key)
    assert len(ocr_objects) == 4 and set(ocr_objects.values()) == {1}  # every page read into one object
    entries = [json.loads(store.get_bytes(key)) for key in store.list("audit/")]
    published = Counter(entry["case"] for entry in entries if entry["action"] == "publish")
    assert published == Counter({case: 1 for case in CASES})
    verified = json.loads(cli(["verify", "--case", CASES[0], "--store", store_uri, "--json"],
                              machine_env(tmp_path / "reader", signing)).stdout)
    assert verified["valid"]
