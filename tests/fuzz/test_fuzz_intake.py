"""Fuzzing intake: every crash the fuzzer found stays fixed, and a short fuzz run finds no new one.

The long run is documented in the README (tests/fuzz/fuzz_intake.py, one hour).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REGRESSIONS = sorted((HERE / "regressions").iterdir())


def _load_target():  # type: ignore[no-untyped-def]
    pytest.importorskip("atheris", reason="atheris is not installed (the test extra installs it)")
    spec = importlib.util.spec_from_file_location("fuzz_intake", HERE / "fuzz_intake.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.mark.parametrize("path", REGRESSIONS, ids=[p.name for p in REGRESSIONS])
def test_crash_found_by_fuzzing_is_now_a_clear_error(path: Path) -> None:
    target = _load_target()
    target.intake(path.read_bytes())  # raises only if intake lets a non-edossier error escape


FRESH_PROCESS = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"
"""Runs a command as the child of a small process.  libFuzzer's memory limit reads the process's peak RSS
(getrusage), and Linux carries the parent's peak across fork and exec: started straight from a pytest process
that has grown to ~2.9 GB during the suite, the fuzzer 'ran out of memory' on its first input (two CI runs,
notes/stop-session-8.md).  A child forked by a fresh interpreter starts its count at that one's size."""


def test_short_fuzz_run_finds_no_crash(tmp_path: Path) -> None:
    _load_target()
    new_inputs = tmp_path / "corpus"
    new_inputs.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS,
         sys.executable, str(HERE / "fuzz_intake.py"), str(new_inputs), str(HERE / "corpus"),
         # a fixed seed: the same 1,500 inputs on every CI run; long runs without one are for hunting
         "-seed=1", "-runs=1500", "-max_len=20000", "-rss_limit_mb=2048", f"-artifact_prefix={tmp_path}/"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )
    crashes = list(tmp_path.glob("crash-*")) + list(tmp_path.glob("oom-*"))
    assert result.returncode == 0 and not crashes, result.stderr[-3000:]
