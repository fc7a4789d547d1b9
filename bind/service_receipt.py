"""The electronic proof of service (送达回证), drawn as one A4 page of real text.

When a party opens a document served electronically (电子送达), the court needs
the same proof the paper form gives: which document, to whom, how, when it was
sent and when it was received.  The served file's SHA-256 is printed in full,
so anyone holding the file can check that what was delivered is what the
dossier records.  The page is born digital, so binding copies it with its text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from edossier.bind.front_matter import A4, MARGIN
from edossier.bind.text_layer import text_font, text_width

METHOD = "电子送达"


@dataclass(frozen=True)
class ServiceReceipt:
    court: str
    case: str
    document: str
    """Title of the served document."""
    doc_type: str
    recipient: str
    served_by: str
    sent: dt.datetime
    delivered: dt.datetime
    sha256: str
    """SHA-256 of the served file."""
    service_id: str


def receipt_lines(receipt: ServiceReceipt) -> list[tuple[str, str]]:
    """The form's rows: label and value, as printed."""
    return [
        ("案　　号", receipt.case),
        ("送达文书", f"{receipt.document}（{receipt.doc_type}）"),
        ("受送达人", receipt.recipient),
        ("送达方式", METHOD),
        ("送 达 人", receipt.served_by),
        ("发送时间", _when(receipt.sent)),
        ("送达时间", _when(receipt.delivered)),
        ("送达编号", receipt.service_id),
    ]


def render_receipt(receipt: ServiceReceipt, output: Path) -> Path:
    """Write the 送达回证 to OUTPUT (a one-page PDF with its font embedded)."""
    pdf = pymupdf.open()
    page = pdf.new_page(width=A4[0], height=A4[1])
    writer = pymupdf.TextWriter(page.rect)
    font = text_font()

    def put(x: float, y: float, text: str, size: float) -> None:
        writer.append(pymupdf.Point(x, y), text, font=font, fontsize=size)

    def centred(y: float, text: str, size: float) -> None:
        put((A4[0] - text_width(text, size)) / 2, y, text, size)

    centred(110, receipt.court or "人民法院", 20)
    centred(160, "送　达　回　证", 28)
    y = 240.0
    for label, value in receipt_lines(receipt):
        put(MARGIN + 20, y, f"{label}：", 14)
        put(MARGIN + 120, y, value, 14)
        page.draw_line((MARGIN + 118, y + 5), (A4[0] - MARGIN - 20, y + 5), width=0.6)
        y += 42
    put(MARGIN + 20, y, "送达文书 SHA-256：", 14)
    put(MARGIN + 20, y + 26, receipt.sha256, 9.5)
    y += 80
    for line in (
        "受送达人于上述送达时间在本院电子送达平台打开送达文书，视为送达。",
        "本回证由系统于送达时生成，随案装订入电子卷宗并签名；",
        "文书内容可凭上列 SHA-256 校验与送达的文件一致。",
    ):
        put(MARGIN + 20, y, line, 11)
        y += 22
    writer.write_text(page)
    output.parent.mkdir(parents=True, exist_ok=True)
    pdf.subset_fonts()
    pdf.save(output, garbage=3, deflate=True)
    pdf.close()
    return output


def _when(moment: dt.datetime) -> str:
    """Local court time with its offset, to the second: 2026-12-06 16:40:12 +08:00."""
    text = moment.strftime("%Y-%m-%d %H:%M:%S %z")
    return text[:-2] + ":" + text[-2:] if moment.utcoffset() is not None else text
