"""Cleanup benchmark: orientation, skew, blank pages, seals and time per page, on known degradations.

    python -m bench.cleanup [--pages 64] [--few-lines 24] [--ocr 4] [--out bench/results/cleanup]

Pages are rendered from the labelled corpus (bench.pagegen, 300 dpi, a red seal on
every third), some with the full text and some with only a title and a short line;
each is turned by a known quarter turn and skew, and degraded as a scanner would
(bench.degrade), sometimes with black edges or as a phone photo.  Blank pages are
yellowish paper with speckles, punch holes and the back page's print showing
through.  Time is CPU time of one thread (OpenCV and ONNX Runtime limited to one),
for the in-memory cleanup and, separately, with reading and writing the PNG files,
because wall time on a shared machine measures the neighbours.
``--few-lines N`` adds a separate report on N pages of a title and 3–7 short lines, the
hardest for the skew estimate.  ``--ocr N`` also reads N degraded pages with Tesseract (chi_sim), raw and cleaned,
and compares the character error rates.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from bench.degrade import ScanDegradation, add_scanner_border, degrade, photograph, punch_holes, rotate, show_through
from bench.pagegen import render_pages
from edossier.config import CleanupSettings, OcrSettings
from edossier.ingest.cleanup import clean_image, clean_page
from edossier.ingest.ink import seal_mask
from edossier.types import Page

ROOT = Path(__file__).resolve().parent.parent
CORPUS = next((p / "shared" / "corpus" for p in ROOT.parents if (p / "shared" / "corpus").is_dir()), ROOT / "corpus")
SEALS = ("浙江省杭州市西湖区人民法院", "浙江某某律师事务所", "杭州某某科技有限公司")


@dataclass
class Case:
    name: str
    image: Image.Image
    rotation: int
    skew: float
    blank: bool
    kind: str
    sealed: bool = False


def documents(corpus: Path, count: int, seed: int) -> list[tuple[str, str, str]]:
    """(name, title, body) of COUNT corpus documents, a fixed sample."""
    files = sorted((corpus / "docs").rglob("*.txt"))
    picked = random.Random(seed).sample(files, min(count, len(files)))
    out = []
    for path in picked:
        lines = [line.strip() for line in path.read_text("utf-8").splitlines() if line.strip()]
        if len(lines) >= 2:
            out.append((path.stem, lines[0][:20], "\n".join(lines[1:])))
    return out


def make_cases(count: int, corpus: Path, seed: int = 4) -> list[Case]:
    rng = random.Random(seed)
    docs = documents(corpus, count, seed)
    cases = []
    for i, (name, title, body) in enumerate(docs):
        short = i % 4 == 3
        text = body[: rng.randint(30, 90)] if short else body
        seal = SEALS[i % len(SEALS)] if i % 3 == 0 else None
        pages = render_pages(title, text, seal_text=seal, seed=i)
        page = pages[-1] if seal else pages[0]
        rotation = (i % 4) * 90
        skew = 0.0 if i % 8 == 0 else rng.uniform(-1, 1) if i % 8 < 3 else rng.uniform(-20, 20)
        image = rotate(page.image, rotation + skew)
        kind = "scan"
        if i % 10 == 9:
            image, _ = photograph(rotate(page.image, rotation), seed=i)
            skew, kind = 0.0, "photo"
        elif i % 5 == 2:
            image = add_scanner_border(image, 90, seed=i)
            kind = "scan+border"
        image = degrade(image, seed=i)
        cases.append(Case(f"{name}{'-short' if short else ''}", image, rotation, round(skew, 3), False, kind, seal is not None))
    backs = [render_pages(t, b, seed=k)[0].image for k, (_, t, b) in enumerate(docs[:4])]
    for k in range(max(4, count // 4)):
        blank = Image.new("RGB", (2480, 3508), (255, 255, 255))
        if k % 2 == 0:
            blank = show_through(blank, backs[k % len(backs)], strength=0.08 + 0.04 * (k % 3))
        if k % 3 != 1:
            blank = punch_holes(blank, seed=k)
        spec = ScanDegradation(paper_tint=0.06 + 0.03 * (k % 4), speckles=400 + 200 * (k % 3))
        image = degrade(rotate(blank, rng.uniform(-3, 3)), seed=100 + k, spec=spec)
        cases.append(Case(f"blank-{k}", image, 0, 0.0, True, "blank"))
    return cases


def few_line_cases(count: int, corpus: Path, seed: int = 7) -> list[Case]:
    """COUNT pages of a title and 3–7 short lines (notices, letters, forms' headers), turned and skewed.

    The hardest pages for the skew estimate: little line structure to measure.
    """
    rng = random.Random(seed)
    cases = []
    for i, (name, title, body) in enumerate(documents(corpus, count, seed)):
        lines = [line[: rng.randint(4, 18)] for line in body.splitlines()[: rng.randint(3, 7)]]
        page = render_pages(title, "\n".join(lines), seed=i)[0].image
        rotation = (i % 4) * 90
        skew = rng.choice([-1, 1]) * rng.uniform(0.5, 18)
        image = degrade(rotate(page, rotation + skew), seed=i)
        cases.append(Case(f"{name}-few", image, rotation, round(skew, 3), False, "few-lines"))
    return cases


def red_pixels(image: np.ndarray) -> int:
    mask = seal_mask(image)
    return 0 if mask is None else cv2.countNonZero(mask)


def run(cases: list[Case], settings: CleanupSettings, work: Path) -> dict[str, object]:
    cv2.setNumThreads(1)
    rows = []
    for case in cases:
        bgr = cv2.cvtColor(np.asarray(case.image), cv2.COLOR_RGB2BGR)
        start = time.process_time()
        cleaned = clean_image(bgr, 300.0, settings)
        cpu_ms = (time.process_time() - start) * 1000
        path = work / f"{case.name}.png"
        cv2.imwrite(str(path), bgr, [cv2.IMWRITE_PNG_COMPRESSION, 1])
        page = Page(source_sha256="bench", index=0, sha256=case.name, kind="raster", image=path, dpi=300.0)
        start = time.process_time()
        clean_page(page, settings, work)
        io_ms = (time.process_time() - start) * 1000
        kept = cleaned.kept if cleaned.kept is not None else bgr
        row = {
            "page": case.name,
            "kind": case.kind,
            "rotation": cleaned.rotation,
            "expected_rotation": case.rotation,
            "skew": cleaned.skew,
            "expected_skew": case.skew,
            "blank": cleaned.blank,
            "expected_blank": case.blank,
            "cpu_ms": round(cpu_ms, 1),
            "cpu_ms_with_png_io": round(io_ms, 1),
        }
        if case.sealed:
            row["seal_red_kept"] = round(red_pixels(kept) / max(1, red_pixels(bgr)), 3)
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), file=sys.stderr)
    return summarise(rows)


def summarise(rows: list[dict]) -> dict[str, object]:
    text = [r for r in rows if not r["expected_blank"]]
    scans = [r for r in text if r["kind"] != "photo"]
    errors = [abs(r["skew"] - r["expected_skew"]) for r in scans]
    predicted = [r["blank"] for r in rows]
    truth = [r["expected_blank"] for r in rows]
    hits = sum(p and t for p, t in zip(predicted, truth))
    seals = [r["seal_red_kept"] for r in rows if "seal_red_kept" in r]
    return {
        "pages": len(rows),
        "text_pages": len(text),
        "blank_pages": sum(truth),
        "orientation_accuracy": sum(r["rotation"] == r["expected_rotation"] for r in text) / max(1, len(text)),
        "skew_error_median_deg": round(statistics.median(errors), 3) if errors else None,
        "skew_error_max_deg": round(max(errors), 3) if errors else None,
        "blank_precision": hits / sum(predicted) if any(predicted) else None,
        "blank_recall": hits / sum(truth) if any(truth) else None,
        "cpu_ms_median": statistics.median(r["cpu_ms"] for r in rows),
        "cpu_ms_with_png_io_median": statistics.median(r["cpu_ms_with_png_io"] for r in rows),
        "seal_red_pixels_kept_min": min(seals) if seals else None,
        "wrong": [r["page"] for r in rows if r["rotation"] != r["expected_rotation"] or r["blank"] != r["expected_blank"]],
    }


def character_error_rate(hypothesis: str, reference: str) -> float:
    """Levenshtein distance over characters (whitespace ignored) per reference character."""
    hyp = [c for c in unicodedata.normalize("NFKC", hypothesis) if not c.isspace()]
    ref = [c for c in unicodedata.normalize("NFKC", reference) if not c.isspace()]
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1] / max(1, len(ref))


def ocr_comparison(count: int, corpus: Path, settings: CleanupSettings, work: Path) -> dict[str, object]:
    """Tesseract chi_sim on degraded, skewed scans: raw image against the cleaned recognition image."""
    from edossier.ocr import create_engine

    engine = create_engine(OcrSettings(engine="tesseract"))
    rng = random.Random(11)
    rows = []
    for i, (name, title, body) in enumerate(documents(corpus, count, seed=11)):
        page = render_pages(title, body, seal_text=SEALS[i % len(SEALS)], seed=i)[0]
        skew = rng.choice([-1, 1]) * rng.uniform(1.5, 6)
        spec = ScanDegradation(paper_tint=0.12, light_falloff=0.25, noise_sigma=10, speckles=1500)
        image = degrade(add_scanner_border(rotate(page.image, skew), 90, seed=i), seed=i, spec=spec)
        raw = work / f"ocr-raw-{i}.png"
        image.save(raw)
        cleaned = clean_page(Page(source_sha256="bench", index=i, sha256=f"ocr-{i}", kind="raster", image=raw), settings, work)
        assert cleaned.recognition_image is not None
        raw_cer = character_error_rate(engine.recognize(raw).text, page.text)
        clean_cer = character_error_rate(engine.recognize(cleaned.recognition_image).text, page.text)
        rows.append({"page": name, "skew": round(skew, 2), "cer_raw": round(raw_cer, 4), "cer_cleaned": round(clean_cer, 4)})
        print(json.dumps(rows[-1], ensure_ascii=False), file=sys.stderr)
    return {
        "pages": rows,
        "cer_raw_mean": round(statistics.mean(r["cer_raw"] for r in rows), 4),
        "cer_cleaned_mean": round(statistics.mean(r["cer_cleaned"] for r in rows), 4),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=64, help="text pages (blank pages are added: a quarter as many)")
    parser.add_argument("--ocr", type=int, default=0, help="pages for the raw-vs-cleaned OCR comparison")
    parser.add_argument("--few-lines", type=int, default=0, help="extra pages of a title and a few short lines")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "cleanup")
    args = parser.parse_args(argv)
    settings = CleanupSettings()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        report: dict[str, object] = {}
        if args.pages:
            report["cleanup"] = run(make_cases(args.pages, args.corpus), settings, Path(tmp))
        if args.few_lines:
            report["few_lines"] = run(few_line_cases(args.few_lines, args.corpus), settings, Path(tmp))
        if args.ocr:
            report["ocr"] = ocr_comparison(args.ocr, args.corpus, settings, Path(tmp))
    (args.out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
