"""The hot folder: stable-size detection, one claimant per file, and restarts mid-file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from edossier.errors import NotFoundError
from edossier.scanners.hot_folder import CLAIMED, DONE, FAILED, HotFolder

SAMPLE = Path(__file__).parents[2] / "samples" / "02-power-of-attorney.jpg"


def test_a_file_still_being_written_is_not_taken(tmp_path):
    folder = HotFolder(tmp_path, stable_s=0.3, poll_s=0.05)
    data = SAMPLE.read_bytes()
    target = tmp_path / "scan.jpg"
    with open(target, "wb") as handle:
        for offset in range(0, len(data), len(data) // 5):
            handle.write(data[offset : offset + len(data) // 5])
            handle.flush()
            assert folder.claim_next() is None  # still growing
            time.sleep(0.1)
    claim = folder.wait_for_next(stop=lambda: False)
    assert claim is not None and claim.path.read_bytes() == data
    assert claim.path.parent.name == CLAIMED and not target.exists()
    done = claim.done()
    assert done == tmp_path / DONE / "scan.jpg" and done.read_bytes() == data


def test_empty_files_wait(tmp_path):
    (tmp_path / "empty.pdf").touch()
    folder = HotFolder(tmp_path, stable_s=0)
    assert folder.claim_next() is None


def test_two_workers_never_take_the_same_file(tmp_path):
    for index in range(30):
        (tmp_path / f"scan{index:02d}.jpg").write_bytes(SAMPLE.read_bytes()[:1000] + bytes([index]))
    taken: list[list[str]] = [[], [], []]

    def work(slot: int) -> None:
        folder = HotFolder(tmp_path, stable_s=0)
        while (claim := folder.claim_next()) is not None:
            taken[slot].append(claim.original_name)
            claim.done()

    threads = [threading.Thread(target=work, args=(slot,)) for slot in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    names = [name for names in taken for name in names]
    assert sorted(names) == [f"scan{index:02d}.jpg" for index in range(30)]  # each exactly once
    assert len(list((tmp_path / DONE).iterdir())) == 30


def test_failed_file_keeps_its_reason(tmp_path):
    (tmp_path / "bad.pdf").write_bytes(b"not a pdf")
    claim = HotFolder(tmp_path, stable_s=0).claim_next()
    target = claim.failed("bad.pdf: is not a readable PDF")
    assert target.read_bytes() == b"not a pdf"
    assert (tmp_path / FAILED / "bad.pdf.reason.txt").read_text().startswith("bad.pdf: is not")


WORKER = """
import sys, time
from pathlib import Path
from edossier.scanners.hot_folder import HotFolder
folder = HotFolder(Path(sys.argv[1]), stable_s=0)
claim = folder.claim_next()
print(claim.original_name, flush=True)
time.sleep(60)  # killed here, mid-file
"""


def test_a_worker_killed_mid_file_loses_and_doubles_nothing(tmp_path):
    for name in ("a.jpg", "b.jpg"):
        (tmp_path / name).write_bytes(SAMPLE.read_bytes())
    worker = subprocess.Popen([sys.executable, "-c", WORKER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    taken = worker.stdout.readline().strip()
    assert taken in ("a.jpg", "b.jpg")
    # while the worker lives, its claim is its own: another worker gets the other file
    other = HotFolder(tmp_path, stable_s=0)
    second = other.claim_next()
    assert second.original_name != taken and not second.recovered
    assert other.claim_next() is None
    second.done()
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    assert (tmp_path / CLAIMED / taken).exists()

    restarted = HotFolder(tmp_path, stable_s=0)
    processed = []
    while (claim := restarted.claim_next()) is not None:
        processed.append((claim.original_name, claim.recovered))
        claim.done()
    assert processed == [(taken, True)]
    done = sorted(p.name for p in (tmp_path / DONE).iterdir())
    assert done == ["a.jpg", "b.jpg"]  # each once: nothing lost, nothing doubled
    assert not list((tmp_path / CLAIMED).iterdir()) and not list(tmp_path.glob("*.jpg"))


def test_missing_folder_is_not_found(tmp_path):
    with pytest.raises(NotFoundError):
        HotFolder(tmp_path / "nope")
