"""RapidOCR's processing steps that edossier runs, imported without the rest of RapidOCR.

edossier drives four of RapidOCR's steps itself (``ocr/rapid.py``): the detector's
box finding (``DBPostProcess``) and scaling (``DetPreProcess``), its box order
(``TextDetector.sorted_boxes``) and CTC decoding (``CTCLabelDecode``).  Imported the
ordinary way, they bring their packages' ``__init__`` (the model drivers, every
inference engine's glue, the model catalogue read through OmegaConf) and the
drawing module they import for ``.vis()`` (PIL fonts, requests, tqdm, the catalogue
again): ~0.55-0.9 CPU-s at every start of ``edossier ocr`` for code it never runs
(notes/issue-18.md, session 8).

So the three source files are executed on their own, as modules of their real
names that are not entered in ``sys.modules``, and the imports that only code
edossier never calls needs (drawing, the inference engines, word-box types) are
answered by a stand-in that refuses to be used.  RapidOCR's own code runs
unchanged; nothing of it is copied.  Where the real module was imported already
(the line-direction classifier, a comparison with RapidOCR itself), that one is used.
"""

from __future__ import annotations

import builtins
import functools
import importlib.util
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import numpy as np
    from rapidocr.ch_ppocr_det.utils import DBPostProcess, DetPreProcess
    from rapidocr.ch_ppocr_rec.utils import CTCLabelDecode

NOT_RUN = frozenset(
    {
        "rapidocr.utils.vis_res",  # drawing boxes and text: TextDetOutput.vis(), TextRecOutput.vis()
        "rapidocr.inference_engine.base",  # the model driver's engines: TextDetector.__init__
        "rapidocr.ch_ppocr_rec.typings",  # word-box types: CTCLabelDecode with return_word_box
    }
)
"""Modules the loaded files import but that none of the steps edossier calls uses."""


class Steps(NamedTuple):
    """The RapidOCR classes and function that ``ocr/rapid.py`` runs."""

    box_finder: type[DBPostProcess]
    """the detector's probability map to text boxes"""
    detector_scale: type[DetPreProcess]
    """RapidOCR's own detection scales (the ``detect_rescaled`` fallback)"""
    sorted_boxes: Callable[[np.ndarray], np.ndarray]
    """boxes top to bottom, left to right within a row"""
    decoder: type[CTCLabelDecode]
    """CTC greedy decoding of the recogniser's best class per time step"""


@functools.cache
def steps() -> Steps:
    """RapidOCR's detection and recognition steps, loaded once per process."""
    det_utils = _load("ch_ppocr_det.utils", {})
    det_main = _load("ch_ppocr_det.main", {"rapidocr.ch_ppocr_det.utils": det_utils})
    rec_utils = _load("ch_ppocr_rec.utils", {})
    return Steps(det_utils.DBPostProcess, det_utils.DetPreProcess, det_main.TextDetector.sorted_boxes, rec_utils.CTCLabelDecode)


class _NotRun(ModuleType):
    """A module edossier never runs: each name it is asked for is a class that cannot be made."""

    def __getattr__(self, name: str) -> type:
        def refuse(*args: object, **kwargs: object) -> None:
            raise RuntimeError(f"{self.__name__}.{name} is not loaded in edossier (ocr/rapidocr_steps.py)")

        return type(name, (), {"__init__": refuse, "__module__": self.__name__})


def _load(name: str, given: Mapping[str, ModuleType]) -> ModuleType:
    """rapidocr.NAME executed on its own; imports of GIVEN's names get those modules, of ``NOT_RUN`` a stand-in."""
    real_name = f"rapidocr.{name}"
    if real_name in sys.modules:
        return sys.modules[real_name]
    top = importlib.util.find_spec("rapidocr")  # finds the package without importing it
    assert top is not None and top.origin is not None, "rapidocr is a dependency of edossier"
    path = Path(top.origin).parent.joinpath(*name.split(".")).with_suffix(".py")
    spec = importlib.util.spec_from_file_location(real_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    package = real_name.rpartition(".")[0]

    def imported(
        target: str, globals: Mapping[str, Any] | None = None, locals: Any = None, fromlist: Any = (), level: int = 0
    ) -> ModuleType:
        absolute = importlib.util.resolve_name("." * level + target, package) if level else target
        if absolute in given:
            return given[absolute]
        if absolute in NOT_RUN:
            return _NotRun(absolute)
        return builtins.__import__(target, globals, locals, fromlist, level)

    # The module's own builtins, so that only its imports are answered differently, in whichever thread.
    module.__dict__["__builtins__"] = {**vars(builtins), "__import__": imported}
    spec.loader.exec_module(module)
    return module
