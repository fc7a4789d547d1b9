"""OCR benchmark: edossier against OCRmyPDF and RapidOCR out of the box, each given the same input file.

    python -m bench.ocr [--pages 10] [--runs 3] [--precision f32|bf16] [--modes ocr,e2e]
                        [--sets clean,degraded,real] [--engines rapidocr,tesseract] [--seed 11]

Sets: pages rendered from ../shared/corpus texts by bench/pagegen.py (A4, 300 dpi,
Noto CJK: title, paragraphs, on some pages a table and a red seal stamped over
the text), clean and scan-degraded (bench/degrade.py), from seed 11 by default
(settings were tuned on seed 5's pages, so these are unseen); and ``real``:
Tesseract's own test scans with their ground truth (phototest at 200 dpi,
eurotext at 300 dpi), each a PDF page at its scan's resolution.  For real
material without ground truth, and for line and word images, see bench/real.py.

Every side is given the set's one PDF, ``input.pdf``, in a process of its own:
- OCR only: ``edossier ocr input.pdf --json`` (rasterise, clean up, OCR) against
  ``ocrmypdf -l chi_sim+eng --output-type none --sidecar`` (text, no PDF) and
  RapidOCR's own pipeline with its defaults on the pages rasterised at 300 dpi;
- end to end: ``edossier process input.pdf`` to a signed dossier against
  ``ocrmypdf -l chi_sim+eng --output-type pdfa`` to a PDF/A.
Each is timed ``--runs`` times (median, min and max of wall time; start-up and
model loading included on every side); CPU seconds and peak memory are the last
run's, of the child and its descendants.  ``edossier ocr PAGE.png`` is also timed
alone on the clean set's densest page (issue 18's single-page figure); the last
lines printed, also at the end of ocr.md, are the figures issue 18's "Done when" names.
edossier runs with a fresh data folder each time (no OCR cache, no store), with
OpenVINO's compiled-model cache where a user's is and, end to end, with a signing
key made once (a court's server is given its key; it does not make one per case).

``--precision f32`` (the default) runs PP-OCR in fp32 even on CPUs with bfloat16
units: most court servers and clerks' PCs have none, so f32 is the target
figure.  The table's first line names the CPU, its vector units and the precision.

Character error rate = edit distance / reference length after normalising both
texts: Unicode NFKC (folds full-width letters, digits and ，；：（）to half-width),
curly quotes to straight ones, and all whitespace removed (line breaks and the
spaces some engines put between CJK characters are not errors of reading).

On a shared machine timings are noisy; compare engines by the ratios from one run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench.machine import cpu_flags, cpu_name

if TYPE_CHECKING:
    from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
CORPUS = next((p / "shared" / "corpus" for p in ROOT.parents if (p / "shared" / "corpus").is_dir()), ROOT / "corpus")
QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "〝": '"', "〞": '"', "_": None})
SAMPLES = ROOT / "tests" / "data" / "shared-samples"
REAL_SCANS = ("phototest", "eurotext")
SEALS = ("浙江省杭州市西湖区人民法院", "浙江某某律师事务所", "杭州某某科技有限公司", "浙江省诸暨市人民法院")


def normalise(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).translate(QUOTES))


def cer(hypothesis: str, reference: str) -> tuple[int, int]:
    """Edits and reference length after normalisation."""
    from rapidfuzz.distance import Levenshtein

    ref = normalise(reference)
    return Levenshtein.distance(normalise(hypothesis), ref), len(ref)


# --- the page sets -----------------------------------------------------------


def pick_documents(corpus: Path, count: int, seed: int) -> list[Path]:
    """COUNT documents spread over the labels, long enough to fill a page."""
    rows = (corpus / "labels.tsv").read_text("utf-8").splitlines()[1:]
    paths = sorted(corpus / row.split("\t")[0] for row in rows)
    paths = [p for p in paths if len(p.read_text("utf-8")) > 600]
    random.Random(seed).shuffle(paths)
    return paths[:count]


def render_document(path: Path, n: int, seed: int, tables: bool = True) -> tuple[Image.Image, Image.Image, str]:
    """The Nth document's first page: (clean, degraded, its text), as the benchmark sets and the calibration draw it.

    Every second page has a seal stamped over its body, as on real filings; with TABLES every third a table.
    """
    from bench.degrade import degrade
    from bench.pagegen import draw_seal, render_pages

    lines = [line.strip() for line in path.read_text("utf-8").splitlines() if line.strip()]
    title, body = lines[0][:24], "\n".join(lines[1:])
    table = _table(body) if tables and n % 3 == 1 else None
    page = render_pages(title, body, table=table, seed=seed + n)[0]
    if n % 2 == 0:
        rng = random.Random(seed + n)
        draw_seal(page.image, (rng.randint(900, 1700), rng.randint(1200, 2600)), SEALS[n % len(SEALS)])
    return page.image, degrade(page.image, seed=seed * 1000 + n), page.text


def make_sets(out: Path, count: int, corpus: Path = CORPUS, seed: int = 5) -> dict[str, list[tuple[Path, str]]]:
    """Write the clean and degraded page images with their ground truth; returns (image, truth) per set."""
    sets: dict[str, list[tuple[Path, str]]] = {"clean": [], "degraded": []}
    for folder in sets:
        (out / folder).mkdir(parents=True, exist_ok=True)
    for n, path in enumerate(pick_documents(corpus, count, seed)):
        clean, degraded, text = render_document(path, n, seed)
        name = f"{n:03d}"
        clean.save(out / "clean" / f"{name}.png")
        degraded.save(out / "degraded" / f"{name}.png")
        for folder in sets:
            (out / folder / f"{name}.gt.txt").write_text(text, encoding="utf-8")
            sets[folder].append((out / folder / f"{name}.png", text))
    return sets


def _table(body: str) -> list[list[str]]:
    """A small party table built from the document's own words."""
    words = re.findall(r"[\u4e00-\u9fff]{2,6}", body)
    cells = (words + ["原告", "被告", "第三人", "委托代理人"] * 3)[:6]
    return [["当事人", "姓名或名称", "备注"], ["原告", cells[0], cells[1]], ["被告", cells[2], cells[3]]]


def page_pdf(images: list[Path], target: Path) -> None:
    """The page images as a scanned PDF at 300 dpi, what OCRmyPDF is given.

    Each image is stored losslessly with Flate, as scanning software stores a page it
    does not JPEG-compress.  Saved without it (sessions 7-14), PyMuPDF kept every page's
    26 MB of pixels raw: 261 MB for ten pages, which every side read and edossier also
    hashed and kept as the original (notes/issue-18.md, session 15).
    """
    import pymupdf

    pdf = pymupdf.open()
    for image in images:
        page = pdf.new_page(width=595.28, height=841.89)
        page.insert_image(page.rect, filename=str(image))
    pdf.save(target, deflate=True)


# --- running the engines -----------------------------------------------------


@dataclass
class Run:
    engine: str
    set: str
    mode: str
    texts: list[str]
    walls: list[float]
    cpu_s: float
    peak_mib: float

    @property
    def wall_s(self) -> float:
        return statistics.median(self.walls)


def run_child(command: list[str], stdout: Path | None = None, env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Run COMMAND; wall seconds, CPU seconds and peak RSS (MiB) of it and its descendants."""
    start = time.perf_counter()
    with open(stdout or os.devnull, "wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{command[0]} failed: {stderr[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def edossier_env(work: Path, precision: str) -> dict[str, str]:
    """A fresh data folder (no OCR cache, no store) and the precision asked for; the OpenVINO model cache
    is kept where a user's is (a second run of a command finds it, as on a clerk's PC)."""
    return {
        "EDOSSIER_DATA_DIR": str(work / "data"),
        "EDOSSIER_CONFIG": str(work / "none.toml"),
        "EDOSSIER_OCR__BF16": "true" if precision == "bf16" else "false",
    }


def run_ours(
    engine: str, source: Path, work: Path, mode: str, precision: str, keys: Path
) -> tuple[list[str], float, float, float]:
    """`edossier ocr SOURCE --json` (OCR only) or `edossier process SOURCE` to a signed dossier with the key in KEYS
    (end to end)."""
    cli = [sys.executable, "-m", "edossier.pipeline.cli"]
    out = work / "out.json"
    env = edossier_env(work, precision)
    if mode == "ocr":
        wall, cpu, peak = run_child([*cli, "ocr", str(source), "--engine", engine, "--json"], out, env)
        return [page["text"] for page in json.loads(out.read_text("utf-8"))["pages"]], wall, cpu, peak
    case = "（2024）浙0106民初1号"
    shutil.copytree(keys, work / "data" / "keys")
    wall, cpu, peak = run_child([*cli, "process", str(source), "--case", case, "--engine", engine, "--json"], out, env)
    return [], wall, cpu, peak


def signing_keys(keys: Path) -> Path:
    """KEYS holding the signing key of this benchmark's runs, made once: a court's server signs with a key it
    was given, where a fresh data folder would make a new RSA key (~0.14 s) in every timed run."""
    from edossier.bind.devcert import ensure_dev_key

    ensure_dev_key(keys)
    return keys


def run_ocrmypdf(source: Path, work: Path, mode: str) -> tuple[list[str], float, float, float]:
    """OCR only: ``--output-type none --sidecar`` (text, no PDF); end to end: a PDF/A with its text layer."""
    base = [sys.executable, "-m", "ocrmypdf", "-l", "chi_sim+eng"]
    if mode == "ocr":
        sidecar = work / "sidecar.txt"
        wall, cpu, peak = run_child([*base, "--output-type", "none", "--sidecar", str(sidecar), str(source), "-"])
        return sidecar.read_text("utf-8").split("\f"), wall, cpu, peak
    wall, cpu, peak = run_child([*base, "--output-type", "pdfa", str(source), str(work / "ocrmypdf.pdf")])
    return [], wall, cpu, peak


def run_rapidocr(source: Path, work: Path) -> tuple[list[str], float, float, float]:
    """RapidOCR's own pipeline with its defaults, on SOURCE's pages rasterised at 300 dpi (bench/rapidocr_peer.py)."""
    result = work / "rapidocr.json"
    command = [sys.executable, "-m", "bench.ocr", "--worker", "rapidocr-oob", "--result", str(result), str(source)]
    wall, cpu, peak = run_child(command)
    return json.loads(result.read_text("utf-8")), wall, cpu, peak


def single_page(pages: list[tuple[Path, str]], work: Path, runs: int, precision: str) -> tuple[Path, list[float], float]:
    """`edossier ocr PAGE.png` on the densest page (most characters), RUNS times in fresh processes:
    the issue's "single dense A4 page from the command line, model load included" (OpenVINO's
    model cache warm, as on a clerk's PC after the first use).  Wall seconds of each run, CPU s of the last."""
    page = max(pages, key=lambda item: len(normalise(item[1])))[0]
    cli = [sys.executable, "-m", "edossier.pipeline.cli", "ocr", str(page)]
    walls, cpu = [], 0.0
    for _ in range(runs):
        with tempfile.TemporaryDirectory(dir=work) as fresh:
            wall, cpu, _ = run_child(cli, env=edossier_env(Path(fresh), precision))
        walls.append(wall)
    return page, walls, cpu


def done_when(rows: list[dict[str, object]], single: tuple[Path, list[float], float] | None) -> list[str]:
    """The figures issue 18's "Done when" names: OCR only and end to end pages per second against
    OCRmyPDF's (targets 5x and 3x), the CER of the rendered sets (0.2 % clean, 1 % degraded), and one
    dense page's wall time from the command line (2 s)."""
    lines = []
    for row in rows:
        if str(row["engine"]).startswith("edossier-") and row["speed_vs_ocrmypdf"] != "":
            target = 5 if row["mode"] == "OCR only" else 3
            cer = f", CER {row['cer_percent']} %" if row["cer_percent"] != "" else ""
            lines.append(f"{row['set']:9} {row['mode']:10} {row['engine']}: {row['speed_vs_ocrmypdf']}x OCRmyPDF's pages "
                         f"per second (target >= {target}x){cer}")
    if single is not None:
        page, walls, cpu = single
        lines.append(f"single page {page.parent.name}/{page.name}: `edossier ocr` {statistics.median(walls):.2f} s wall median "
                     f"(min {min(walls):.2f}, max {max(walls):.2f}, {len(walls)} runs), {cpu:.2f} CPU s (target <= 2 s wall)")
    return lines


def worker(engine_name: str, source: Path, result: Path) -> None:
    """Child process: RapidOCR out of the box over SOURCE's pages (rendered at 300 dpi, as edossier does)."""
    import numpy as np
    import pymupdf

    from bench.rapidocr_peer import rapidocr_out_of_the_box, read_text

    assert engine_name == "rapidocr-oob"
    engine = rapidocr_out_of_the_box()
    texts = []
    with pymupdf.open(source) as doc:
        for page in doc:
            pix = page.get_pixmap(dpi=300)
            pixels = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, pix.n)[..., ::-1]
            texts.append(read_text(engine, np.ascontiguousarray(pixels)))
    result.write_text(json.dumps(texts, ensure_ascii=False), "utf-8")


def real_set(out: Path) -> list[tuple[Path, str]]:
    """Third-party scans with ground truth (Tesseract's test pages), each as a PDF page at its own resolution."""
    import pymupdf
    from PIL import Image

    folder = out / "real"
    folder.mkdir(parents=True, exist_ok=True)
    pages = []
    pdf = pymupdf.open()
    for name in REAL_SCANS:
        image = SAMPLES / "tesseract" / f"{name}.tif"
        with Image.open(image) as img:
            dpi = float(img.info.get("dpi", (300, 300))[0])
            width, height = img.size[0] * 72 / dpi, img.size[1] * 72 / dpi
        page = pdf.new_page(width=width, height=height)
        page.insert_image(page.rect, filename=str(image))
        pages.append((image, image.with_suffix(".txt").read_text("utf-8")))
    pdf.save(folder / "input.pdf", deflate=True)
    return pages


# --- report ------------------------------------------------------------------


def machine(precision: str) -> str:
    """The CPU and the precision PP-OCR runs in: the ratio to OCRmyPDF depends on both.

    Asked only after the runs: importing OpenVINO here first would add to every child's peak memory.
    """
    from edossier.config import load_settings
    from edossier.ocr.engine import cpu_count
    from edossier.ocr.inference import openvino_precision, pick_runtime
    from edossier.ocr.rapid import INT8_RECOGNISER, bundled_models, recognition_model

    flags = cpu_flags()
    units = ", ".join(f for f in UNITS if f in flags) or "no AVX2"
    if cap := os.environ.get("ONEDNN_MAX_CPU_ISA"):
        units += f"; kernels capped at {cap} (ONEDNN_MAX_CPU_ISA)"
    settings = load_settings(ocr={"bf16": precision == "bf16"}).ocr  # the rest as the runs read it (EDOSSIER_OCR__*)
    if pick_runtime(settings.runtime) == "openvino":
        import openvino

        used = f"OpenVINO {openvino_precision(openvino.Core(), settings.bf16)}"
        if recognition_model(bundled_models(), "openvino", settings.rec_precision, settings.bf16) == INT8_RECOGNISER:
            used += " (recogniser int8, unsure lines again in f32)"
    else:
        used = "ONNX Runtime f32"
    if settings.rec_tiny_first:
        used += "; PP-OCRv6 tiny reads first, lines with digits or unsure go to the small recogniser"
    return f"machine: {cpu_name()} ({units}), {cpu_count()} CPUs; PP-OCR models in {used}"


UNITS = ("avx2", "avx_vnni", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8")
"""The vector units PP-OCR's speed depends on: f32 on AVX2 or AVX-512, int8 with or without VNNI/AMX, bfloat16."""


def report(runs: list[Run], truths: dict[str, list[str]], out: Path, where: str) -> list[dict[str, object]]:
    """One row per set, mode and engine: CER (OCR-only runs), median wall time with min and max, ratio to OCRmyPDF."""
    rows = []
    base = {(r.set, r.mode): r for r in runs if r.engine == "ocrmypdf"}
    for run in runs:
        pages = len(truths[run.set])
        error = ""
        if run.texts:
            edits = length = 0
            for text, truth in zip(run.texts, truths[run.set], strict=False):
                e, n = cer(text, truth)
                edits, length = edits + e, length + n
            error = round(100 * edits / length, 3)
        pps = pages / run.wall_s
        ref = base.get((run.set, run.mode))
        rows.append(
            {
                "set": run.set,
                "mode": {"ocr": "OCR only", "e2e": "end to end"}[run.mode],
                "engine": run.engine,
                "pages": pages,
                "runs": len(run.walls),
                "cer_percent": error,
                "s_per_page": round(run.wall_s / pages, 2),
                "min_max_s_per_page": f"{min(run.walls) / pages:.2f}-{max(run.walls) / pages:.2f}",
                "cpu_s_per_page": round(run.cpu_s / pages, 2),
                "pages_per_s": round(pps, 3),
                "peak_mib": round(run.peak_mib),
                "speed_vs_ocrmypdf": round(pps / (pages / ref.wall_s), 2) if ref else "",
            }
        )
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "ocr.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    header = "| " + " | ".join(rows[0]) + " |"
    lines = [header, "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(str(v) for v in row.values()) + " |" for row in rows]
    (out / "ocr.md").write_text(where + "\n\n" + "\n".join(lines) + "\n", encoding="utf-8")
    ocr_only = [r for r in rows if r["mode"] == "OCR only"]
    if ocr_only:  # `--modes e2e` has no text to score
        chart(ocr_only, out / "ocr.png")
    return rows


def chart(rows: list[dict[str, object]], target: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sets = sorted({str(r["set"]) for r in rows})
    engines = list(dict.fromkeys(str(r["engine"]) for r in rows))
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    width = 0.8 / len(engines)
    for k, engine in enumerate(engines):
        for ax, key in zip(axes, ("cer_percent", "pages_per_s"), strict=True):
            values = [next(float(r[key] or 0) for r in rows if r["set"] == s and r["engine"] == engine) for s in sets]
            ax.bar([i + k * width for i in range(len(sets))], values, width, label=engine)
    for ax, title in zip(axes, ("character error rate (%)", "pages per second"), strict=True):
        ax.set_xticks([i + width * (len(engines) - 1) / 2 for i in range(len(sets))], sets)
        ax.set_title(title)
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(target, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=10, help="pages per rendered set (default 10)")
    parser.add_argument("--seed", type=int, default=11, help="rendered pages' seed (5 was used to tune settings)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per engine (median, min, max; default 3)")
    parser.add_argument("--engines", default="rapidocr", help="our engines to run, comma-separated (rapidocr, tesseract)")
    parser.add_argument("--modes", default="ocr,e2e", help="ocr (text only) and/or e2e (PDF/A vs signed dossier)")
    parser.add_argument("--sets", default="clean,degraded,real", help="rendered clean/degraded, real third-party scans")
    parser.add_argument("--precision", choices=("f32", "bf16"), default="f32",
                        help="PP-OCR precision; f32 is what CPUs without bfloat16 run (the target figure)")
    parser.add_argument("--no-ocrmypdf", action="store_true", help="skip the OCRmyPDF baseline")
    parser.add_argument("--no-rapidocr", action="store_true", help="skip RapidOCR out of the box (OCR only)")
    parser.add_argument("--no-single-page", action="store_true", help="skip `edossier ocr` on one dense page")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help=f"labelled texts (default {CORPUS})")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ocr")
    parser.add_argument("--make-pages", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("images", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.images[0], args.result)
        return
    pages_dir = args.out / "pages"
    if args.make_pages:
        for name, pages in make_sets(pages_dir, args.pages, args.corpus, args.seed).items():
            page_pdf([image for image, _ in pages], pages_dir / name / "input.pdf")
        return
    # Pages are made in a child: what a child reports as peak memory starts from its parent's
    # size at fork, so the parent stays small (PyMuPDF loaded up front, the same for every run).
    import pymupdf  # noqa: F401

    sets = [s for s in args.sets.split(",") if s]
    make = [sys.executable, "-m", "bench.ocr", "--make-pages", "--pages", str(args.pages), "--seed", str(args.seed)]
    if {"clean", "degraded"} & set(sets):
        subprocess.run([*make, "--corpus", str(args.corpus), "--out", str(args.out)], check=True)
    truths: dict[str, list[str]] = {}
    if "real" in sets:
        truths["real"] = [truth for _, truth in real_set(pages_dir)]
    # The fresh page images are still being written back to disk for a while; flush them first,
    # so that the writeback does not run during (and slow down) whichever engine is timed first.
    os.sync()
    runs = []
    ours = [e for e in args.engines.split(",") if e]
    keys = signing_keys(args.out / "keys")
    for name in sets:
        if name != "real":
            images = sorted((pages_dir / name).glob("*.png"))
            truths[name] = [image.with_suffix(".gt.txt").read_text("utf-8") for image in images]
        source = pages_dir / name / "input.pdf"  # every side reads this same file
        for mode in [m for m in args.modes.split(",") if m]:
            engines = [f"edossier-{e}" for e in ours] + ([] if args.no_ocrmypdf else ["ocrmypdf"])
            if mode == "ocr" and not args.no_rapidocr:
                engines.append("rapidocr-oob")
            for engine in engines:
                walls, texts, cpu, peak = [], [], 0.0, 0.0
                for _ in range(args.runs):
                    with tempfile.TemporaryDirectory() as work:
                        if engine == "ocrmypdf":
                            texts, wall, cpu, peak = run_ocrmypdf(source, Path(work), mode)
                        elif engine == "rapidocr-oob":
                            texts, wall, cpu, peak = run_rapidocr(source, Path(work))
                        else:
                            texts, wall, cpu, peak = run_ours(engine.split("-", 1)[1], source, Path(work), mode, args.precision,
                                                              keys)
                    walls.append(wall)
                runs.append(Run(engine, name, mode, texts, walls, cpu, peak))
                print(f"{name:9} {mode:4} {engine:20} median {statistics.median(walls):7.1f} s "
                      f"(min {min(walls):.1f}, max {max(walls):.1f})  cpu {cpu:7.1f} s  {peak:6.0f} MiB", flush=True)
                if texts:
                    (args.out / "texts").mkdir(parents=True, exist_ok=True)
                    (args.out / "texts" / f"{name}-{engine}.json").write_text(
                        json.dumps(texts, ensure_ascii=False, indent=1), "utf-8"
                    )
    single = None
    if "clean" in sets and "rapidocr" in ours and not args.no_single_page:
        clean = sorted((pages_dir / "clean").glob("*.png"))
        single = single_page([(image, image.with_suffix(".gt.txt").read_text("utf-8")) for image in clean],
                             pages_dir, args.runs, args.precision)
    where = machine(args.precision)
    print(where)
    rows = report(runs, truths, args.out, where)
    for row in rows:
        print(row)
    summary = done_when(rows, single)
    with open(args.out / "ocr.md", "a", encoding="utf-8") as handle:
        handle.write("\n" + "\n".join(f"- {line}" for line in summary) + "\n")
    print("\n".join(summary))
    drawn = any(row["mode"] == "OCR only" for row in rows)
    print(f"table: {args.out / 'ocr.md'}" + (f"  chart: {args.out / 'ocr.png'}" if drawn else ""))


if __name__ == "__main__":
    main()
