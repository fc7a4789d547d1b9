"""Real dossiers, accounts and texts for the web reader's tests.

Dossiers are made from born-digital PDFs (bench.pagegen.text_pdf), so the real
pipeline (``process_case``: read, classify, bind, sign, store) runs without OCR
time.  Case A grows over three versions, as a case does: its 正卷 gets a
continuation catalogue and a closing sheet per version, and from version 2 on
it has a 副卷, whose papers are declared by no one: the shipped document types
place them there from their titles.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.pagegen import text_pdf
from edossier.config import Settings, load_settings
from edossier.pipeline.process import Material, process_case
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
DELIBERATION = ["合议庭评议笔录\n时间：2024年5月6日\n评议意见：合议庭一致认为原告诉请有据，评议内容仅供本院内部掌握。\n"
                "审判长：王法官；审判员：陈法官。"]
SUMMONS = ["传票\n案号：（2024）浙0102民初1234号\n被传唤人：李四\n传唤事由：开庭审理\n应到时间：2024年6月3日上午9时\n"
           "应到处所：本院第五法庭"]
REPORT = ["案件审理报告\n一、当事人基本情况：原告张三，被告李四。\n二、审理经过：承办人拟同意原告诉请，报请合议庭评议。"]
OTHER_CASE = ["民事起诉状\n原告：王五，住宁波市海曙区中山路1号。\n被告：钱六。\n诉讼请求：判令被告支付货款人民币捌万元。"]

CASE_A_VERSIONS: list[list[tuple[str, list[str], str | None, str | None]]] = [
    [("complaint", COMPLAINT, "起诉状", "民事起诉状"), ("power", POWER, "授权委托书", "授权委托书")],
    [("judgment", JUDGMENT, "判决书", "民事判决书"), ("deliberation", DELIBERATION, None, None)],
    [("summons", SUMMONS, "传票", "传票"), ("report", REPORT, None, None)],
]
"""Case A version by version: (file, page texts, declared type, title); undeclared papers are classified."""


@dataclass(frozen=True)
class WebEnv:
    settings: Settings
    root: Path


def publish_versions(settings: Settings, case: str, versions: list[list[tuple[str, list[str], str | None, str | None]]],
                     inputs: Path) -> None:
    """Process each list of papers into the case's next version, as a clerk would with ``edossier process``."""
    for papers in versions:
        materials = [Material(text_pdf(inputs / f"{name}.pdf", pages), declared_type=doc_type, title=title)
                     for name, pages, doc_type, title in papers]
        process_case(materials, case, settings)


def make_env(root: Path) -> WebEnv:
    settings = load_settings(data_dir=root / "data", user="clerk1", web={"upload_max_bytes": 2_000_000})
    inputs = root / "inputs"
    publish_versions(settings, CASE_A, CASE_A_VERSIONS, inputs)
    publish_versions(settings, CASE_B, [[("other", OTHER_CASE, "起诉状", "民事起诉状")]], inputs)
    accounts = open_accounts(settings)
    accounts.add("judge1", "judge", PASSWORD)
    accounts.add("clerk1", "clerk", PASSWORD)
    accounts.add("lawyer1", "lawyer", PASSWORD, (CASE_A,))
    accounts.close()
    return WebEnv(settings=settings, root=root)
