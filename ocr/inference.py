"""Running the PP-OCR ONNX models: on OpenVINO where it is installed, else on ONNX Runtime.

Both runtimes read the same ONNX files that the rapidocr package ships; nothing is
converted, downloaded or written.  OpenVINO is the default because on CPUs with
bfloat16 units it runs these models several times faster than ONNX Runtime's CPU
provider: it executes convolutions and matrix products in bfloat16 on Intel's AMX
and AVX-512 BF16 units (Xeon 4th generation and later), which ONNX Runtime's CPU
provider does not use.  On a 2-core Xeon of that kind, recognising one text line
of ~950 px costs ~75 ms in ONNX Runtime (fp32) and ~20 ms in OpenVINO (bf16), at
the same error rate (bench/ocr.py; notes/issue-5.md).  On CPUs with AVX2 only,
OpenVINO runs fp32, about as fast as ONNX Runtime (~64 ms per ~500-px line on a
2-core AMD EPYC).  ONNX Runtime stays selectable (``ocr.runtime``) and is what
runs where OpenVINO is not installed.

The recogniser's last layer is a softmax over 18,710 characters for every time
step; only the best character and its probability are used (CTC greedy
decoding).  On OpenVINO the graph is given a top-1 head, so that the runtime
returns two small arrays instead of ~100 MB of probabilities per batch, which
Python then had to copy and scan.

OpenVINO's Python package imports a telemetry client (openvino-telemetry) for its
model-conversion tools.  edossier blocks that import (``edossier/__init__.py``):
OpenVINO then uses its own no-op stub, so nothing can be sent from a court.
"""

from __future__ import annotations

import contextlib
import importlib.util
import locale
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from edossier.errors import StageError

Runtime = Literal["openvino", "onnxruntime"]


def pick_runtime(setting: str) -> Runtime:
    """The runtime named in settings; for "auto", OpenVINO where it is installed."""
    if setting == "openvino" or (setting == "auto" and importlib.util.find_spec("openvino") is not None):
        return "openvino"
    return "onnxruntime"


class Model(Protocol):
    """A loaded model: one batch in, its outputs out; called from several threads at once."""

    precision: str

    def __call__(self, batch: np.ndarray) -> list[np.ndarray]: ...

    def metadata(self, key: str) -> str | None: ...


def load_model(
    path: Path,
    runtime: Runtime,
    threads: int,
    streams: int,
    *,
    bf16: bool,
    top1: bool = False,
    cache_dir: Path | None = None,
) -> Model:
    """Load PATH to run STREAMS batches at once with THREADS threads each.

    With TOP1 the model's outputs are (best class index, its probability) per
    time step instead of the full probability table.  CACHE_DIR (OpenVINO) keeps
    the compiled model for the next process.
    """
    if runtime == "openvino":
        return OpenVinoModel(path, threads, streams, bf16=bf16, top1=top1, cache_dir=cache_dir)
    return OnnxRuntimeModel(path, threads, top1=top1)


class OnnxRuntimeModel:
    def __init__(self, path: Path, threads: int, *, top1: bool = False) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # The arena keeps the recogniser's large output buffers between batches (less system time).
        options.enable_cpu_mem_arena = True
        self._session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name
        self._top1 = top1
        self.precision = "f32"

    def __call__(self, batch: np.ndarray) -> list[np.ndarray]:
        output = self._session.run(None, {self._input: batch})[0]
        if self._top1:
            return [output.argmax(axis=-1), output.max(axis=-1)]
        return [output]

    def metadata(self, key: str) -> str | None:
        value: str | None = self._session.get_modelmeta().custom_metadata_map.get(key)
        return value


_locale_guard = threading.Lock()
_locale_users = 0
_locale_saved = ""


@contextlib.contextmanager
def _locale_kept() -> Iterator[None]:
    """Put back the process's locale, which OpenVINO's model reading sets to "C".

    The locale is process-wide: left at "C", every later text file and pipe of the
    process (quarantine notes, a subprocess's output, all in Chinese) would be
    read and written as ASCII after the first page was recognised.  Models load in
    several threads at once (detector and recogniser, beside the input being
    read): the first to start saves the locale and the last to finish puts it
    back, so no thread saves a "C" that another's reading set meanwhile.
    """
    global _locale_users, _locale_saved
    with _locale_guard:
        if _locale_users == 0:
            _locale_saved = locale.setlocale(locale.LC_ALL)
        _locale_users += 1
    try:
        yield
    finally:
        with _locale_guard:
            _locale_users -= 1
            if _locale_users == 0:
                locale.setlocale(locale.LC_ALL, _locale_saved)


class OpenVinoModel:
    def __init__(
        self, path: Path, threads: int, streams: int, *, bf16: bool, top1: bool = False, cache_dir: Path | None = None
    ) -> None:
        import openvino

        with _locale_kept():
            self._compile(openvino, path, threads, streams, bf16=bf16, top1=top1, cache_dir=cache_dir)
        self._requests = threading.local()

    def _compile(
        self, openvino: Any, path: Path, threads: int, streams: int, *, bf16: bool, top1: bool, cache_dir: Path | None
    ) -> None:
        core = openvino.Core()
        if cache_dir is not None and _writable(cache_dir):
            # Compiling the two models takes ~1-2 s on 2 cores; a cached blob loads in a fraction of that.
            # OpenVINO keys the blob by the model (top-1 head included), device and properties.
            core.set_property({"CACHE_DIR": str(cache_dir)})
        model = core.read_model(str(path))
        framework = model.get_rt_info()["framework"] if model.has_rt_info("framework") else {}
        self._metadata = {str(key): str(value.value) for key, value in framework.items()}
        if top1:
            model = _with_top1_head(model)
        self.precision = openvino_precision(core, bf16)
        self._compiled = core.compile_model(
            model,
            "CPU",
            {
                # One stream per page worked on at once; without it concurrent requests queue.
                "NUM_STREAMS": streams,
                "INFERENCE_NUM_THREADS": streams * threads,
                "INFERENCE_PRECISION_HINT": self.precision,
                # Pinning would tie streams to cores that batch workers and Tesseract also use.
                "ENABLE_CPU_PINNING": False,
            },
        )

    def __call__(self, batch: np.ndarray) -> list[np.ndarray]:
        request = getattr(self._requests, "request", None)
        if request is None:
            request = self._requests.request = self._compiled.create_infer_request()
        result = request.infer({0: batch})
        # The request reuses its output buffers on the next call: copy them out.
        return [np.array(result[output]) for output in self._compiled.outputs]

    def metadata(self, key: str) -> str | None:
        return self._metadata.get(key)


def _writable(folder: Path) -> bool:
    """FOLDER made if missing; False where it cannot be (a read-only home): the models then compile each time."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return True


def openvino_precision(core: Any, bf16: bool) -> str:
    """bf16 where wanted and the CPU has bfloat16 units (AMX, AVX-512 BF16), else f32.

    The speed of PP-OCR here hangs on it: on CPUs with AVX2 only (e.g. AMD EPYC
    before Zen 4), recognition costs about three times as much (notes/issue-5.md).
    """
    return "bf16" if bf16 and "BF16" in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES") else "f32"


def runs_in_bf16(bf16: bool) -> bool:
    """Whether OpenVINO runs f32 models in bfloat16 here: BF16 wanted and the CPU has the units."""
    import openvino

    return openvino_precision(openvino.Core(), bf16) == "bf16"


def _with_top1_head(model: Any) -> Any:  # openvino.Model: openvino has no type hints
    """MODEL with its per-step probabilities replaced by the best class index and its probability.

    Built from reductions rather than TopK: OpenVINO fuses max, compare-select and
    sum-of-exponentials into fast kernels, where its TopK over 18,710 classes took
    a fifth of the recogniser's time.  From the softmax's input (the logits) the
    best class's probability is 1 / sum(exp(logit - best logit)).
    """
    import openvino
    import openvino.opset13 as ops

    output = model.get_results()[0].input_value(0)
    softmax = output.get_node().get_type_name() == "Softmax"
    scores = output.get_node().input_value(0) if softmax else output
    axis = ops.constant(np.int64(-1))
    best = ops.reduce_max(scores, axis, keep_dims=False)
    classes = ops.constant(np.arange(scores.get_partial_shape()[-1].get_length(), dtype=np.float32))
    is_best = ops.equal(scores, ops.unsqueeze(best, axis))
    index = ops.reduce_max(ops.select(is_best, classes, ops.constant(np.float32(-1))), axis, keep_dims=False)
    if softmax:
        spread = ops.reduce_sum(ops.exp(ops.subtract(scores, ops.unsqueeze(best, axis))), axis, keep_dims=False)
        probability = ops.divide(ops.constant(np.float32(1)), spread)
    else:
        probability = best
    results = []
    for name, node in (("index", ops.convert(index, "i32")), ("probability", probability)):
        node.output(0).get_tensor().set_names({name})
        results.append(ops.result(node))
    return openvino.Model(results, model.get_parameters(), "rec-top1")


def require_metadata(model: Model, key: str, path: Path) -> str:
    value = model.metadata(key)
    if not value:
        raise StageError(f"{path} carries no {key} table; RapidOCR would download one, which edossier never does")
    return value
