"""edossier: the shared core that every stage may import.

Only the small shared vocabulary lives here (case numbers, pages, documents,
dossiers, errors).  Stages are mapped in as subpackages (``edossier.ocr`` is the
top-level ``ocr/`` folder) but this module imports none of them: data flows one
way and only ``edossier.pipeline`` wires stages together.
"""

import sys

__version__ = "0.1.0"

# PyMuPDF 2.0 imports its layout-analysis add-on (pymupdf.layout, a dependency
# it pulls in) the moment pymupdf is imported, and the add-on loads an ONNX
# model: ~0.5 s and ~100 MB in every CLI call and worker process, for
# Page.get_layout(), which edossier never calls.  A None entry makes that import
# fail quietly, which PyMuPDF handles.
sys.modules.setdefault("pymupdf.layout", None)  # type: ignore[arg-type]  # None blocks the import at run time
# Likewise its Markdown add-on, pymupdf4llm (~0.35 s per process, for to_markdown(), never called here).
sys.modules.setdefault("pymupdf4llm", None)  # type: ignore[arg-type]  # None blocks the import at run time

# OpenVINO (the default PP-OCR runtime, ocr/inference.py) imports its telemetry
# client, openvino-telemetry, for its model-conversion tools.  Court data and
# usage never leave the machine: with the import blocked, OpenVINO falls back to
# its built-in no-op stub.
sys.modules.setdefault("openvino_telemetry", None)  # type: ignore[arg-type]  # None blocks the import at run time
# Its Model Conversion API (openvino.tools.ovc, imported at `import openvino` inside a try that lets it be
# missing) converts TensorFlow/PyTorch/PaddlePaddle models and pulls in numpy.ma and packaging: ~0.1 s
# per process; edossier reads ONNX and IR models with Core.read_model and never converts one.
sys.modules.setdefault("openvino.tools.ovc", None)  # type: ignore[arg-type]  # None blocks the import at run time
