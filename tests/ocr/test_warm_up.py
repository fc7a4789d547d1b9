"""A new PP-OCR engine prepares its recogniser for the usual line widths while the first page is still being read."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from edossier.config import OcrSettings
from edossier.ocr import create_engine
from edossier.ocr import rapid
from edossier.ocr.inference import Model
from edossier.ocr.rapid import WARM_WIDTHS, RapidOcrEngine
from tests.ocr.conftest import SAMPLES

pytest.importorskip("openvino", reason="OpenVINO is not installed (README setup installs it)")

PAGE = SAMPLES / "02-power-of-attorney.jpg"


class _Recorded:
    """A loaded model whose calls are recorded: the input width, the calling thread, and whether a page's
    lines were being recognised when the call began."""

    def __init__(self, model: Model, calls: list[tuple[int, str, bool]], reading: list[threading.Event]) -> None:
        self._model, self._calls, self._reading = model, calls, reading

    def __call__(self, batch: np.ndarray) -> list[np.ndarray]:
        self._calls.append((batch.shape[-1], threading.current_thread().name, any(e.is_set() for e in self._reading)))
        return self._model(batch)

    def metadata(self, key: str) -> str | None:
        return self._model.metadata(key)

    @property
    def precision(self) -> str:
        return str(getattr(self._model, "precision", ""))


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[list[tuple[int, str, bool]], list[threading.Event]]]:
    """Every recogniser an engine made now loads is recorded (the detector is left alone)."""
    calls: list[tuple[int, str, bool]] = []
    reading: list[threading.Event] = []
    load = rapid.load_model

    def recording(path: Path, *args: object, **kwargs: object) -> Model:
        model = load(path, *args, **kwargs)  # type: ignore[arg-type]
        return _Recorded(model, calls, reading) if kwargs.get("top1") else model

    monkeypatch.setattr(rapid, "load_model", recording)
    yield calls, reading


def _engine(reading: list[threading.Event]) -> RapidOcrEngine:
    engine = create_engine(OcrSettings(engine="rapidocr", jobs=1, bf16=False))
    assert isinstance(engine, RapidOcrEngine)
    reading.append(engine._load()._reading)
    return engine


def test_an_idle_engine_prepares_every_usual_width(recorded: tuple[list[tuple[int, str, bool]], list[threading.Event]]) -> None:
    calls, reading = recorded
    engine = _engine(reading)
    engine._load()._warming.join(timeout=120)
    assert [width for width, thread, _ in calls if thread == "rapidocr-warm"] == list(WARM_WIDTHS)


def test_the_warm_up_gives_way_to_the_first_page_and_changes_no_reading(
    recorded: tuple[list[tuple[int, str, bool]], list[threading.Event]],
) -> None:
    """A page read at once: the warm-up starts no width after the page's lines are being recognised (at most the
    one it had begun), and the page reads exactly as on an engine whose warm-up had finished."""
    calls, reading = recorded
    hurried = _engine(reading)
    first = hurried.recognize(PAGE)
    hurried._load()._warming.join(timeout=120)
    late = [width for width, thread, page_begun in calls if thread == "rapidocr-warm" and page_begun]
    assert len(late) <= 1, calls
    assert len([call for call in calls if call[1] != "rapidocr-warm"]) >= 5  # the page's own lines
    rested = _engine(reading)
    rested._load()._warming.join(timeout=120)
    assert rested.recognize(PAGE) == first
    assert "授权委托书" in first.text
