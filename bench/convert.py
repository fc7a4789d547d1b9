"""Word conversion benchmark: a 10-page .docx through the warm converter, against a cold LibreOffice per file.

    python -m bench.convert [--runs 5] [--out bench/results/convert]

The 10-page document is made from real files: python-docx's own test document (tests/data/intake, MIT) gives
the package (styles, settings), and a real published judgment from the project's corpus copy
(tests/data/classify/mini-corpus, 判决书/wenshu_pj_3c5f2393.txt) gives the text, its paragraphs repeated until
LibreOffice lays it out on exactly 10 pages. Target (issue 21): ≤ 3 s per conversion with the converter warm.
The peer is what a naive intake does: ``soffice --headless --convert-to pdf`` started cold for each file.
Also reported: the converted PDF's character recall against the document's own text, and the OFD samples'
conversion time with this project's renderer. Timings on a shared machine are indicative: the CPU model and
the load average are written with them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import docx
import pymupdf

from edossier.config import LimitsSettings
from edossier.ingest.office import convert_to_pdf, warm_up
from edossier.ingest.ofd_intake import ofd_to_pdf
from tests.ingest.intake_truth import DATA, char_recall, docx_text
from bench.machine import cpu_name

ROOT = Path(__file__).resolve().parent.parent
JUDGMENT = ROOT / "tests" / "data" / "classify" / "mini-corpus" / "docs" / "判决书" / "wenshu_pj_3c5f2393.txt"
BASE = DATA / "python-docx-test.docx"
PAGES = 10



def make_docx(target: Path, count: int) -> None:
    """The base package with the judgment's first COUNT paragraphs, cycling through them again as needed."""
    paragraphs = [p.strip() for p in JUDGMENT.read_text(encoding="utf-8").splitlines() if p.strip()]
    document = docx.Document(str(BASE))
    for n in range(count):
        document.add_paragraph(paragraphs[n % len(paragraphs)])
    document.save(str(target))


def page_count(source: Path, work: Path, timeout: float) -> int:
    out = work / "probe.pdf"
    out.unlink(missing_ok=True)
    convert_to_pdf(source, out, timeout)
    with pymupdf.open(out) as pdf:
        return pdf.page_count


def ten_pages(work: Path, timeout: float) -> Path:
    """A .docx that converts to exactly PAGES pages: the paragraph count found by bisection."""
    target = work / "judgment-10-pages.docx"
    low, high = 1, 2000
    while low < high:
        middle = (low + high) // 2
        make_docx(target, middle)
        if page_count(target, work, timeout) < PAGES:
            low = middle + 1
        else:
            high = middle
    make_docx(target, low)
    if page_count(target, work, timeout) != PAGES:
        raise SystemExit(f"could not lay out exactly {PAGES} pages")
    return target


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def summary(values: list[float]) -> dict[str, float]:
    return {"median_s": round(statistics.median(values), 3), "min_s": round(min(values), 3),
            "max_s": round(max(values), 3), "runs": len(values)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "convert")
    args = parser.parse_args()
    limits = LimitsSettings()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        start_s = timed(warm_up)
        source = ten_pages(work, limits.convert_timeout_s)
        warm = []
        for n in range(args.runs):
            target = work / f"warm-{n}.pdf"
            warm.append(timed(lambda: convert_to_pdf(source, target, limits.convert_timeout_s)))  # noqa: B023
        with pymupdf.open(work / "warm-0.pdf") as pdf:
            pages = pdf.page_count
            recall = char_recall(docx_text(source), "".join(page.get_text() for page in pdf))
        cold = []
        soffice = shutil.which("soffice") or "soffice"
        for n in range(args.cold_runs):
            outdir = work / f"cold-{n}"
            profile = work / f"profile-{n}"
            cmd = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
                   "--outdir", str(outdir), str(source)]
            cold.append(timed(lambda: subprocess.run(cmd, check=True, capture_output=True, timeout=300)))  # noqa: B023
        ofd = {}
        for name in ("n.ofd", "zsbk.ofd", "20240531141733.ofd", "fptpl.ofd"):
            runs = [timed(lambda: ofd_to_pdf(DATA / name, work / "ofd.pdf", limits)) for _ in range(3)]  # noqa: B023
            ofd[name] = summary(runs)
    result = {
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "shared_machine": True,
        "document": f"{PAGES}-page .docx: {BASE.name} package + {JUDGMENT.name} paragraphs repeated",
        "pages": pages,
        "converter_start_s": round(start_s, 2),
        "warm_unoserver": summary(warm),
        "cold_soffice_per_file": summary(cold),
        "cold_over_warm": round(statistics.median(cold) / statistics.median(warm), 1),
        "target_s": 3.0,
        "meets_target": statistics.median(warm) <= 3.0,
        "text_recall": round(recall, 4),
        "ofd_render": ofd,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "convert.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
