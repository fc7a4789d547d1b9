"""Running the real ``edossier`` command in a child process, with its own data folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EDOSSIER = [sys.executable, "-m", "edossier.pipeline.cli"]


def run(args: list[str], data_dir: Path, check: bool = False, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "EDOSSIER_DATA_DIR": str(data_dir),
        "EDOSSIER_CONFIG": str(data_dir / "no-such-config.toml"),
        **env,
    }
    result = subprocess.run(EDOSSIER + args, capture_output=True, text=True, env=full_env, timeout=900)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def stored_files(data_dir: Path) -> list[Path]:
    """Every file the store holds (sidecars included): empty means nothing was stored."""
    store = data_dir / "store"
    return sorted(p for p in store.rglob("*") if p.is_file()) if store.exists() else []
