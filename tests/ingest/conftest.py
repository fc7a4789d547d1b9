"""Fixtures for the intake tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.sm2_test_pki import SealKeys


@pytest.fixture(scope="session")
def seal_keys(tmp_path_factory: pytest.TempPathFactory) -> SealKeys:
    """A test SM2 root with a seal signer and a seal maker (OpenSSL CLI; about 0.1 s), for re-made seals."""
    folder: Path = tmp_path_factory.mktemp("seal-pki")
    return SealKeys.make(folder)
