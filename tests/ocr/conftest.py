"""Engines are loaded once per session: model loading is the slow part."""

from __future__ import annotations

from pathlib import Path

import pytest

from edossier.config import OcrSettings
from edossier.ocr import OcrEngine, create_engine

ROOT = Path(__file__).resolve().parents[2]
SHARED_SAMPLES = ROOT / "tests" / "data" / "shared-samples"
SAMPLES = ROOT / "samples"


@pytest.fixture(scope="session")
def rapid() -> OcrEngine:
    return create_engine(OcrSettings(engine="rapidocr", jobs=1))


@pytest.fixture(scope="session")
def rapid_colour() -> OcrEngine:
    """For photos of coloured signs: red text is content, not a seal, and no cleanup has turned them upright."""
    return create_engine(OcrSettings(engine="rapidocr", jobs=1, drop_red=False, line_orientation=True))


@pytest.fixture(scope="session")
def tesseract() -> OcrEngine:
    return create_engine(OcrSettings(engine="tesseract", jobs=1))
