"""Secrets stay on the machine that holds them: a batch on S3 and PostgreSQL records none anywhere.

Real services: Ceph RGW with object lock, PostgreSQL, Redis.  The signing
passphrase and the S3 secret key reach the enqueuer and the worker only through
their own environment; afterwards the batch state, every object in the store
(audit trail included) and both machines' logs are searched for each value.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from bench.batch import make_archive
from tests.pipeline.machines import (
    REDIS,
    cli,
    court_key,
    flush,
    machine_env,
    needs_postgres,
    needs_redis,
    needs_s3,
    new_bucket_uri,
    postgres_schema,
    start_worker,
    state_text,
    stop,
    wait_finished,
)
from tests.storage.storage_helpers import S3_SECRET_KEY


@needs_s3
@needs_postgres
@needs_redis
def test_no_secret_in_state_store_logs_or_audit(tmp_path: Path) -> None:
    from edossier.config import StorageSettings
    from edossier.storage import open_store

    case_map = make_archive(tmp_path / "src", cases=1, pages_per_case=2, scale=0.25, body_chars=60)
    passphrase = f"court-passphrase-{uuid.uuid4().hex}"
    key, root = court_key(tmp_path / "keys", passphrase)
    store_uri = new_bucket_uri()
    flush(REDIS)
    with postgres_schema() as state:
        enqueuer = machine_env(tmp_path / "enqueuer", (key, root, passphrase))
        enqueued = cli(["batch", str(case_map.parent / "archive"), "--cases", str(case_map),
                        "--broker", REDIS, "--state", state, "--store", store_uri, "--json"], enqueuer)
        started = json.loads(enqueued.stdout)
        log = tmp_path / "worker.log"
        worker = start_worker(REDIS, machine_env(tmp_path / "worker", (key, root, passphrase)), log)
        try:
            status = wait_finished(state, started["batch"])
        finally:
            stop(worker)
        assert status["cases"] == {"done": 1, "failed": 0, "pending": 0}, status["failed"]
        recorded = state_text(state)

    store = open_store(store_uri, StorageSettings(access_key="edossier-test", secret_key=S3_SECRET_KEY))
    keys = list(store.list(""))
    assert any(k.startswith("audit/") for k in keys) and any(k.endswith("manifest.json") for k in keys)
    verified = json.loads(cli(["verify", "--case", "（2024）浙0102民初1000号", "--store", store_uri, "--json"],
                              machine_env(tmp_path / "reader", (key, root, passphrase))).stdout)
    assert verified["valid"]  # signed with the key the passphrase opens, on the worker
    places = {"batch state": recorded, "worker log": log.read_text(errors="replace"),
              "enqueuer output": enqueued.stdout + enqueued.stderr}
    for object_key in keys:
        places[object_key] = store.get_bytes(object_key).decode("utf-8", errors="replace")
    for secret in (passphrase, S3_SECRET_KEY):
        found = [where for where, text in places.items() if secret in text]
        assert not found, f"{secret[:6]}… found in {found}"
    assert str(key) not in recorded  # where a machine keeps its key is its own business too
