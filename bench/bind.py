"""Benchmark: binding N A4 300-dpi pages into one signed dossier, time and peak memory.

    python -m bench.bind                 # 250, 500 and 1,000 pages, each in a fresh process
    python -m bench.bind --pages 1000    # one size

    python -m bench.bind --warm          # page images encoded before (a rerun, or encoded during OCR)

Ten pages are rendered once by pagegen (text pages, two with a red seal) and
reused in rotation, each with its ground-truth text as the OCR result, so the
numbers are binding alone: encoding page images (process pool; skipped with
--warm), text layer, front matter, page numbers, PDF/A join, signing and
verification.  Each size runs in a fresh process that only binds, so its peak
RSS is binding's; the largest encoding worker is reported apart.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DISTINCT = 10
PER_DOCUMENT = 10
TARGET = {"pages": 1000, "seconds": 30.0, "peak_rss_mb": 500.0}


def render_samples(folder: Path) -> None:
    """DISTINCT page images with their ground-truth OCR, written to FOLDER (done once, outside the measure)."""
    from bench.pagegen import ground_truth_ocr, render_pages

    body = "原告张三诉被告李四民间借贷纠纷一案，本院于二〇二〇年三月二日立案后，依法适用简易程序，公开开庭进行了审理。" * 8
    for index in range(DISTINCT):
        rendered = render_pages(f"材料{index + 1}", body, seal_text="杭州市上城区人民法院" if index % 5 == 0 else None,
                                seed=index)[0]
        rendered.image.save(folder / f"page-{index}.png")
        (folder / f"page-{index}.json").write_text(ground_truth_ocr(rendered).model_dump_json())


def run(pages: int, jobs: int, warm: bool, samples_dir: Path) -> dict[str, object]:
    from edossier.bind.assemble import DossierMetadata, assemble
    from edossier.bind.devcert import DEV_PASSPHRASE, ensure_dev_key
    from edossier.bind.sign import SignatureSpec, seal_version
    from edossier.bind.verify import verify_pdf
    from edossier.config import BindSettings
    from edossier.types import Classification, Document, OcrPage, Page

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        samples = [(samples_dir / f"page-{i}.png",
                    OcrPage.model_validate_json((samples_dir / f"page-{i}.json").read_text())) for i in range(DISTINCT)]
        documents = []
        for start in range(0, pages, PER_DOCUMENT):
            items = [samples[(start + k) % DISTINCT] for k in range(min(PER_DOCUMENT, pages - start))]
            documents.append(Document(
                title=f"证据材料{start // PER_DOCUMENT + 1}", source_sha256=f"s{start}",
                pages=tuple(Page(source_sha256=f"s{start}", index=k, sha256=path.stem, kind="raster",
                                 image=path, recognition_image=path) for k, (path, _) in enumerate(items)),
                ocr=tuple(ocr for _, ocr in items),
                classification=Classification(type="证据目录", confidence=1.0),
            ))
        key, cert = ensure_dev_key(folder / "keys")
        meta = DossierMetadata(case="（2020）浙0102民初1234号", version=1, bound_by="bench")
        cache = folder / "encoded" if warm else None
        if warm:  # page images encoded before, as on a rerun: binding without the encoding
            assemble(documents[:DISTINCT], folder / "warmup.pdf", meta, BindSettings(jobs=jobs), cache=cache)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        start = time.perf_counter()
        addition = assemble(documents, folder / "unsigned.pdf", meta, BindSettings(jobs=jobs), cache=cache)
        assembled = time.perf_counter() - start
        rss_assembled = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        spec = SignatureSpec(key, DEV_PASSPHRASE, "edossier-v1", "bench")
        seal_version(folder / "unsigned.pdf", folder / "dossier.pdf", spec, meta, addition.bookmarks)
        signed = time.perf_counter() - start
        valid = verify_pdf(folder / "dossier.pdf", [cert]).valid
        verified = time.perf_counter() - start
        size = (folder / "dossier.pdf").stat().st_size
    return {
        "pages": pages,
        "bound_pages": addition.pages,
        "jobs": jobs,
        "encoded_before": warm,
        "assemble_s": round(assembled, 2),
        "assemble_and_sign_s": round(signed, 2),
        "with_verify_s": round(verified, 2),
        "pages_per_s": round(pages / signed, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_before_binding_mb": round(rss_before, 1),
        "peak_rss_after_assemble_mb": round(rss_assembled, 1),
        "peak_worker_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "bytes_per_page": size // addition.pages,
        "valid": valid,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, help="one size, in this process")
    parser.add_argument("--samples", type=Path, help="folder of rendered pages (default: render them first)")
    parser.add_argument("--sizes", default="250,500,1000", help="sizes, each in a fresh process")
    parser.add_argument("--jobs", type=int, default=0, help="encoding processes; 0 = CPUs")
    parser.add_argument("--warm", action="store_true", help="page images already encoded (a rerun)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        samples = args.samples or Path(tmp)
        if not args.samples:
            render_samples(samples)
        if args.pages:
            print(json.dumps(run(args.pages, args.jobs, args.warm, samples)))
            return
        for size in (int(s) for s in args.sizes.split(",")):
            command = [sys.executable, "-m", "bench.bind", "--pages", str(size), "--jobs", str(args.jobs),
                       "--samples", str(samples)] + (["--warm"] if args.warm else [])
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            print(out.strip().splitlines()[-1], flush=True)
    print(json.dumps({"target": TARGET}))


if __name__ == "__main__":
    main()
