"""Stores for the storage tests: a fresh filesystem store, and the real RADOS Gateway.

The S3 tests need the object-lock-enforcing server that scripts/services/s3.sh
starts on 127.0.0.1 (CI runs it before the suite); without it they skip, saying so.
"""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import pytest
from tests.storage.storage_helpers import S3_ACCESS_KEY, S3_ENDPOINT, S3_SECRET_KEY

from edossier.config import StorageSettings
from edossier.storage import Store, open_store


def _rgw_up() -> bool:
    host, port = S3_ENDPOINT.split("//")[1].split(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="session")
def s3_settings() -> StorageSettings:
    if not _rgw_up():
        pytest.skip(f"no S3 server at {S3_ENDPOINT}: run scripts/services/s3.sh (CI does)")
    return StorageSettings(
        access_key=S3_ACCESS_KEY,
        secret_key=S3_SECRET_KEY,
        retention_years=1,
        retries=1,
        retry_backoff_s=0.1,
    )


@pytest.fixture(scope="session")
def s3_uri(s3_settings: StorageSettings) -> str:
    return f"s3://edossier-test-{uuid.uuid4().hex[:12]}?endpoint={S3_ENDPOINT}"


@pytest.fixture
def s3_store(s3_uri: str, s3_settings: StorageSettings) -> Store:
    return open_store(s3_uri, s3_settings)


@pytest.fixture
def fs_store(tmp_path: Path) -> Store:
    return open_store((tmp_path / "store").as_uri())


@pytest.fixture(params=["file", "s3"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "file":
        return open_store((tmp_path / "store").as_uri())
    return request.getfixturevalue("s3_store")
