"""One retry policy: permanent failures fail their case at the first try, transient ones are tried again.

Real S3 (Ceph RGW), Redis and a real worker process.  The permanent failure is
real: the worker machine has a wrong S3 secret key, and RGW answers
SignatureDoesNotMatch.  The transient one is injected (tests/pipeline/faulty_worker.py):
the first object the worker seals fails as an unreachable server does.
"""

from __future__ import annotations

import json
from pathlib import Path


from bench.batch import make_archive
from edossier.errors import (
    ClassifiedMaterialError,
    ConfigurationError,
    InputFileError,
    ServiceUnavailableError,
    SigningError,
    StageError,
)
from edossier.pipeline.retry import is_permanent, should_retry
from tests.pipeline.machines import (
    REDIS,
    cli,
    flush,
    machine_env,
    needs_redis,
    needs_s3,
    new_bucket_uri,
    start_worker,
    stop,
    wait_finished,
)


def test_policy_names_permanent_failures() -> None:
    assert is_permanent(ClassifiedMaterialError("a.pdf", "涉密"))
    assert is_permanent(ConfigurationError("S3 server refused the credentials (SignatureDoesNotMatch)"))
    assert is_permanent(SigningError("cannot load the signing key"))
    assert not is_permanent(ServiceUnavailableError("unreachable"))
    assert not is_permanent(StageError("OCR failed"))
    assert should_retry(0, ServiceUnavailableError("unreachable")) and not should_retry(0, InputFileError("a", "b"))


def _run(tmp_path: Path, worker_env: dict[str, str], fault: str | None = None) -> dict:
    case_map = make_archive(tmp_path / "src", cases=1, pages_per_case=1, scale=0.25, body_chars=40)
    flush(REDIS)
    state = f"sqlite://{tmp_path / 'state.sqlite'}"
    started = json.loads(cli(["batch", str(case_map.parent / "archive"), "--cases", str(case_map),
                              "--broker", REDIS, "--state", state, "--store", new_bucket_uri(), "--json"],
                             machine_env(tmp_path / "enqueuer")).stdout)
    worker = start_worker(REDIS, worker_env, tmp_path / "worker.log", fault)
    try:
        return wait_finished(state, started["batch"], timeout=300)
    finally:
        stop(worker)


@needs_s3
@needs_redis
def test_refused_s3_credentials_fail_the_case_at_once(tmp_path: Path) -> None:
    env = machine_env(tmp_path / "worker", EDOSSIER_STORAGE__SECRET_KEY="not-the-secret")
    status = _run(tmp_path, env)
    assert status["cases"] == {"done": 0, "failed": 1, "pending": 0}
    [failure] = status["failed"]
    assert "refused the credentials (SignatureDoesNotMatch)" in failure["reason"], failure
    assert status["timing"]["read_material"]["messages"] == 1  # tried once, never again


@needs_s3
@needs_redis
def test_store_briefly_unreachable_is_retried(tmp_path: Path) -> None:
    status = _run(tmp_path, machine_env(tmp_path / "worker"), fault="store-once")
    assert status["cases"] == {"done": 1, "failed": 0, "pending": 0}, status["failed"]
    assert status["timing"]["read_material"]["messages"] == 2  # failed once, then done
    assert "unreachable" in (tmp_path / "worker.log").read_text()
