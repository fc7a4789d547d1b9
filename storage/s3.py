"""An S3 store (MinIO, Ceph RGW, …) through the minio SDK, sealed by the server itself.

The bucket has versioning and object lock; every object is put with COMPLIANCE
retention (and optionally a legal hold), so neither this code nor an
administrator can delete it, shorten its retention or downgrade it to governance
before it expires.  An overwrite through another client only adds a newer
version: this store always reads the oldest version of a key, the one it sealed,
and lists keys even behind a delete marker.  Unreachable servers are retried
with backoff, then reported as ServiceUnavailableError.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO, TypeVar
from urllib.parse import parse_qs, urlparse

import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE
from minio.error import S3Error, ServerError
from minio.retention import Retention

from edossier.config import StorageSettings
from edossier.errors import ConfigurationError, EdossierError, ImmutableObjectError, NotFoundError, ServiceUnavailableError
from edossier.storage.store import KeyTakenError, ObjectInfo, Source, Store

T = TypeVar("T")
SHA256_META = "x-amz-meta-sha256"
_MISSING = ("NoSuchKey", "NoSuchVersion", "ResourceNotFound")
_REFUSED = ("SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied", "InvalidToken", "ExpiredToken")
"""The server refuses these credentials: no retry will change that."""


KNOWN_SEALED = 65_536
"""Sealed versions a store object remembers (~20 MB): far more than one case's publication names."""


@dataclass(frozen=True)
class _Sealed:
    version: str
    info: ObjectInfo


class S3Store(Store):
    def __init__(self, endpoint: str, bucket: str, settings: StorageSettings) -> None:
        parsed = urlparse(endpoint)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise EdossierError(f"S3 endpoint {endpoint!r}: expected http://host:port or https://host")
        if settings.access_key is None or settings.secret_key is None:
            raise EdossierError(
                "the S3 store needs credentials: set EDOSSIER_STORAGE__ACCESS_KEY and "
                "EDOSSIER_STORAGE__SECRET_KEY, or access_key/secret_key under [storage] in edossier.toml"
            )
        self.settings = settings
        self.endpoint = endpoint
        self.bucket = bucket
        self.uri = f"s3://{bucket}?endpoint={endpoint}"
        self._known: OrderedDict[str, _Sealed] = OrderedDict()
        self._lock = threading.Lock()
        timeout = urllib3.Timeout(connect=settings.timeout_s, read=settings.timeout_s)
        self.client = Minio(
            parsed.netloc,
            access_key=settings.access_key,
            secret_key=settings.secret_key.get_secret_value(),
            secure=parsed.scheme == "https",
            region=settings.region,
            # no hidden retries: _call owns the bounded retry policy
            http_client=urllib3.PoolManager(timeout=timeout, retries=False, maxsize=8),
        )
        self._ensure_bucket()

    @classmethod
    def from_uri(cls, uri: str, settings: StorageSettings) -> S3Store:
        parsed = urlparse(uri)
        if parsed.username or parsed.password:
            raise EdossierError("store URI: credentials never go in the URI; use EDOSSIER_STORAGE__* settings")
        query = parse_qs(parsed.query)
        endpoint = query.get("endpoint", ["https://s3.amazonaws.com"])[0]
        if not parsed.hostname:
            raise EdossierError(f"store URI {uri!r}: no bucket (expected s3://bucket?endpoint=URL)")
        return cls(endpoint.rstrip("/"), parsed.netloc, settings)

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        """FN, retried with doubling waits while the server cannot be reached or fails (5xx).

        Credentials the server refuses are a configuration fault, reported at once
        (and never retried by the pipeline either, see pipeline/retry.py).
        """
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            try:
                return fn()
            except S3Error as exc:
                if exc.code in _REFUSED:
                    raise ConfigurationError(
                        f"S3 server {self.endpoint} refused the credentials ({exc.code}) for {what}: check "
                        "EDOSSIER_STORAGE__ACCESS_KEY and EDOSSIER_STORAGE__SECRET_KEY on this machine"
                    ) from None
                raise
            except (urllib3.exceptions.HTTPError, ServerError, ConnectionError) as exc:
                problem = exc
                if attempt + 1 < attempts:
                    time.sleep(self.settings.retry_backoff_s * 2**attempt)
        raise ServiceUnavailableError(
            f"S3 server {self.endpoint} unreachable ({what}; {attempts} tries): {problem}; "
            "no partial version becomes visible and local work is kept: rerun the command when it is back"
        )

    def _ensure_bucket(self) -> None:
        if not self._call("check bucket", lambda: self.client.bucket_exists(self.bucket)):
            self._call("create bucket", lambda: self.client.make_bucket(self.bucket, object_lock=True))
        try:
            self._call("read object lock", lambda: self.client.get_object_lock_config(self.bucket))
        except S3Error as exc:
            raise EdossierError(
                f"bucket {self.bucket!r} has no object lock; refusing to keep evidence where it can be deleted"
            ) from exc

    def _sealed(self, key: str) -> _Sealed | None:
        """The oldest live version of KEY (the one this store sealed) and what was recorded when it was sealed.

        A sealed version is immutable (COMPLIANCE retention), so once found it is
        remembered: publishing a case names every page and OCR object its worker
        sealed minutes before, and each lookup costs a version listing and a HEAD.
        Absence is never remembered: another writer may seal the key at any time.
        """
        with self._lock:
            if key in self._known:
                self._known.move_to_end(key)
                return self._known[key]

        version = self._call(f"list {key}", lambda: self._oldest_version(key))
        if version is None:
            return None
        stat = self._call(f"stat {key}", lambda: self.client.stat_object(self.bucket, key, version_id=version))
        sha256 = (stat.metadata or {}).get(SHA256_META, "")
        return self._remember(key, _Sealed(version, ObjectInfo(key=key, size=stat.size or 0, sha256=sha256)))

    def _oldest_version(self, key: str) -> str | None:
        found = self.client.list_objects(self.bucket, prefix=key, include_version=True)
        versions = [obj.version_id or "null" for obj in found if obj.object_name == key and not obj.is_delete_marker]
        return versions[-1] if versions else None  # versions are listed newest first

    def _remember(self, key: str, sealed: _Sealed) -> _Sealed:
        with self._lock:
            self._known[key] = sealed
            while len(self._known) > KNOWN_SEALED:
                self._known.popitem(last=False)
        return sealed

    def info(self, key: str) -> ObjectInfo | None:
        sealed = self._sealed(key)
        return None if sealed is None else sealed.info

    def retention(self, key: str) -> tuple[str | None, dt.datetime | None, bool]:
        """(mode, retain-until, legal hold) of the sealed version, from HEAD headers.

        minio's get_object_retention cannot parse RGW's nanosecond timestamps;
        the HEAD response carries the same facts.
        """
        sealed = self._sealed(key)
        if sealed is None:
            raise NotFoundError(f"{key}: not in the store {self.uri}")
        meta = self._call(
            f"stat {key}", lambda: self.client.stat_object(self.bucket, key, version_id=sealed.version)
        ).metadata or {}  # minio types it optional; a HEAD response always has headers
        until = meta.get("x-amz-object-lock-retain-until-date")
        hold = meta.get("x-amz-object-lock-legal-hold", "OFF") == "ON"
        return meta.get("x-amz-object-lock-mode"), _parse_s3_time(until) if until else None, hold

    def _seal(self, key: str, sha256: str, size: int, source: Source, *, exclusive: bool = False) -> ObjectInfo:
        """Put a new version, then check it is the oldest one: the version every read serves.

        The server takes every put (RGW ignores ``If-None-Match`` on versioned
        buckets), so of two writers racing for a key the one whose version came
        first holds it; the other learns so here and its later version is never read.
        """
        existing = self.info(key)
        if existing is not None and exclusive:
            raise KeyTakenError(f"{key}: already sealed by another writer")
        if existing is not None:
            if existing.sha256 == sha256:
                return existing
            raise ImmutableObjectError(f"{key}: already sealed with different content; refusing to overwrite")
        until = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(
            days=365 * self.settings.retention_years
        )

        def put() -> str | None:
            with source() as data:
                return self.client.put_object(
                    self.bucket,
                    key,
                    data,
                    size,
                    metadata={"sha256": sha256},
                    retention=Retention(COMPLIANCE, until),
                    legal_hold=self.settings.legal_hold,
                ).version_id

        mine = self._call(f"put {key}", put) or "null"
        first = self._call(f"list {key}", lambda: self._oldest_version(key))
        if first is not None and first != mine:  # another writer's version came first
            if exclusive:
                raise KeyTakenError(f"{key}: already sealed by another writer")
            info = self.info(key)
            if info is None or info.sha256 != sha256:
                raise ImmutableObjectError(f"{key}: already sealed with different content; refusing to overwrite")
            return info
        return self._remember(key, _Sealed(mine, ObjectInfo(key=key, size=size, sha256=sha256))).info

    @contextmanager
    def open_raw(self, key: str) -> Iterator[BinaryIO]:
        sealed = self._sealed(key)
        if sealed is None:
            raise NotFoundError(f"{key}: not in the store {self.uri}")
        try:
            response = self._call(
                f"get {key}", lambda: self.client.get_object(self.bucket, key, version_id=sealed.version)
            )
        except S3Error as exc:
            if exc.code in _MISSING:
                raise NotFoundError(f"{key}: not in the store {self.uri}") from None
            raise
        try:
            yield response  # type: ignore[misc]  # urllib3's response reads like a file but is no BinaryIO subclass
        finally:
            response.close()
            response.release_conn()

    def list(self, prefix: str) -> Iterator[str]:
        def names() -> list[str]:
            found = self.client.list_objects(self.bucket, prefix=prefix, recursive=True, include_version=True)
            return sorted({obj.object_name for obj in found if not obj.is_delete_marker and obj.object_name})

        return iter(self._call(f"list {prefix}", names))

    def locate(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def delete(self, key: str) -> None:
        if self.exists(key):
            raise ImmutableObjectError(f"{key}: sealed objects cannot be deleted")
        raise NotFoundError(f"{key}: not in the store {self.uri}")


def _parse_s3_time(text: str) -> dt.datetime:
    """ISO 8601 with up to nanoseconds (RGW) or milliseconds (MinIO), in UTC."""
    head, _, frac = text.rstrip("Z").partition(".")
    micro = int((frac + "000000")[:6]) if frac else 0
    return dt.datetime.fromisoformat(head).replace(microsecond=micro, tzinfo=dt.timezone.utc)
