"""Make the int8 PP-OCR recogniser that edossier ships (ocr/models/), from the f32 model in the rapidocr package.

    .venv/bin/pip install nncf==3.4.0      # only for this script; the product never imports nncf
    .venv/bin/python scripts/quantise_recogniser.py [--pages 12] [--seed 23] [--out ocr/models]
    .venv/bin/python scripts/quantise_recogniser.py --from EARLIER_INT8.xml    # step 4 only

What ships: session 7's model (``PP-OCRv6_rec_small_int8.xml`` in git before session 11,
calibrated on 901 lines) passed through ``--from``.  A fresh calibration now records 906
lines (the pipeline's crops changed since) and gives a model that reads the 卷内目录 row
below "4.4" on AVX2: regenerate only with ``tests/ocr/test_int8.py`` at hand.

Why: on CPUs without bfloat16 units (AVX2 servers and clerks' PCs) recognition in
f32 is about half of a page's CPU time; post-training int8 quantisation makes the
recogniser ~1.3-1.6x cheaper on AVX2 at the same error rate (notes/issue-18.md, session 7).

What it does (same corpus, fonts, pipeline and package versions -- nncf 3.4.0, openvino 2026.4.1,
rapidocr's PP-OCRv6_rec_small.onnx -- give the same calibration lines and a byte-identical model; checked by a rerun):
1. renders ``--pages`` A4 pages at 300 dpi with bench/pagegen.py from ../shared/corpus
   documents, each page once clean and once scan-degraded (bench/degrade.py).  The
   documents are drawn with ``--seed`` and none of them is among the first
   ``BENCH_DOCUMENTS`` documents that bench/ocr.py draws with its seeds 5 (tuning) and
   11 (reporting), so the benchmark's pages stay unseen; the real scans of
   bench/real.py and tests/data are not used at all;
2. reads those pages with edossier's own f32 pipeline (detection, line crops with
   their margin, width ladder) and records every recogniser input batch: the
   calibration set is exactly what the recogniser is given in production;
3. quantises with NNCF's post-training quantisation (min-max statistics over every
   recorded line, fast bias correction; transformer model type, which keeps the
   GELU and layer-norm parts of the SVTR neck fused) with the last layer, the
   120 x 18,710 character classifier, left in f32: in int8 it ran slower on AVX2
   (oneDNN's int8 GEMM) and it decides every character;
4. leaves the second convolution, ``Conv.1``, in f32 too.  On CPUs without VNNI
   (AVX2) oneDNN's int8 kernels add pairs of u8 x s8 products in 16 bits with
   saturation; NNCF's default overflow fix gives the first layer 7-bit weights, but
   Conv.1 still saturated there and the model read a 卷内目录's "4-4" as "44".
   With Conv.1 in f32 it reads "4-4" on AVX2 too, for ~5 % of int8's gain.  NNCF's
   overflow fix on every layer (``overflow_fix=ENABLE``, 7-bit weights) read 决 as 決
   instead (clean CER 0.021 -> 0.128 %; notes/issue-18.md, sessions 7 and 11);
5. writes ``PP-OCRv6_rec_small_int8v2.xml``/``.bin`` (OpenVINO IR, f32 kept where not
   quantised) with the character table of the f32 model inside, as the ONNX file has it.

Telemetry: OpenVINO's and NNCF's telemetry client (openvino-telemetry) is blocked
before either is imported, exactly as ``edossier/__init__.py`` blocks it, and
``NNCF_CI`` is set, which turns NNCF's own telemetry wrapper into a stub: nothing
about this run (or the court's machine) is sent anywhere.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ocr import CORPUS, pick_documents, render_document  # noqa: E402  (bench/ is beside scripts/)

BENCH_SEEDS = (5, 11)
BENCH_DOCUMENTS = 50
"""bench/ocr.py renders its ``--pages`` pages from the first documents its seed draws; 50 covers any run of it."""
CLASSIFIER = "MatMul.12"
"""The recogniser's last MatMul (120 features -> 18,710 character classes), kept in f32."""
SATURATING = "Conv.1"
"""The convolution whose int8 sums saturate on CPUs without VNNI (see 3. above), kept in f32."""
NAME = "PP-OCRv6_rec_small_int8v2"
"""A new name for each new model: the engine's version, so the OCR cache key, names the model file."""


def calibration_documents(count: int, seed: int) -> list[Path]:
    """COUNT corpus documents drawn with SEED, none of them on any page bench/ocr.py renders."""
    benchmark = {path for s in BENCH_SEEDS for path in pick_documents(CORPUS, BENCH_DOCUMENTS, s)}
    chosen = [path for path in pick_documents(CORPUS, 10_000, seed) if path not in benchmark][:count]
    if len(chosen) < count:
        raise SystemExit(f"only {len(chosen)} corpus documents outside the benchmark sets")
    return chosen


def render(documents: list[Path], seed: int, out: Path) -> list[Path]:
    """Each document's first page, clean and degraded, as PNGs in OUT (drawn as bench/ocr.py draws its sets, no tables)."""
    pages: list[Path] = []
    for n, path in enumerate(documents):
        clean, degraded, _ = render_document(path, n, seed, tables=False)
        for kind, image in (("clean", clean), ("degraded", degraded)):
            pages.append(out / f"{n:03d}-{kind}.png")
            image.save(pages[-1])
    return pages


def recogniser_inputs(pages: list[Path]) -> list[np.ndarray]:
    """Every batch edossier's f32 recogniser is given while reading PAGES, in reading order."""
    from edossier.config import OcrSettings
    from edossier.ocr.prepare import as_bgr, load_for_ocr
    from edossier.ocr.rapid import RapidOcrEngine

    settings = OcrSettings(runtime="openvino", rec_precision="f32", bf16=False, model_cache_dir=None)
    loaded = RapidOcrEngine(settings, threads=1, jobs=1)._load()
    batches: list[np.ndarray] = []
    model = loaded.recogniser

    class Recorder:
        precision = model.precision

        def __call__(self, batch: np.ndarray) -> list[np.ndarray]:
            batches.append(batch.copy())
            return model(batch)

        def metadata(self, key: str) -> str | None:
            return model.metadata(key)

    loaded.recogniser = Recorder()
    for page in pages:
        pixels = load_for_ocr(page, settings.drop_red)
        loaded.read(as_bgr(pixels) if pixels.ndim == 3 else pixels)
    return batches


def quantise(batches: list[np.ndarray]) -> Any:  # openvino.Model: openvino has no type hints
    import nncf
    import openvino

    from edossier.ocr.rapid import bundled_models

    source = bundled_models()["rec"]
    model = openvino.Core().read_model(str(source))
    quantised = nncf.quantize(
        model,
        nncf.Dataset(batches),
        subset_size=len(batches),
        model_type=nncf.ModelType.TRANSFORMER,
        fast_bias_correction=True,
        ignored_scope=nncf.IgnoredScope(names=[CLASSIFIER]),
    )
    quantised.set_rt_info(f"int8 by scripts/quantise_recogniser.py from {source.name}", ["edossier", "source"])
    return quantised


def save(model: Any, out: Path) -> Path:
    """MODEL with ``SATURATING`` in f32, written to OUT as ``NAME``."""
    import openvino

    unquantised_input(model, SATURATING)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{NAME}.xml"
    openvino.save_model(model, target, compress_to_fp16=False)
    return target


def unquantised_input(model: Any, convolution: str) -> None:  # openvino.Model: openvino has no type hints
    """CONVOLUTION of MODEL run in f32: the quantiser on its input is bypassed, so OpenVINO keeps the layer in f32.

    Done after quantising (rather than leaving the layer out of NNCF's scope) so that
    every other layer is quantised and bias-corrected exactly as without this step.
    """
    [quantiser] = [op for op in model.get_ordered_ops()
                   if op.get_type_name() == "FakeQuantize" and op.get_friendly_name() == f"{convolution}/fq_input_0"]
    quantiser.output(0).replace(quantiser.input_value(0))
    model.validate_nodes_and_infer_types()


def block_telemetry() -> None:
    """Before openvino or nncf is imported: their telemetry client cannot load, NNCF's wrapper is a stub."""
    sys.modules["openvino_telemetry"] = None  # type: ignore[assignment]  # None makes its import fail
    os.environ["NNCF_CI"] = "1"


def main(argv: list[str] | None = None) -> None:
    block_telemetry()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=12, help="corpus documents rendered (each clean and degraded)")
    parser.add_argument("--seed", type=int, default=23, help="draws the documents and lays out the pages")
    parser.add_argument("--out", type=Path, default=ROOT / "ocr" / "models")
    parser.add_argument("--from", dest="quantised", type=Path,
                        help="an int8 IR this script made before (steps 1-3): only steps 4 and 5 are done")
    args = parser.parse_args(argv)
    if args.quantised:
        import openvino

        print(f"wrote {save(openvino.Core().read_model(str(args.quantised)), args.out)}")
        return
    documents = calibration_documents(args.pages, args.seed)
    with tempfile.TemporaryDirectory() as folder:
        pages = render(documents, args.seed, Path(folder))
        batches = recogniser_inputs(pages)
    print(f"calibration: {len(pages)} pages from {[d.name for d in documents]}, {len(batches)} lines", flush=True)
    print(f"wrote {save(quantise(batches), args.out)}")


if __name__ == "__main__":
    main()
