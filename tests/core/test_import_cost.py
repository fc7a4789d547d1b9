"""What importing edossier costs every CLI call and worker process."""

from __future__ import annotations

import subprocess
import sys


def test_pymupdf_add_ons_are_not_loaded() -> None:
    """PyMuPDF 2.0 would load an ONNX layout model and its Markdown add-on at import; edossier uses neither."""
    code = (
        "import sys, edossier.pipeline.process, pymupdf;"
        "print(pymupdf._get_layout is None, 'pymupdf.layout.DocumentLayoutAnalyzer' in sys.modules,"
        " any(name.startswith('pymupdf4llm.') for name in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "False", "False"]
