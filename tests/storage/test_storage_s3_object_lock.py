"""Against the real RADOS Gateway: a sealed version survives every attempt to undo it.

Each attack uses the raw minio client with the store's own credentials, as an
administrator would, so the refusal is the server's, not our code's.
"""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
from minio.commonconfig import COMPLIANCE, GOVERNANCE
from minio.deleteobjects import DeleteObject
from minio.error import S3Error
from minio.retention import Retention

from edossier.config import StorageSettings
from edossier.errors import EdossierError, ImmutableObjectError, ServiceUnavailableError
from edossier.storage import open_store
from edossier.storage.s3 import S3Store

from tests.storage.storage_helpers import S3_ENDPOINT, unique_case

EVIDENCE = "（2020）浙0102民初1234号 判决书原件".encode()


@pytest.fixture
def sealed(s3_store: S3Store) -> tuple[S3Store, str, str]:
    key = f"cases/{unique_case().key}/originals/evidence.bin"
    s3_store.put_bytes(key, EVIDENCE)
    sealed = s3_store._sealed(key)
    assert sealed is not None
    return s3_store, key, sealed.version


def _fresh(store: S3Store) -> S3Store:
    """The same bucket seen by another process: nothing remembered of what was sealed."""
    return S3Store(store.endpoint, store.bucket, store.settings)


def _refused(call) -> S3Error:  # type: ignore[no-untyped-def]
    with pytest.raises(S3Error) as caught:
        call()
    assert caught.value.code == "AccessDenied"
    return caught.value


def test_sealed_version_is_compliance_locked(sealed: tuple[S3Store, str, str]) -> None:
    store, key, _ = sealed
    mode, until, _ = store.retention(key)
    assert mode == "COMPLIANCE"
    assert until is not None and until > dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=360)


def test_deleting_a_sealed_version_is_refused(sealed: tuple[S3Store, str, str]) -> None:
    store, key, version_id = sealed
    with pytest.raises(ImmutableObjectError):
        store.delete(key)
    _refused(lambda: store.client.remove_object(store.bucket, key, version_id=version_id))
    errors = list(store.client.remove_objects(
        store.bucket, [DeleteObject(key, version_id)], bypass_governance_mode=True))
    assert [e.code for e in errors] == ["AccessDenied"]
    store.client.remove_object(store.bucket, key)  # only adds a delete marker
    assert store.get_bytes(key) == EVIDENCE
    assert _fresh(store).get_bytes(key) == EVIDENCE
    assert key in list(store.list(key))


def test_overwriting_a_sealed_version_is_refused(sealed: tuple[S3Store, str, str]) -> None:
    store, key, _ = sealed
    with pytest.raises(ImmutableObjectError):
        store.put_bytes(key, b"forged")
    forged = store.client.put_object(store.bucket, key, io.BytesIO(b"forged"), 6)
    assert forged.version_id  # the server kept both versions: the sealed one is what we read
    assert store.get_bytes(key) == EVIDENCE
    later = _fresh(store)
    assert later.get_bytes(key) == EVIDENCE
    with pytest.raises(ImmutableObjectError):
        later.put_bytes(key, b"forged")


def test_shortening_retention_is_refused(sealed: tuple[S3Store, str, str]) -> None:
    store, key, version_id = sealed
    _, until, _ = store.retention(key)
    shorter = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    _refused(lambda: store.client.set_object_retention(
        store.bucket, key, Retention(COMPLIANCE, shorter), version_id=version_id))
    assert store.retention(key)[:2] == ("COMPLIANCE", until)
    assert store.get_bytes(key) == EVIDENCE


def test_switching_to_governance_is_refused(sealed: tuple[S3Store, str, str]) -> None:
    store, key, version_id = sealed
    _, until, _ = store.retention(key)
    _refused(lambda: store.client.set_object_retention(
        store.bucket, key, Retention(GOVERNANCE, until), version_id=version_id))
    assert store.retention(key)[0] == "COMPLIANCE"
    assert store.get_bytes(key) == EVIDENCE


def test_legal_hold_is_put_when_configured(s3_uri: str, s3_settings: StorageSettings) -> None:
    store = open_store(s3_uri, s3_settings.model_copy(update={"legal_hold": True}))
    key = f"cases/{unique_case().key}/originals/held.bin"
    store.put_bytes(key, EVIDENCE)
    assert store.retention(key)[2] is True


def test_bucket_without_object_lock_is_refused(s3_store: S3Store, s3_settings: StorageSettings) -> None:
    plain = f"{s3_store.bucket}-plain"
    if not s3_store.client.bucket_exists(plain):
        s3_store.client.make_bucket(plain)
    with pytest.raises(EdossierError, match="no object lock"):
        open_store(f"s3://{plain}?endpoint={S3_ENDPOINT}", s3_settings)


def test_credentials_never_come_from_the_uri(s3_settings: StorageSettings) -> None:
    with pytest.raises(EdossierError, match="never go in the URI"):
        open_store(f"s3://key:secret@bucket?endpoint={S3_ENDPOINT}", s3_settings)
    with pytest.raises(EdossierError, match="needs credentials"):
        open_store(f"s3://bucket?endpoint={S3_ENDPOINT}", StorageSettings())


def test_unreachable_server_is_retried_then_reported() -> None:
    settings = StorageSettings(access_key="k", secret_key="s", retries=2, retry_backoff_s=0.1, timeout_s=2)
    start = time.monotonic()
    with pytest.raises(ServiceUnavailableError, match="3 tries") as caught:
        open_store("s3://edossier?endpoint=http://127.0.0.1:9", settings)
    assert time.monotonic() - start >= 0.3  # waited 0.1 s, then 0.2 s
    assert caught.value.exit_code == 7
