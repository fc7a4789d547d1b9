"""The 送达回证 page: every row of the form as real, searchable text, the hash whole, the font embedded."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pymupdf

from edossier.bind.service_receipt import METHOD, ServiceReceipt, receipt_lines, render_receipt

CST = dt.timezone(dt.timedelta(hours=8))
RECEIPT = ServiceReceipt(
    court="杭州市上城区人民法院", case="（2024）浙0102民初1234号", document="民事判决书", doc_type="判决书",
    recipient="party1（当事人）", served_by="clerk1",
    sent=dt.datetime(2026, 12, 6, 9, 30, 5, tzinfo=CST), delivered=dt.datetime(2026, 12, 7, 14, 2, 59, tzinfo=CST),
    sha256="3f" * 32, service_id="a1b2c3d4e5f60718",
)


def test_receipt_page_holds_every_row_and_the_whole_hash(tmp_path: Path) -> None:
    pdf = pymupdf.open(render_receipt(RECEIPT, tmp_path / "r.pdf"))
    assert pdf.page_count == 1
    text = pdf[0].get_text()
    assert text.lstrip().startswith("杭州市上城区人民法院") and "送　达　回　证" in text
    for label, value in receipt_lines(RECEIPT):
        assert re.search(rf"{label}：\s*{re.escape(value)}", text), label
    assert "3f" * 32 in text.replace("\n", "")
    assert "2026-12-06 09:30:05 +08:00" in text and "2026-12-07 14:02:59 +08:00" in text and METHOD in text
    fonts = pdf[0].get_fonts()
    assert fonts and all(f[1] != "n/a" for f in fonts)  # embedded: the page reads the same anywhere
    hash_line = next(b for b in pdf[0].get_text("blocks") if "3f" * 32 in b[4].replace("\n", ""))
    assert hash_line[2] <= pdf[0].rect.width  # the hash fits on the page
