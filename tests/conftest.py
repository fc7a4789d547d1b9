"""Shared fixtures: real inputs from tests/data and samples/, and an isolated data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SHARED_SAMPLES = DATA / "shared-samples"
SAMPLES = ROOT / "samples"
SAMPLE_CASE = "（2024）浙0102民初100号"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data folder (store, work files, keys) via EDOSSIER_DATA_DIR."""
    folder = tmp_path / "edossier-data"
    monkeypatch.setenv("EDOSSIER_DATA_DIR", str(folder))
    monkeypatch.setenv("EDOSSIER_CONFIG", str(tmp_path / "no-such-config.toml"))
    return folder


@pytest.fixture(scope="session")
def session_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("session-edossier-data")


@pytest.fixture(autouse=True, scope="session")
def _quiet_environment() -> None:
    # Tests must not pick up a developer's own configuration.
    for key in list(os.environ):
        if key.startswith("EDOSSIER_") and key not in ("EDOSSIER_DATA_DIR",):
            del os.environ[key]
