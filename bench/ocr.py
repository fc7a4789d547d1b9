"""OCR benchmark: our engines against OCRmyPDF on the same court pages, in one run.

    python -m bench.ocr [--pages 10] [--engines rapidocr,tesseract] [--out bench/results/ocr]

Pages are rendered from ../shared/corpus texts by bench/pagegen.py (A4, 300 dpi,
Noto CJK: title, paragraphs, on some pages a table and a red seal stamped over the
text), as a clean set and a scan-degraded set (bench/degrade.py, fixed seeds).
Each engine runs in its own child process over every page, with the pipeline's
own parallel ``ocr_pages`` (jobs = CPUs, engine threads within that budget);
OCRmyPDF runs ``ocrmypdf -l chi_sim+eng`` with its defaults on a PDF of the same
page images.  Wall time and peak memory are those of the child process and its
descendants, start-up and model loading included, so both sides pay for the same
work: a page image in, its text out.

Character error rate = edit distance / reference length after normalising both
texts: Unicode NFKC (folds full-width letters, digits and ，；：（）to half-width),
curly quotes to straight ones, and all whitespace removed (line breaks and the
spaces some engines put between CJK characters are not errors of reading).

On a shared machine timings are noisy; compare engines by the ratios from one run.
CPU seconds (user + system of the child and its descendants) are reported beside
wall time: they depend much less on what else the machine is doing.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = next((p / "shared" / "corpus" for p in ROOT.parents if (p / "shared" / "corpus").is_dir()), ROOT / "corpus")
QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "〝": '"', "〞": '"', "_": None})
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


def make_sets(out: Path, count: int, corpus: Path = CORPUS, seed: int = 5) -> dict[str, list[tuple[Path, str]]]:
    """Write the clean and degraded page images with their ground truth; returns (image, truth) per set."""
    from bench.degrade import degrade
    from bench.pagegen import draw_seal, render_pages

    sets: dict[str, list[tuple[Path, str]]] = {"clean": [], "degraded": []}
    for folder in sets:
        (out / folder).mkdir(parents=True, exist_ok=True)
    for n, path in enumerate(pick_documents(corpus, count, seed)):
        lines = [line.strip() for line in path.read_text("utf-8").splitlines() if line.strip()]
        title, body = lines[0][:24], "\n".join(lines[1:])
        table = _table(body) if n % 3 == 1 else None
        page = render_pages(title, body, table=table, seed=seed + n)[0]
        if n % 2 == 0:  # a seal stamped over the body text, as on real filings
            rng = random.Random(seed + n)
            draw_seal(page.image, (rng.randint(900, 1700), rng.randint(1200, 2600)), SEALS[n % len(SEALS)])
        name = f"{n:03d}"
        page.image.save(out / "clean" / f"{name}.png")
        degrade(page.image, seed=seed * 1000 + n).save(out / "degraded" / f"{name}.png")
        for folder in sets:
            (out / folder / f"{name}.gt.txt").write_text(page.text, encoding="utf-8")
            sets[folder].append((out / folder / f"{name}.png", page.text))
    return sets


def _table(body: str) -> list[list[str]]:
    """A small party table built from the document's own words."""
    words = re.findall(r"[\u4e00-\u9fff]{2,6}", body)
    cells = (words + ["原告", "被告", "第三人", "委托代理人"] * 3)[:6]
    return [["当事人", "姓名或名称", "备注"], ["原告", cells[0], cells[1]], ["被告", cells[2], cells[3]]]


def page_pdf(images: list[Path], target: Path) -> None:
    """The page images as a scanned PDF at 300 dpi, what OCRmyPDF is given."""
    import pymupdf

    pdf = pymupdf.open()
    for image in images:
        page = pdf.new_page(width=595.28, height=841.89)
        page.insert_image(page.rect, filename=str(image))
    pdf.save(target)


# --- running the engines -----------------------------------------------------


@dataclass
class Run:
    engine: str
    set: str
    texts: list[str]
    wall_s: float
    cpu_s: float
    peak_mib: float


def run_child(command: list[str]) -> tuple[float, float, float]:
    """Run COMMAND; wall seconds, CPU seconds and peak RSS (MiB) of it and its descendants."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{command[0]} failed: {stderr[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def run_engine(engine: str, images: list[Path], work: Path) -> tuple[list[str], float, float, float]:
    result = work / f"{engine}.json"
    command = [sys.executable, "-m", "bench.ocr", "--worker", engine, "--result", str(result), *map(str, images)]
    wall, cpu, peak = run_child(command)
    return json.loads(result.read_text("utf-8")), wall, cpu, peak


def run_ocrmypdf(source: Path, work: Path) -> tuple[list[str], float, float, float]:
    import pymupdf

    target = work / "ocrmypdf.pdf"
    wall, cpu, peak = run_child([sys.executable, "-m", "ocrmypdf", "-l", "chi_sim+eng", str(source), str(target)])
    with pymupdf.open(target) as doc:
        return [page.get_text() for page in doc], wall, cpu, peak


def worker(engine_name: str, images: list[Path], result: Path) -> None:
    """Child process: OCR IMAGES with the pipeline's parallel ocr_pages, write the texts."""
    from edossier.config import OcrSettings
    from edossier.ocr import create_engine
    from edossier.pipeline.page_ocr import ocr_pages
    from edossier.types import Page

    engine = create_engine(OcrSettings(engine=engine_name))
    pages = [
        Page(
            source_sha256="bench",
            index=i,
            sha256=hashlib.sha256(image.read_bytes()).hexdigest(),
            kind="raster",
            image=image,
            recognition_image=image,
        )
        for i, image in enumerate(images)
    ]
    from edossier.ocr.engine import cpu_count

    with tempfile.TemporaryDirectory() as cache:
        results = ocr_pages(pages, engine, Path(cache), jobs=cpu_count())
    result.write_text(json.dumps([r.text if r else "" for r in results], ensure_ascii=False), "utf-8")


# --- report ------------------------------------------------------------------


def machine() -> str:
    """The CPU and the precision PP-OCR runs in: the ratio to OCRmyPDF depends on both.

    Asked only after the runs: importing OpenVINO here first would add to every child's peak memory.
    """
    from edossier.config import OcrSettings
    from edossier.ocr.engine import cpu_count
    from edossier.ocr.inference import openvino_precision, pick_runtime

    cpuinfo = Path("/proc/cpuinfo")
    names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")]
    cpu = names[0] if names else platform.processor()
    settings = OcrSettings()
    if pick_runtime(settings.runtime) == "openvino":
        import openvino

        precision = f"OpenVINO {openvino_precision(openvino.Core(), settings.bf16)}"
    else:
        precision = "ONNX Runtime f32"
    return f"machine: {cpu}, {cpu_count()} CPUs; PP-OCR models in {precision}"


def report(runs: list[Run], truths: dict[str, list[str]], out: Path, where: str) -> list[dict[str, object]]:
    rows = []
    base = {r.set: r for r in runs if r.engine == "ocrmypdf"}
    for run in runs:
        edits = length = 0
        for text, truth in zip(run.texts, truths[run.set], strict=True):
            e, n = cer(text, truth)
            edits, length = edits + e, length + n
        pages = len(truths[run.set])
        pps = pages / run.wall_s
        ref = base.get(run.set)
        rows.append(
            {
                "set": run.set,
                "engine": run.engine,
                "pages": pages,
                "cer_percent": round(100 * edits / length, 3),
                "s_per_page": round(run.wall_s / pages, 2),
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
    chart(rows, out / "ocr.png")
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
            values = [next(float(r[key]) for r in rows if r["set"] == s and r["engine"] == engine) for s in sets]
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
    parser.add_argument("--pages", type=int, default=10, help="pages per set (default 10)")
    parser.add_argument("--engines", default="rapidocr,tesseract", help="our engines to run, comma-separated")
    parser.add_argument("--no-ocrmypdf", action="store_true", help="skip the OCRmyPDF baseline")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help=f"labelled texts (default {CORPUS})")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ocr")
    parser.add_argument("--make-pages", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("images", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.images, args.result)
        return
    pages_dir = args.out / "pages"
    if args.make_pages:
        for name, pages in make_sets(pages_dir, args.pages, args.corpus).items():
            page_pdf([image for image, _ in pages], pages_dir / name / "input.pdf")
        return
    # Pages are made in a child: what a child reports as peak memory starts from its parent's
    # size at fork, so the parent stays small (PyMuPDF loaded up front, the same for every run).
    import pymupdf  # noqa: F401

    make = [sys.executable, "-m", "bench.ocr", "--make-pages", "--pages", str(args.pages), "--corpus", str(args.corpus)]
    subprocess.run([*make, "--out", str(args.out)], check=True)
    # The fresh page images are still being written back to disk for a while; flush them first,
    # so that the writeback does not run during (and slow down) whichever engine is timed first.
    os.sync()
    runs = []
    truths: dict[str, list[str]] = {}
    engines = [e for e in args.engines.split(",") if e] + ([] if args.no_ocrmypdf else ["ocrmypdf"])
    for name in ("clean", "degraded"):
        images = sorted((pages_dir / name).glob("*.png"))
        truths[name] = [image.with_suffix(".gt.txt").read_text("utf-8") for image in images]
        for engine in engines:
            with tempfile.TemporaryDirectory() as work:
                if engine == "ocrmypdf":
                    texts, wall, cpu, peak = run_ocrmypdf(pages_dir / name / "input.pdf", Path(work))
                else:
                    texts, wall, cpu, peak = run_engine(engine, images, Path(work))
            runs.append(Run(engine, name, texts, wall, cpu, peak))
            print(f"{name:9} {engine:10} {wall:7.1f} s  cpu {cpu:7.1f} s  {peak:6.0f} MiB", flush=True)
            (args.out / "texts").mkdir(parents=True, exist_ok=True)
            (args.out / "texts" / f"{name}-{engine}.json").write_text(
                json.dumps(texts, ensure_ascii=False, indent=1), "utf-8"
            )
    where = machine()
    print(where)
    for row in report(runs, truths, args.out, where):
        print(row)
    print(f"table: {args.out / 'ocr.md'}  chart: {args.out / 'ocr.png'}")


if __name__ == "__main__":
    main()
