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

from edossier.bind.court_form import CourtForm, form_time, render_form

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
        ("发送时间", form_time(receipt.sent)),
        ("送达时间", form_time(receipt.delivered)),
        ("送达编号", receipt.service_id),
    ]


def render_receipt(receipt: ServiceReceipt, output: Path) -> Path:
    """Write the 送达回证 to OUTPUT (a one-page PDF with its font embedded)."""
    notes = (
        ("送达文书 SHA-256：", 14.0),
        (receipt.sha256, 9.5),
        ("受送达人于上述送达时间在本院电子送达平台打开送达文书，视为送达。本回证由系统于送达时生成，"
         "随案装订入电子卷宗并签名；文书内容可凭上列 SHA-256 校验与送达的文件一致。", 11.0),
    )
    form = CourtForm(court=receipt.court, title="送　达　回　证", rows=tuple(receipt_lines(receipt)), notes=notes)
    return render_form(form, output)
