"""Real dossiers, accounts and texts for the web reader's tests.

Dossiers are made from born-digital PDFs (bench.pagegen.text_pdf), so the real
pipeline binds and signs them without OCR time.  One dossier holds a 副卷
document: no doctype is marked secondary yet, so ``publish_dossier`` runs the
pipeline's own steps, marks the document's volume and binds each volume as
process_case does.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.pagegen import text_pdf
from edossier.casenumber import CaseNumber
from edossier.classify.doctypes import binding_order
from edossier.config import Settings, load_settings
from edossier.pipeline.process import Material, bind_and_sign, make_document, publish_version, read_material
from edossier.storage import open_store
from edossier.web.accounts import open_accounts

CASE_A = "（2024）浙0102民初1234号"
CASE_B = "（2024）浙0102民初5678号"
PASSWORD = "initial-pass-123"
NEW_PASSWORD = "chosen-pass-4567"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "web"

COMPLAINT = [
    "民事起诉状\n原告：张三，男，汉族，住杭州市西湖区文三路100号。\n被告：李四，男，汉族，住杭州市上城区解放路8号。\n"
    "诉讼请求：\n一、判令被告归还借款本金人民币伍万元整；\n二、本案诉讼费用由被告承担。",
    "事实与理由：\n2023年3月1日，被告因经营需要向原告借款，双方签订借款合同一份。\n"
    "借款到期后被告未归还，原告多次催讨无果，特诉至贵院。\n此致\n杭州市上城区人民法院\n具状人：张三",
]
POWER = ["授权委托书\n委托人：张三\n受委托人：赵律师，浙江某某律师事务所律师。\n代理权限：特别授权，代为承认、放弃、变更诉讼请求。"]
JUDGMENT = [
    "杭州市上城区人民法院\n民事判决书\n原告张三与被告李四民间借贷纠纷一案，本院受理后依法适用简易程序公开开庭进行了审理。",
    "本院认为，合法的借贷关系受法律保护。\n判决如下：\n被告李四于本判决生效之日起十日内归还原告张三借款本金人民币伍万元。",
]
DELIBERATION = ["合议庭评议笔录\n评议意见：合议庭一致认为原告诉请有据，评议内容仅供本院内部掌握。\n审判长：王法官；审判员：陈法官。"]
OTHER_CASE = ["民事起诉状\n原告：王五，住宁波市海曙区中山路1号。\n被告：钱六。\n诉讼请求：判令被告支付货款人民币捌万元。"]


@dataclass(frozen=True)
class WebEnv:
    settings: Settings
    root: Path


def publish_dossier(settings: Settings, case: str, documents: list[tuple[Path, str, str, str]]) -> None:
    """Bind DOCUMENTS (path, type, volume, title) as the case's first version with the pipeline's own steps."""
    number = CaseNumber.parse(case)
    store = open_store(settings.store_uri)
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    docs, sources = [], []
    for path, doc_type, volume, title in documents:
        source, pages = read_material(Material(path=path, declared_type=doc_type), settings, settings.work_dir, None)
        doc = make_document(source, pages, [None] * len(pages), settings, title)
        docs.append(doc.model_copy(update={"volume": volume}))
        sources.append(source)
    docs.sort(key=lambda d: binding_order(d.classification.type))
    with tempfile.TemporaryDirectory(dir=settings.work_dir) as tmp:
        pdfs, entries, ordered = [], [], []
        for volume in ("main", "secondary"):  # 正卷 and 副卷 are bound as separate PDFs
            in_volume = [d for d in docs if d.volume == volume]
            if in_volume:
                pdf, volume_entries = bind_and_sign(in_volume, number, 1, settings, Path(tmp))
                pdfs.append(pdf)
                entries.extend(volume_entries)
                ordered.extend(in_volume)
        publish_version(store, number, 1, ordered, sources, pdfs, entries, {"bound_by": "fixture"})


def make_env(root: Path) -> WebEnv:
    settings = load_settings(data_dir=root / "data", user="clerk1", web={"upload_max_bytes": 2_000_000})
    inputs = root / "inputs"
    publish_dossier(settings, CASE_A, [
        (text_pdf(inputs / "complaint.pdf", COMPLAINT), "起诉状", "main", "民事起诉状"),
        (text_pdf(inputs / "power.pdf", POWER), "授权委托书", "main", "授权委托书"),
        (text_pdf(inputs / "judgment.pdf", JUDGMENT), "判决书", "main", "民事判决书"),
        (text_pdf(inputs / "deliberation.pdf", DELIBERATION), "笔录", "secondary", "合议庭评议笔录"),
    ])
    publish_dossier(settings, CASE_B, [(text_pdf(inputs / "other.pdf", OTHER_CASE), "起诉状", "main", "民事起诉状")])
    accounts = open_accounts(settings)
    accounts.add("judge1", "judge", PASSWORD)
    accounts.add("clerk1", "clerk", PASSWORD)
    accounts.add("lawyer1", "lawyer", PASSWORD, (CASE_A,))
    accounts.close()
    return WebEnv(settings=settings, root=root)


