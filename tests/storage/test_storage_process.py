"""The whole job into each store: publishing is idempotent and every version reads back.

The input is a born-digital PDF (text layer, no OCR), so the test spends its time
on binding, signing and storing.
"""

from __future__ import annotations

from pathlib import Path

import pymupdf
from tests.storage.storage_helpers import unique_case

from edossier.config import load_settings
from edossier.pipeline.process import Material, process_case
from edossier.storage import Store
from edossier.storage.fixity import check_case
from edossier.storage.manifest import published_versions, read_manifest


def _filing(path: Path, title: str) -> Path:
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 100), title, fontname="china-s", fontsize=20)
    page.insert_text((72, 140), "原告：张三。被告：李四。诉讼请求：判令被告归还借款。", fontname="china-s", fontsize=11)
    doc.save(path)
    return path


def test_same_materials_twice_make_one_version_then_new_ones_chain(
    any_store: Store, tmp_path: Path, data_dir: Path
) -> None:
    settings = load_settings()
    case = unique_case()
    complaint = Material(_filing(tmp_path / "complaint.pdf", "民事起诉状"), declared_type="起诉状")
    first = process_case([complaint], case.normalized, settings, store=any_store)
    again = process_case([complaint], case.normalized, settings, store=any_store)
    assert (first.version, again.version) == (1, 1)
    assert again.pdf_sha256 == first.pdf_sha256
    defence = Material(_filing(tmp_path / "defence.pdf", "民事答辩状"), declared_type="答辩状")
    second = process_case([complaint, defence], case.normalized, settings, store=any_store)
    assert second.version == 2 and [e.type for e in second.documents] == ["起诉状", "答辩状"]
    assert second.pages == first.pages + 3  # a continuation catalogue, the defence, a closing sheet
    assert published_versions(any_store, case) == [1, 2]
    manifest = read_manifest(any_store, case)
    assert sum(entry.role == "original" for entry in manifest.objects) == 2  # each manifest names all
    assert manifest.previous_manifest_sha256 is not None
    assert check_case(any_store, case).ok
