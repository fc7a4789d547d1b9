"""Benchmark: the bind stage for N A4 300-dpi pages, and the per-page image encoding it relies on.

    python -m bench.bind                  # bind stage at 250, 500, 1,000 pages (fresh process each), then encoding
    python -m bench.bind --sizes 250      # while iterating
    python -m bench.bind --pages 1000     # one size, in this process
    python -m bench.bind --unencoded      # pages not encoded before: binding encodes them (the fallback)
    python -m bench.bind --sizes ""       # the per-page encoding cost alone

What "binding" is here: from classified documents (pages, OCR results) whose
page images were encoded in the per-page stage (``encode_for_binding`` beside
OCR; here: written into the cache before the clock starts, one entry per page),
to a signed, verified PDF: reading the encoded images, the text layer, cover,
catalogue, closing sheet, page numbers, chunks, the PDF/A join (qpdf) and the
signature; verification is timed apart.  Each size runs in a fresh process
that only binds, so its peak RSS is binding's.

The per-page encoding (PNG decode, colour test, G4 or JPEG, cache write) now
runs in the per-page stage, in parallel with OCR; it is measured apart as CPU
milliseconds per page through the same ``encode_for_binding`` step.

Ten pages are rendered once by pagegen (text pages, two with a red seal) and
saved as intake saves page images (PNG, zlib level 1), each with its
ground-truth text as the OCR result; pages reuse them in rotation under
distinct page hashes.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edossier.config import BindSettings

DISTINCT = 10
PER_DOCUMENT = 10
ENCODE_ROUNDS = 3
TARGET = {"pages": 1000, "seconds": 30.0, "peak_rss_mb": 500.0}


def render_samples(folder: Path) -> None:
    """DISTINCT page images with their ground-truth OCR, written to FOLDER (done once, outside the measure)."""
    from bench.pagegen import ground_truth_ocr, render_pages

    body = "原告张三诉被告李四民间借贷纠纷一案，本院于二〇二〇年三月二日立案后，依法适用简易程序，公开开庭进行了审理。" * 8
    for index in range(DISTINCT):
        rendered = render_pages(f"材料{index + 1}", body, seal_text="杭州市上城区人民法院" if index % 5 == 0 else None,
                                seed=index)[0]
        rendered.image.save(folder / f"page-{index}.png", compress_level=1)  # as ingest/pages.py writes them
        (folder / f"page-{index}.json").write_text(ground_truth_ocr(rendered).model_dump_json())


def _cpu_s() -> float:
    """CPU seconds of this process and its finished children (encoding workers, qpdf)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _encode_pages(images: list[Path], pages: int, cache: Path, settings: BindSettings) -> None:
    """What the per-page stage leaves for PAGES pages: one cache entry per page hash."""
    from edossier.bind.image_codec import codec_settings, encode_page_image, write_cached

    codec = codec_settings(settings)
    encoded = [encode_page_image(path, codec) for path in images]
    for number in range(pages):
        write_cached(encoded[number % DISTINCT], f"page-{number}", codec, cache)


def _reset_peak_rss() -> None:
    """Forget this process's memory high-water mark so far (Linux).

    getrusage's ru_maxrss is kept across fork and exec: a size run started by a
    parent that had rendered the sample pages began at the parent's 600 MB.
    """
    Path("/proc/self/clear_refs").write_text("5")


def _peak_rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024


def run(pages: int, jobs: int, encoded: bool, samples_dir: Path) -> dict[str, object]:
    from edossier.bind.assemble import DossierMetadata, assemble
    from edossier.bind.devcert import DEV_PASSPHRASE, ensure_dev_key
    from edossier.bind.sign import SignatureSpec, seal_version
    from edossier.bind.verify import verify_pdf
    from edossier.config import BindSettings
    from edossier.types import Classification, Document, OcrPage, Page

    settings = BindSettings(jobs=jobs)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        samples = [(samples_dir / f"page-{i}.png",
                    OcrPage.model_validate_json((samples_dir / f"page-{i}.json").read_text())) for i in range(DISTINCT)]
        cache = folder / "bind-images"
        if encoded:  # in a child process, so that this one's peak RSS is binding's
            with ProcessPoolExecutor(1) as pool:
                pool.submit(_encode_pages, [path for path, _ in samples], pages, cache, settings).result()
        documents = []
        for start in range(0, pages, PER_DOCUMENT):
            numbers = range(start, min(start + PER_DOCUMENT, pages))
            documents.append(Document(
                title=f"证据材料{start // PER_DOCUMENT + 1}", source_sha256=f"s{start}",
                pages=tuple(Page(source_sha256=f"s{start}", index=k, sha256=f"page-{n}", kind="raster",
                                 image=samples[n % DISTINCT][0], recognition_image=samples[n % DISTINCT][0])
                            for k, n in enumerate(numbers)),
                ocr=tuple(samples[n % DISTINCT][1] for n in numbers),
                classification=Classification(type="证据目录", confidence=1.0),
            ))
        key, cert = ensure_dev_key(folder / "keys")
        meta = DossierMetadata(case="（2020）浙0102民初1234号", version=1, bound_by="bench")
        spec = SignatureSpec(key, DEV_PASSPHRASE, "edossier-v1", "bench")
        _reset_peak_rss()
        rss_before = _peak_rss_mb()
        cpu_start, start = _cpu_s(), time.perf_counter()
        addition = assemble(documents, folder / "unsigned.pdf", meta, settings, cache=cache)
        assembled = time.perf_counter() - start
        rss_assembled = _peak_rss_mb()
        seal_version(folder / "unsigned.pdf", folder / "dossier.pdf", spec, meta, addition.bookmarks)
        bound, cpu_bound = time.perf_counter() - start, _cpu_s() - cpu_start
        rss_bound = _peak_rss_mb()
        valid = verify_pdf(folder / "dossier.pdf", [cert]).valid
        verified = time.perf_counter() - start
        size = (folder / "dossier.pdf").stat().st_size
    return {
        "pages": pages,
        "bound_pages": addition.pages,
        "pages_encoded_before": encoded,
        "assemble_s": round(assembled, 2),
        "bind_s": round(bound, 2),
        "bind_cpu_s": round(cpu_bound, 2),
        "with_verify_s": round(verified, 2),
        "peak_rss_assemble_mb": round(rss_assembled, 1),
        "peak_rss_mb": round(rss_bound, 1),
        "peak_rss_with_verify_mb": round(_peak_rss_mb(), 1),
        "rss_before_binding_mb": round(rss_before, 1),
        "peak_child_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "bytes_per_page": size // addition.pages,
        "valid": valid,
    }


def encode_cost(samples_dir: Path) -> dict[str, object]:
    """CPU ms per page of the per-page step ``encode_for_binding``, each call on a page not encoded before."""
    from edossier.config import Settings
    from edossier.pipeline.steps import bind_image_cache, encode_for_binding
    from edossier.bind.image_codec import codec_settings, read_cached
    from edossier.types import Page

    by_kind: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        for round_ in range(ENCODE_ROUNDS):
            for index in range(DISTINCT):
                path = samples_dir / f"page-{index}.png"
                page = Page(source_sha256="s", index=index, sha256=f"{round_}-{index}", kind="raster",
                            image=path, recognition_image=path)
                start = time.process_time()
                encode_for_binding(page, settings)
                spent = (time.process_time() - start) * 1000
                found = read_cached(page.sha256, codec_settings(settings.bind), bind_image_cache(settings))
                by_kind.setdefault(found.kind if found else "missing", []).append(spent)
    every = [ms for values in by_kind.values() for ms in values]
    return {
        "encode_cpu_ms_per_page": round(statistics.mean(every), 1),
        **{f"encode_cpu_ms_{kind}": round(statistics.median(values), 1) for kind, values in sorted(by_kind.items())},
        "encoded_pages": len(every),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, help="one size, in this process")
    parser.add_argument("--samples", type=Path, help="folder of rendered pages (default: render them first)")
    parser.add_argument("--sizes", default="250,500,1000", help="sizes, each in a fresh process")
    parser.add_argument("--jobs", type=int, default=0, help="encoding processes for pages not encoded before; 0 = CPUs")
    parser.add_argument("--unencoded", action="store_true", help="pages not encoded before: binding encodes them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        samples = args.samples or Path(tmp)
        if not args.samples:
            render_samples(samples)
        if args.pages:
            print(json.dumps(run(args.pages, args.jobs, not args.unencoded, samples)))
            return
        for size in (int(s) for s in args.sizes.split(",") if s):
            command = [sys.executable, "-m", "bench.bind", "--pages", str(size), "--jobs", str(args.jobs),
                       "--samples", str(samples)] + (["--unencoded"] if args.unencoded else [])
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            print(out.strip().splitlines()[-1], flush=True)
        print(json.dumps(encode_cost(samples)), flush=True)
    print(json.dumps({"target": TARGET}))


if __name__ == "__main__":
    main()
