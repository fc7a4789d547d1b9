"""Automatic cataloguing (智能编目): boundaries, types and titles on held-out scanned stacks.

    python -m bench.catalogue [--stacks-per-set 4] [--out bench/results/catalogue]

Stacks are built (bench/stacks.py) from corpus documents held out by document
(``stacks.held_out``): neither the boundary model nor the document-type model
used here saw them (the type model is retrained here on the other documents,
as ``edossier train-classifier`` would train it).  Each stack is drawn at 300
dpi, made to look scanned (bench/degrade.py: paper tint, light fall-off,
noise, speckles, blur, JPEG, a slight turn), written as one image PDF, and read
the way ``edossier process`` reads it: ingest, cleanup, the default OCR engine.
OCR results are cached by page hash under the work folder, so a rerun costs the
cataloguing only; the OCR seconds of the first run are kept beside the cache.

Sets: ``plain`` (no catalogue page, no stamps; page footers as the stack
draws them), ``volume`` (a front 卷内目录 page and archive page stamps) and
``catalogue`` (a front 卷内目录, no stamps: 页号 taken in page order).
Baselines: one document per file, and a new document at every page whose top
lines name a type (classify's title rules).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from edossier.classify.cataloguing import CataloguedDocument, Found, catalogue_documents
from edossier.classify.classifier import predict
from edossier.classify.model import DoctypeModel
from edossier.classify.page_reading import PageReading, read_page
from edossier.classify.synthetic import synthetic_examples
from edossier.classify.title_rules import match_title
from edossier.classify.training import Example, train

from bench.machine import machine
from bench.degrade import degrade, rotate
from bench.stacks import (
    Stack,
    draw,
    held_out,
    normalise_title,
    random_stacks,
    read_corpus_docs,
)
from edossier.types import Classification, OcrPage

OUT = Path(__file__).resolve().parent / "results" / "catalogue"
SETS = {
    "plain": {"catalogue": False, "stamped": False},
    "volume": {"catalogue": True, "stamped": True},
    "catalogue": {"catalogue": True, "stamped": False},
}


@dataclass
class Scored:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    docs: int = 0
    type_right: int = 0
    title_right: int = 0
    lost: int = 0
    doubled: int = 0
    seconds: float = 0.0
    pages: int = 0

    def add(self, other: Scored) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def summary(self) -> dict[str, float]:
        p = self.tp / max(self.tp + self.fp, 1)
        r = self.tp / max(self.tp + self.fn, 1)
        return {
            "precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / max(p + r, 1e-9), 4),
            "type_accuracy": round(self.type_right / max(self.docs, 1), 4),
            "title_exact": round(self.title_right / max(self.docs, 1), 4),
            "documents": self.docs, "pages": self.pages, "lost_pages": self.lost, "doubled_pages": self.doubled,
            "s_per_page": round(self.seconds / max(self.pages, 1), 4),
        }


def score(stack: Stack, found: Sequence[CataloguedDocument]) -> Scored:
    truth = stack.starts - {0}
    predicted = {d.first for d in found} - {0}
    covered = [0] * len(stack.pages)
    for doc in found:
        for i in range(doc.first, doc.last + 1):
            covered[i] += 1
    by_first = {d.first: d for d in found}
    out = Scored(tp=len(truth & predicted), fp=len(predicted - truth), fn=len(truth - predicted),
                 lost=covered.count(0), doubled=sum(c - 1 for c in covered if c > 1), pages=len(stack.pages))
    for doc in stack.docs:
        if doc.label == "卷内目录":
            continue
        out.docs += 1
        hit = by_first.get(doc.first)
        if hit is not None and hit.last == doc.last:
            out.type_right += hit.classification.type == doc.label
            out.title_right += normalise_title(hit.title.value or "") == normalise_title(doc.title)
    return out


def one_per_file(readings: Sequence[PageReading], classify: Callable[[str], Classification]) -> list[CataloguedDocument]:
    classification = classify("\n".join(r.text for r in readings))
    return [CataloguedDocument(0, len(readings) - 1, Found(classification.title, 0.5), classification,
                               Found(None, 0), Found(None, 0), 1.0, "baseline")]


def every_title(readings: Sequence[PageReading], classify: Callable[[str], Classification]) -> list[CataloguedDocument]:
    starts = [0] + [i for i, r in enumerate(readings) if i and match_title("\n".join(ln.text for ln in r.top_lines()))]
    out = []
    for first, after in zip(starts, [*starts[1:], len(readings)]):
        classification = classify("\n".join(r.text for r in readings[first:after]))
        out.append(CataloguedDocument(first, after - 1, Found(classification.title, 0.5), classification,
                                      Found(None, 0), Found(None, 0), 1.0, "baseline"))
    return out


def held_out_doctype_model(docs: list) -> DoctypeModel:
    real = [Example(text=d.text, label=d.label, origin="corpus", name=d.name) for d in docs if not held_out(d.name)]
    return train(real + synthetic_examples(real))


def scanned_pdf(stack: Stack, path: Path, seed: int) -> Path:
    """The stack as a scanner gives it: degraded page images, slightly turned, in one image PDF."""
    rng = random.Random(seed)
    images = [rotate(degrade(draw(page), seed * 100 + i), rng.uniform(-0.8, 0.8)).convert("RGB")
              for i, page in enumerate(stack.pages)]
    path.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(path, save_all=True, append_images=images[1:], resolution=300.0, quality=80)
    return path


def _page_images_hash(pdf: Path) -> str:
    """The hash of the PDF's page images (its own bytes carry the time it was written)."""
    import pymupdf

    digest = hashlib.sha256()
    with pymupdf.open(pdf) as doc:
        for page in doc:
            for image in page.get_images():
                digest.update(doc.xref_stream_raw(image[0]))
    return digest.hexdigest()


def ocr_stack(pdf: Path, work: Path) -> tuple[list[OcrPage | None], float]:
    """Read PDF as ``process`` does (ingest, cleanup, default engine); cached by the PDF's hash and the engine.

    The pages' OCR is also cached by page hash (the pipeline's own cache), so a
    changed stack re-reads only its new pages; the seconds of the first read are
    kept with the cached result.  The engine's cache key names the folder, so a
    changed OCR (another engine version or recogniser) reads the stack again.
    """
    from edossier.config import load_settings
    from edossier.ocr import create_engine
    from edossier.pipeline.page_ocr import ocr_material
    from edossier.pipeline.process import Material

    settings = load_settings(data_dir=work)
    engine = create_engine(settings.ocr)
    key = engine.cache_key().replace("/", "_").replace(":", "_")
    cached = work / "stacks" / key / f"{_page_images_hash(pdf)}.json"  # a name holding both is over 255 bytes
    if cached.exists():
        record = json.loads(cached.read_text())
        return [OcrPage.model_validate(p) if p else None for p in record["pages"]], record["seconds"]
    start = time.perf_counter()
    ocr = ocr_material(Material(path=pdf), settings, engine).ocr
    seconds = time.perf_counter() - start
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps({"seconds": seconds, "pages": [o.model_dump(mode="json") if o else None for o in ocr]}))
    return ocr, seconds


def timed(run: Callable[[], list[CataloguedDocument]], runs: int) -> tuple[list[CataloguedDocument], float]:
    """RUN's result and the median of RUNS wall-clock timings (one slow run on a shared machine is not the figure)."""
    seconds = []
    for _ in range(max(runs, 1)):
        start = time.perf_counter()
        found = run()
        seconds.append(time.perf_counter() - start)
    return found, statistics.median(seconds)


def ocr_timing(pdf: Path, runs: int) -> list[float]:
    """Seconds per page of RUNS uncached reads of PDF (ingest, cleanup, OCR, as ``process`` reads it)."""
    out = []
    for _ in range(max(runs, 1)):
        with tempfile.TemporaryDirectory() as tmp:
            ocr, seconds = ocr_stack(pdf, Path(tmp))
        out.append(round(seconds / max(len(ocr), 1), 3))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stacks-per-set", type=int, default=4)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--truth", action="store_true", help="score on the laid-out lines, without drawing or OCR")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per measurement; the median is reported")
    args = parser.parse_args()
    docs = read_corpus_docs()
    test_docs = [d for d in docs if held_out(d.name)]
    doctypes = held_out_doctype_model(docs)

    def classify(text: str) -> Classification:
        label, confidence, rule = predict(doctypes, text)
        return Classification(type=label, confidence=confidence, title=rule.title if rule else None)

    methods = {"catalogue": lambda r: catalogue_documents(r, classify, doctypes=doctypes),
               "one_per_file": lambda r: one_per_file(r, classify), "every_title": lambda r: every_title(r, classify)}
    results: dict[str, dict[str, dict[str, float]]] = {}
    ocr_seconds = ocr_pages_total = 0.0
    for n, (name, options) in enumerate(SETS.items()):
        stacks = random_stacks(test_docs, args.stacks_per_set, seed=100 + n, sizes=(3, 6), **options)
        totals = {m: Scored() for m in methods}
        for k, stack in enumerate(stacks):
            if args.truth:
                ocr: list[OcrPage | None] = list(stack.ocr())
            else:
                pdf = scanned_pdf(stack, args.out / "stacks" / f"{name}-{k}.pdf", 1000 * n + k)
                ocr, seconds = ocr_stack(pdf, args.out / "work")
                ocr_seconds += seconds
                ocr_pages_total += len(ocr)
            readings = [read_page(o) for o in ocr]
            for method, run in methods.items():
                found, scored_seconds = timed(partial(run, readings), args.runs)
                scored = score(stack, found)
                scored.seconds = scored_seconds
                totals[method].add(scored)
                if method == "catalogue" and (scored.fp or scored.fn):
                    print(f"  {name}-{k}: truth {sorted(stack.starts)} found {[d.first for d in found]}")
        results[name] = {m: t.summary() for m, t in totals.items()}
        print(name, json.dumps(results[name]["catalogue"], ensure_ascii=False))
    ocr_runs = [] if args.truth else ocr_timing(args.out / "stacks" / "plain-0.pdf", args.runs)
    report = {
        "sets": results,
        "ocr_s_per_page_first_run": round(ocr_seconds / max(ocr_pages_total, 1), 3) if ocr_pages_total else None,
        "ocr_s_per_page_plain_0": {"median": round(statistics.median(ocr_runs), 3), "runs": ocr_runs} if ocr_runs else None,
        "timing": f"seconds are wall-clock; cataloguing: median of {args.runs} runs per stack; OCR (ingest, cleanup, "
                  f"engine): median of {args.runs} uncached reads of stack plain-0",
        "machine": {"cpu": machine(),
                    "note": "shared 2-core machine: other sessions ran at the same time, timings are indicative"},
        "truth_lines_only": args.truth,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / ("metrics-truth.json" if args.truth else "metrics.json")).write_text(
        json.dumps(report, ensure_ascii=False, indent=2))
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
