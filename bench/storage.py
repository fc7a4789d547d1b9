"""What storing a dossier adds to binding it (target: ≤10% for 1,000 pages).

    python -m bench.storage [--pages 1000] [--store URI]... [--dpi 300]

Makes PAGES distinct A4 page images from the bundled judgment's text (pagegen,
with a red seal on the last page of each document) and an OCR record per page
from the ground truth, then times, once each:
  bind   the pipeline's binding: assemble (JPEG pages, text layer, bookmarks)
         + sign + verify, as in pipeline/process.py;
  store  publish(): every page image as original scan and as kept page, every OCR
         record, the signed PDF, then the manifest: what process_case stores.
Each --store is timed in turn (default: a fresh file:// store under bench/results/;
an s3:// store takes its credentials from EDOSSIER_STORAGE__*).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from pathlib import Path

from PIL import Image, ImageDraw

from bench.pagegen import MARGIN, cjk_font, render_pages
from edossier.bind.assemble import DossierMetadata, assemble
from edossier.bind.sign import sign_pdf
from edossier.bind.verify import verify_pdf
from edossier.casenumber import CaseNumber
from edossier.config import load_settings
from edossier.pipeline.steps import signing_spec, trust_roots
from edossier.storage import file_sha256, open_store
from edossier.storage.layout import dossier_key, ocr_key, original_key, page_key
from edossier.storage.manifest import publish
from edossier.types import Classification, Document, OcrLine, OcrPage, Page

ROOT = Path(__file__).resolve().parents[1]
TEXT = ROOT / "samples" / "03-judgment.gt.txt"
PAGES_PER_DOCUMENT = 100
LINE_HEIGHT = int(46 * 1.75)


def make_pages(count: int, folder: Path, dpi: int) -> list[tuple[Page, OcrPage]]:
    lines = [line for line in TEXT.read_text("utf-8").splitlines() if line.strip()]
    templates = render_pages(lines[0], "\n".join(lines[1:]), seal_text="浙江省诸暨市人民法院")
    stamp = cjk_font(40)
    scale = dpi / 300
    out = []
    for number in range(count):
        rendered = templates[number % len(templates)]
        image = rendered.image.copy()
        ImageDraw.Draw(image).text((1180, 3340), f"第 {number + 1} 页", font=stamp, fill=(0, 0, 0))
        if scale != 1:
            image = image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
        path = folder / f"page-{number:05d}.png"
        image.save(path, compress_level=1)
        sha = file_sha256(path)
        ocr_lines = tuple(
            OcrLine(
                text=text,
                box=(MARGIN * scale, (MARGIN + i * LINE_HEIGHT) * scale,
                     (image.width - MARGIN * scale), (MARGIN + (i + 1) * LINE_HEIGHT) * scale),
                confidence=0.95,
            )
            for i, text in enumerate(rendered.lines)
        )
        page = Page(source_sha256=sha, index=0, sha256=sha, kind="raster", image=path, recognition_image=path,
                    dpi=dpi, width_px=image.width, height_px=image.height)
        out.append((page, OcrPage(engine="tesseract", engine_version="bench", width=image.width,
                                  height=image.height, lines=ocr_lines)))
    return out


def run(pages: int, store_uris: list[str], dpi: int) -> dict[str, object]:
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    settings = load_settings(data_dir=results / "data")
    case = CaseNumber.parse(f"（2025）浙0102民初{uuid.uuid4().int % 9_999_999 + 1}号")
    with tempfile.TemporaryDirectory(dir=results) as tmp:
        work = Path(tmp)
        start = time.perf_counter()
        made = make_pages(pages, work, dpi)
        prepare_s = time.perf_counter() - start
        documents = [
            Document(
                title=f"判决书 {i // PAGES_PER_DOCUMENT + 1}",
                source_sha256=made[i][0].sha256,
                pages=tuple(p for p, _ in made[i : i + PAGES_PER_DOCUMENT]),
                classification=Classification(type="判决书", confidence=1.0, method="declared"),
                ocr=tuple(o for _, o in made[i : i + PAGES_PER_DOCUMENT]),
            )
            for i in range(0, pages, PAGES_PER_DOCUMENT)
        ]
        signed = work / "dossier.pdf"

        start = time.perf_counter()
        assemble(documents, work / "unsigned.pdf", DossierMetadata(case.normalized, 1, "bench"), settings.bind)
        assemble_s = time.perf_counter() - start
        sign_pdf(work / "unsigned.pdf", signed, signing_spec(settings, "edossier-v1"))
        if not verify_pdf(signed, trust_roots(settings)).valid:
            raise SystemExit("the benchmark dossier does not verify")
        bind_s = time.perf_counter() - start

        objects: list[tuple[str, Path | bytes, str]] = []
        for page, ocr in made:
            objects.append((original_key(case, page.sha256, ".png"), page.image, "original"))  # type: ignore[arg-type]
            objects.append((page_key(case, page.sha256), page.image, "page_image"))  # type: ignore[arg-type]
            objects.append((ocr_key(case, page.sha256, "tesseract-bench"), ocr.model_dump_json().encode(), "ocr"))
        objects.append((dossier_key(case, 1, file_sha256(signed)), signed, "dossier"))
        stored_bytes = sum(p.image.stat().st_size * 2 for p, _ in made) + signed.stat().st_size  # type: ignore[union-attr]
        result: dict[str, object] = {
            "pages": pages,
            "dpi": dpi,
            "objects": len(objects) + 1,
            "stored_mb": round(stored_bytes / 1e6, 1),
            "pdf_mb": round(signed.stat().st_size / 1e6, 1),
            "prepare_s": round(prepare_s, 1),
            "assemble_s": round(assemble_s, 2),
            "bind_s": round(bind_s, 2),
        }
        for uri in store_uris or [(work / "store").as_uri()]:
            store = open_store(uri, settings.storage)
            start = time.perf_counter()
            publish(store, case, 1, objects, {"pipeline": "bench"}, [], [], jobs=settings.storage.jobs)
            store_s = time.perf_counter() - start
            scheme = uri.split("://")[0]
            result[f"{scheme}_store_s"] = round(store_s, 2)
            result[f"{scheme}_store_over_bind"] = round(store_s / bind_s, 3)
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument(
        "--store", action="append", default=[], help="store URI, repeatable (default: a fresh file:// store)"
    )
    parser.add_argument("--dpi", type=int, default=300)
    args = parser.parse_args()
    print(json.dumps(run(args.pages, args.store, args.dpi), ensure_ascii=False))


if __name__ == "__main__":
    main()
