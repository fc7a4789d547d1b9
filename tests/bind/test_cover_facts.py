"""The cover (卷皮) shows the court, cause of action and parties read from the filed documents."""

from __future__ import annotations

from pathlib import Path

import pymupdf

from edossier.config import load_settings
from edossier.pipeline.process import Material, process_case
from edossier.storage.filesystem import FilesystemStore

LINES = [
    "民事起诉状",
    "原告：张三，男，1980年5月1日出生，住杭州市上城区。",
    "被告：杭州某某贸易有限公司，住所地杭州市西湖区。",
    "案由：买卖合同纠纷",
    "诉讼请求：判令被告支付货款人民币五万元。",
    "此致",
    "浙江省杭州市上城区人民法院",
]


def _complaint(path: Path) -> Path:
    doc = pymupdf.open()
    page = doc.new_page()
    for number, line in enumerate(LINES):
        page.insert_text((72, 90 + 24 * number), line, fontname="china-s", fontsize=12)
    doc.save(path)
    return path


def test_cover_carries_court_cause_and_parties(tmp_path: Path, data_dir: Path) -> None:
    store = FilesystemStore(data_dir / "store")
    summary = process_case([Material(_complaint(tmp_path / "complaint.pdf"))], "（2024）浙0102民初55号",
                           load_settings(), store=store)
    pdf = next(store.root.rglob("dossier-*.pdf"))
    with pymupdf.open(pdf) as bound:
        cover = "".join(bound[0].get_text().split())
    assert summary.documents[0].type == "起诉状"
    assert "浙江省杭州市上城区人民法院" in cover
    assert "买卖合同纠纷" in cover
    assert "原告：张三" in cover and "被告：杭州某某贸易有限公司" in cover
