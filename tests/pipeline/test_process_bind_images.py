"""Page images are encoded for binding in the per-page phase; binding embeds those bytes as they are.

Runs ``process_case`` on two real sample scans (real Tesseract).  Binding is
observed from outside: when it starts, every raster page must already be in the
encoded-image cache, and it must bind with the page images themselves out of
reach, which it can only do from that cache.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pymupdf
import pytest

from edossier.bind.image_codec import EncodedImage, codec_settings, read_cached
from edossier.casenumber import CaseNumber
from edossier.config import load_settings
from edossier.pipeline import steps
from edossier.pipeline.process import Material, process_case
from edossier.storage import open_store
from edossier.storage.manifest import read_manifest
from edossier.types import Document, Page
from tests.conftest import SAMPLES

CASE = "（2024）浙0102民初77号"


@contextmanager
def _out_of_reach(pages: list[Page]) -> Iterator[None]:
    """Move the page images away while binding runs (publishing needs them back afterwards)."""
    moved = [(p.image, p.image.with_name(p.image.name + ".away")) for p in pages if p.image is not None]
    for path, away in moved:
        path.rename(away)
    try:
        yield
    finally:
        for path, away in moved:
            away.rename(path)


def test_per_page_phase_encodes_and_binding_embeds_the_cached_bytes(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings()
    cache = steps.bind_image_cache(settings)
    codec = codec_settings(settings.bind)
    ready: dict[str, EncodedImage | None] = {}
    real_assemble = steps.assemble

    def observed_binding(documents: list[Document], *args, **kwargs):  # type: ignore[no-untyped-def]
        pages = [p for d in documents for p in d.pages if p.kind == "raster"]
        ready.update({p.sha256: read_cached(p.sha256, codec, cache) for p in pages})
        with _out_of_reach(pages):
            return real_assemble(documents, *args, **kwargs)

    monkeypatch.setattr(steps, "assemble", observed_binding)
    materials = [Material(SAMPLES / "01-complaint.tif"), Material(SAMPLES / "02-power-of-attorney.jpg")]
    summary = process_case(materials, CASE, settings)

    assert len(ready) == 2
    assert all(image is not None for image in ready.values()), "a page reached binding unencoded"
    store = open_store(settings.store_uri, settings.storage)
    manifest = read_manifest(store, CaseNumber.parse(CASE), summary.version)
    store.get_file(next(o.key for o in manifest.objects if o.role == "dossier"), tmp_path / "dossier.pdf")
    page_order = [Page.model_validate(p) for d in manifest.documents for p in d["pages"]]
    first = summary.documents[0].first_page
    with pymupdf.open(tmp_path / "dossier.pdf") as pdf:
        for number, page in enumerate(page_order, start=first):
            images = pdf[number - 1].get_images()
            assert len(images) == 1
            cached = ready[page.sha256]
            assert cached is not None
            assert pdf.xref_stream_raw(images[0][0]) == cached.data
