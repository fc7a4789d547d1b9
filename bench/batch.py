"""Batch scaling: the same archive in-process with 1 and 2 processes, and through Redis with 1 and 2 workers.

    python -m bench.batch [--cases 10] [--pages 6] [--scale 0.5] [--modes inprocess,redis] [--runs 3] [--store s3://…]

The archive is rendered from the bundled sample texts (samples/*.gt.txt):
CASES cases of PAGES pages each, as two multi-page TIFF documents per case
(a complaint and a judgment), scaled by SCALE from A4 at 300 dpi.  Each run
converts it into a fresh store and reports pages/s (over the whole wall time,
start-up included, and from the first page done to the last), the ratio of 2
workers to 1 (1 and 2 workers run alternately, RUNS times each; median, min and max), and per-message overhead: the mean time a worker spends between one message's
actor returning and the next one's starting (acknowledging, state writes, fetching the next
message, waiting for work), against the mean OCR page time; the rest of wall time × workers
not spent in actors is process start-up and idle tail, reported on its own.

With ``--store s3://bucket?endpoint=…`` every run writes to that S3 store (credentials from
``EDOSSIER_STORAGE__*`` in the environment, as every command takes them); each run's cases
are numbered apart, so runs sharing the bucket never meet.  Default: a fresh filesystem
store under each run's data folder.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from bench.machine import machine
from bench.pagegen import render_pages
from edossier.pipeline.hooks import BETWEEN
from edossier.pipeline.batch.state import batch_status, open_state

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
EDOSSIER = str(Path(sys.executable).parent / "edossier")
DOCUMENTS = (("01-complaint.gt.txt", "complaint"), ("03-judgment.gt.txt", "judgment"))


def _rendered(name: str, scale: float, count: int, body_chars: int | None) -> list[Image.Image]:
    lines = (SAMPLES / name).read_text("utf-8").splitlines()
    pages = render_pages(lines[0], "\n".join(lines[1:])[:body_chars], body_size=46)
    size = (round(pages[0].image.width * scale), round(pages[0].image.height * scale))
    images = [p.image.convert("L").resize(size, Image.Resampling.LANCZOS) for p in pages]
    return [images[i % len(images)] for i in range(count)]


def make_archive(root: Path, cases: int, pages_per_case: int, scale: float = 0.5,
                 body_chars: int | None = None, first_case: int = 1000) -> Path:
    """SOURCE tree + MAP.csv: one folder per case, its documents as multi-page TIFFs; returns the map's path.

    BODY_CHARS cuts each text short (a page or two of a few lines: fast to OCR, for tests)."""
    dpi = round(300 * scale)
    first = max(1, pages_per_case // 2)
    rendered = {name: _rendered(name, scale, max(first, pages_per_case - first), body_chars) for name, _ in DOCUMENTS}
    source = root / "archive"
    rows = []
    for i in range(cases):
        folder = source / f"case-{i:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        for (name, label), count in zip(DOCUMENTS, (first, pages_per_case - first), strict=True):
            if count <= 0:
                continue
            # Each case's pages differ (a case number drawn in the corner), so no two cases share a page hash.
            images = [_stamp(img, f"{i}-{label}-{n}") for n, img in enumerate(rendered[name][:count])]
            images[0].save(folder / f"{label}.tif", save_all=True, append_images=images[1:],
                           compression="tiff_lzw", dpi=(dpi, dpi))
        rows.append({"path": folder.relative_to(source).as_posix(), "case": f"（2024）浙0102民初{first_case + i}号"})
    case_map = root / "cases.csv"
    with open(case_map, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["path", "case"])
        writer.writeheader()
        writer.writerows(rows)
    return case_map


def _stamp(image: Image.Image, text: str) -> Image.Image:
    from PIL import ImageDraw

    out = image.copy()
    ImageDraw.Draw(out).text((10, 10), text, fill=0)
    return out


def _run(args: list[str], env: dict[str, str]) -> dict:
    done = subprocess.run([EDOSSIER, *args], env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def measure(root: Path, case_map: Path, mode: str, workers: int, env: dict[str, str], store: str | None = None) -> dict:
    data = root / f"data-{mode}-{workers}"
    env = {**env, "EDOSSIER_DATA_DIR": str(data)}
    source = str(case_map.parent / "archive")
    where = ["--store", store] if store else []
    if mode == "inprocess":
        start = time.perf_counter()
        status = _run(["batch", source, "--cases", str(case_map), "--workers", str(workers), "--json", *where], env)
    else:
        url = "redis://127.0.0.1:6379/15"
        subprocess.run(["redis-cli", "-n", "15", "flushdb"], check=True, capture_output=True)
        # workers are started with the batch, as a service's would already be waiting: their start-up overlaps
        # the enqueuing and is counted in the wall time
        start = time.perf_counter()
        worker = subprocess.Popen([EDOSSIER, "worker", "--broker", url,
                                   "--processes", str(workers)], env=env)
        try:
            started = _run(["batch", source, "--cases", str(case_map), "--broker", url, "--json", *where], env)
            state = open_state(started["state"])  # polled here: a CLI process per poll would load the machine
            while not (status := batch_status(state, started["batch"]))["finished"]:
                time.sleep(0.1)
        finally:
            worker.terminate()
            worker.wait()
    wall = time.perf_counter() - start
    timing = dict(status["timing"])
    between = timing.pop(BETWEEN, {"messages": 0, "seconds": 0.0})
    messages = sum(t["messages"] for t in timing.values())
    busy = sum(t["seconds"] for t in timing.values())
    ocr = timing.get("ocr_page", {"messages": 0, "seconds": 0.0})
    ocr_mean = ocr["seconds"] / ocr["messages"] if ocr["messages"] else 0.0
    overhead = between["seconds"] / between["messages"] if between["messages"] else 0.0
    return {
        "mode": mode,
        "workers": workers,
        "pages": status["pages"]["done"],
        "wall_s": round(wall, 2),
        "pages_per_s": round(status["pages"]["done"] / wall, 3),
        "steady_pages_per_s": status["pages_per_second"],
        "messages": messages,
        "ocr_page_s": round(ocr_mean, 3),
        "overhead_per_message_s": round(overhead, 4),
        "overhead_vs_page": round(overhead / ocr_mean, 4) if ocr_mean else None,
        "startup_and_idle_s": round(max(0.0, wall * workers - busy - between["seconds"]), 2),
        "failed": status["cases"]["failed"],
        "steps": {step: round(t["seconds"] / t["messages"], 3) for step, t in timing.items() if t["messages"]},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10)
    parser.add_argument("--pages", type=int, default=6)
    parser.add_argument("--scale", type=float, default=0.5)
    parser.add_argument("--languages", default="chi_sim")
    parser.add_argument("--modes", default="inprocess,redis", help="comma-separated: inprocess, redis")
    parser.add_argument("--store", default=None, help="store URI for every run (e.g. s3://bucket?endpoint=…)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each mode and worker count (alternating)")
    args = parser.parse_args(argv)
    env = {**os.environ, "EDOSSIER_OCR__LANGUAGES": args.languages, "EDOSSIER_OCR__JOBS": "1"}
    print(f"CPU: {machine()}", flush=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        modes = args.modes.split(",")
        plan = [(m, w, r) for r in range(args.runs) for m in modes for w in (1, 2)]
        for run, (mode, workers, repeat) in enumerate(plan):
            # the same pages each run; in a shared store each run's cases have numbers of their own
            first = 1000 + (run * args.cases if args.store else 0)
            case_map = make_archive(root / f"src-{run}", args.cases, args.pages, args.scale, first_case=first)
            result = {**measure(root / f"run-{run}", case_map, mode, workers, env, args.store), "run": repeat}
            results.append(result)
            print(json.dumps(result), flush=True)
    for mode in modes:
        print(summary(mode, [r for r in results if r["mode"] == mode]))


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} (min {min(values):.2f}, max {max(values):.2f})"


def summary(mode: str, results: list[dict]) -> str:
    """Ratios paired by run (each 2-worker run against the 1-worker run beside it), as median, min and max."""
    runs = sorted({r["run"] for r in results})
    by = {(r["run"], r["workers"]): r for r in results}
    wall = [by[n, 2]["pages_per_s"] / by[n, 1]["pages_per_s"] for n in runs]
    steady = [by[n, 2]["steady_pages_per_s"] / by[n, 1]["steady_pages_per_s"] for n in runs]
    overhead = [100 * r["overhead_vs_page"] for r in results if r["overhead_vs_page"] is not None]
    one = [by[n, 1]["pages_per_s"] for n in runs]
    two = [by[n, 2]["pages_per_s"] for n in runs]
    return (f"{mode}, {len(runs)} runs: 1 worker {_spread(one)} pages/s, 2 workers {_spread(two)} pages/s; "
            f"2 workers / 1 worker = {_spread(wall)}x (wall, start-up included), {_spread(steady)}x (first to "
            f"last page); per-message overhead {_spread(overhead)} % of an OCR page")



if __name__ == "__main__":
    main()
