"""Running the real ``edossier`` command in a child process, with its own data folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EDOSSIER = [sys.executable, "-m", "edossier.pipeline.cli"]


def run(args: list[str], data_dir: Path, check: bool = False, **env: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(EDOSSIER + args, capture_output=True, text=True, env=_env(data_dir, env), timeout=900)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def start(args: list[str], data_dir: Path, output: Path, **env: str) -> subprocess.Popen[bytes]:
    """``edossier ARGS`` left running, its stdout and stderr unbuffered into OUTPUT (read it while it runs)."""
    with open(output, "wb") as out:
        return subprocess.Popen(EDOSSIER + args, stdout=out, stderr=subprocess.STDOUT,
                                env=_env(data_dir, {"PYTHONUNBUFFERED": "1", **env}))


def _env(data_dir: Path, env: dict[str, str]) -> dict[str, str]:
    return {
        **os.environ,
        "EDOSSIER_DATA_DIR": str(data_dir),
        "EDOSSIER_CONFIG": str(data_dir / "no-such-config.toml"),
        **env,
    }


def stored_files(data_dir: Path) -> list[Path]:
    """Every file the store holds (sidecars included): empty means nothing was stored."""
    store = data_dir / "store"
    return sorted(p for p in store.rglob("*") if p.is_file()) if store.exists() else []
