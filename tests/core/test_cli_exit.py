"""The console script exits without the interpreter's teardown, and loses nothing by it.

``entry`` ends the process with ``os._exit`` once every exit handler has run, to
spare the ~0.3 s of freeing OpenVINO's compiled models.  What must still happen:
the command's whole output reaches the reader, its exit status is kept, a thread
still working (a model compiling into OpenVINO's cache) is waited for, and other
exit handlers (temporary folders removed) run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _entry_with(tmp_path: Path, command: str) -> subprocess.CompletedProcess[str]:
    """The real ``entry`` in a child process, with ``main`` replaced by COMMAND (the body of a function)."""
    body = "\n".join(f"    {line}" for line in command.strip().splitlines())
    script = (
        "import sys, threading, time, tempfile, pathlib\n"
        "import edossier.pipeline.cli as cli\n"
        f"out = pathlib.Path({str(tmp_path)!r})\n"
        "def main(argv=None):\n"
        f"{body}\n"
        "cli.main = main\n"
        "cli.entry()\n"
    )
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_the_whole_output_and_the_exit_status_reach_the_caller(tmp_path: Path) -> None:
    done = _entry_with(tmp_path, """
sys.stdout.write("页" * 300_000 + "\\nend\\n")
sys.stderr.write("edossier: error: the last words\\n")
return 4
""")
    assert done.returncode == 4
    assert done.stdout == "页" * 300_000 + "\nend\n"
    assert done.stderr.endswith("the last words\n")


def test_a_thread_still_working_is_waited_for_and_exit_handlers_run(tmp_path: Path) -> None:
    """A model compiling into OpenVINO's cache runs on a thread of its own (``ocr/rapid.py:_in_background``)."""
    done = _entry_with(tmp_path, """
def compile_model():
    time.sleep(1.0)
    (out / "model.blob").write_bytes(b"whole")
threading.Thread(target=compile_model, daemon=False).start()
folder = tempfile.TemporaryDirectory(dir=out)
(out / "folder").write_text(folder.name)
return 0
""")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "model.blob").read_bytes() == b"whole"
    assert not Path((tmp_path / "folder").read_text()).exists()


def test_a_defect_still_shows_its_traceback(tmp_path: Path) -> None:
    done = _entry_with(tmp_path, """
raise RuntimeError("a defect")
""")
    assert done.returncode == 1
    assert "RuntimeError: a defect" in done.stderr
