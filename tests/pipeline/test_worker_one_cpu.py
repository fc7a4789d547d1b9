"""A batch worker process is one CPU: the two-workers-on-two-cores scaling of issue 17 depends on it.

A worker that cleaned up two pages at once or encoded page images in a pool of
processes used the second core when it ran alone and fought the other worker for
it when two ran.  Input: OCRmyPDF's four-page scan cardinal.pdf (third party).
"""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pytest

from edossier.bind import assemble
from edossier.config import load_settings
from edossier.pipeline import reading
from edossier.pipeline.batch.actors import worker_settings
from edossier.types import Page

from tests.conftest import SHARED_SAMPLES

CARDINAL = SHARED_SAMPLES / "ocrmypdf" / "cardinal.pdf"


def test_a_worker_cleans_up_and_encodes_in_its_own_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = worker_settings(load_settings(data_dir=tmp_path))
    assert (settings.ocr.jobs, settings.ocr.threads, settings.bind.jobs) == (1, 1, 1)

    threads: set[int] = set()
    clean_page = reading.clean_page

    def watched(*args: object, **kwargs: object) -> Page:
        threads.add(threading.get_ident())
        return clean_page(*args, **kwargs)  # type: ignore[arg-type]  # passed through as given

    monkeypatch.setattr(reading, "clean_page", watched)
    _, pages = reading.read(reading.Material(path=CARDINAL), settings, tmp_path, None)
    cleaned = reading.clean_up(pages, settings, tmp_path)
    assert len(cleaned) == 4 and threads == {threading.get_ident()}

    encoded: set[int] = set()
    encode_cached = assemble.encode_cached

    def watched_encode(*args: object) -> object:
        encoded.add(threading.get_ident())
        return encode_cached(*args)  # type: ignore[arg-type]  # passed through as given

    monkeypatch.setattr(assemble, "encode_cached", watched_encode)
    jobs = [(page.image, page.sha256, assemble.CodecSettings(), tmp_path) for page in cleaned]
    with assemble._LazyPool(settings.bind) as pool:
        assert all(image is not None for image in pool.encode(jobs))
        assert pool._pool is None and not multiprocessing.active_children()
    assert encoded == {threading.get_ident()}
