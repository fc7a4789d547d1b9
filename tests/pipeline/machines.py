"""Batch "machines" for the tests: processes with their own data folders and environment.

Each machine is a separate ``edossier`` process (an enqueuer, or a worker) that
shares nothing with the others but what the test names: the broker, the
PostgreSQL batch state and the S3 store (Ceph RGW with object lock, started by
scripts/services/s3.sh).  Secrets reach each machine only through its own
environment, as they would on a court's servers.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

from tests.storage.storage_helpers import S3_ACCESS_KEY, S3_ENDPOINT, S3_SECRET_KEY

EDOSSIER = str(Path(sys.executable).parent / "edossier")
REDIS = "redis://127.0.0.1:6379/12"
RABBIT = "amqp://guest:guest@127.0.0.1:5672/%2F"
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
QUEUE = f"edossier-test-{uuid.uuid4().hex[:8]}"


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return False
    return True


def s3_port() -> int:
    return int(S3_ENDPOINT.rsplit(":", 1)[1].rstrip("/"))


needs_s3 = pytest.mark.skipif(not port_open(s3_port()), reason=f"no S3 server at {S3_ENDPOINT} "
                              "(scripts/services/s3.sh starts it)")
needs_postgres = pytest.mark.skipif(not port_open(5432), reason="PostgreSQL is not running on 127.0.0.1:5432 "
                                    "(scripts/services/postgresql.sh starts it)")
needs_redis = pytest.mark.skipif(not port_open(6379), reason="Redis is not running on 127.0.0.1:6379 "
                                 "(scripts/services/redis.sh starts it)")
needs_rabbit = pytest.mark.skipif(not port_open(5672), reason="RabbitMQ is not running on 127.0.0.1:5672 "
                                  "(scripts/services/rabbitmq.sh starts it)")


def new_bucket_uri() -> str:
    return f"s3://edossier-batch-{uuid.uuid4().hex[:12]}?endpoint={S3_ENDPOINT}"


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A batch state URI in a PostgreSQL schema of its own (dropped afterwards)."""
    import psycopg

    schema = f"edossier_batch_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as db:
            db.execute(f"DROP SCHEMA {schema} CASCADE")


def court_key(folder: Path, passphrase: str) -> tuple[Path, Path]:
    """A PKCS#12 signing key under PASSPHRASE and its certificate: the development key, re-encrypted."""
    from edossier.bind.devcert import DEV_PASSPHRASE, ensure_dev_key

    p12, pem = ensure_dev_key(folder / "dev")
    key, cert, extra = pkcs12.load_key_and_certificates(p12.read_bytes(), DEV_PASSPHRASE)
    target = folder / "court.p12"
    target.write_bytes(pkcs12.serialize_key_and_certificates(
        b"court", key, cert, extra, BestAvailableEncryption(passphrase.encode())))  # type: ignore[arg-type]
    return target, pem


def machine_env(data: Path, signing: tuple[Path, Path, str] | None = None, **extra: str) -> dict[str, str]:
    """The environment of one machine: its data folder, the store's credentials, and its signing key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDOSSIER_")}
    env |= {
        "EDOSSIER_DATA_DIR": str(data),
        "EDOSSIER_CONFIG": str(data / "no-such-config.toml"),
        "EDOSSIER_STORAGE__ACCESS_KEY": S3_ACCESS_KEY,
        "EDOSSIER_STORAGE__SECRET_KEY": S3_SECRET_KEY,
        "EDOSSIER_STORAGE__RETENTION_YEARS": "1",
        "EDOSSIER_BATCH_HEARTBEAT_MS": "2000",
        "EDOSSIER_BATCH_MAINTENANCE_CHANCE": "1000000",
        "OMP_THREAD_LIMIT": "1",
        "EDOSSIER_BATCH_QUEUE": QUEUE,  # other test runs may share the broker: this run's messages are its own
    }
    if signing:
        p12, pem, passphrase = signing
        env |= {
            "EDOSSIER_SIGNING__PKCS12": str(p12),
            "EDOSSIER_SIGNING__PASSPHRASE": passphrase,
            "EDOSSIER_SIGNING__TRUST_ROOTS": json.dumps([str(pem)]),
        }
    return env | extra


def cli(args: list[str], env: dict[str, str], check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([EDOSSIER, *args], env=env, capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"edossier {' '.join(args)} exited {done.returncode}: {done.stderr[-3000:]}")
    return done


def start_worker(broker: str, env: dict[str, str], log: Path, fault: str | None = None) -> subprocess.Popen[bytes]:
    """One worker machine: `edossier worker` (or, with FAULT, one that SIGKILLs itself there), logging to LOG."""
    command = [EDOSSIER, "worker", "--broker", broker, "--processes", "1"] if fault is None else \
        [sys.executable, "-m", "tests.pipeline.faulty_worker", broker, fault]
    with open(log, "ab") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                cwd=Path(__file__).resolve().parents[2])


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_finished(state_uri: str, batch: str, timeout: float = 400) -> dict:
    from edossier.pipeline.batch.state import batch_status, open_state

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = batch_status(open_state(state_uri), batch)
        if status["finished"]:
            return status
        time.sleep(0.5)
    raise AssertionError(f"batch {batch} did not finish in {timeout} s")


def flush(broker: str) -> None:
    from edossier.pipeline.batch.brokers import open_broker

    os.environ["EDOSSIER_BATCH_QUEUE"] = QUEUE  # this process opens the broker to read status and flush
    open_broker(broker).flush_all()


def state_text(state_uri: str) -> str:
    """Every value in every table of the batch state, as text."""
    import psycopg

    parts = []
    with psycopg.connect(state_uri, autocommit=True) as db:
        tables = [r[0] for r in db.execute("SELECT table_name FROM information_schema.tables "
                                           "WHERE table_schema = current_schema()")]
        for table in tables:
            for row in db.execute(f"SELECT * FROM {table}"):  # noqa: S608 - names from the catalogue
                parts.append(" ".join(str(v) for v in row))
    return "\n".join(parts)
