"""Synthetic examples for the types the corpus lacks (证据目录, 送达回证) or barely has.

Made from the public court forms in ``synthetic_templates.toml``, filled with
courts, case numbers and causes found in the training texts themselves, and
roughened with OCR-like noise so the model does not learn a clean template.
Every example is labelled origin="synthetic"; evaluation never scores them as real.
"""

from __future__ import annotations

import random
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from edossier.classify.metadata import find_case_numbers, find_cause, find_court
from edossier.classify.training import Example

TARGET_PER_TYPE = 30
# Characters Tesseract's chi_sim model commonly confuses (seen in our OCR output of court scans).
_CONFUSIONS = {"人": "入", "日": "曰", "己": "已", "未": "末", "土": "士", "元": "无", "申": "由",
               "书": "节", "诉": "拆", "被": "彼", "号": "弓", "法": "沾", "院": "阮", "的": "旳"}


@dataclass(frozen=True)
class _Vocab:
    courts: tuple[str, ...]
    case_numbers: tuple[str, ...]
    causes: tuple[str, ...]
    lists: dict[str, Any]


def _templates() -> dict[str, Any]:
    raw = resources.files("edossier.classify").joinpath("synthetic_templates.toml").read_text("utf-8")
    return tomllib.loads(raw)


def mine_vocabulary(texts: Sequence[str], lists: dict[str, Any]) -> _Vocab:
    """Courts, case numbers and causes of action as they occur in TEXTS."""
    courts: set[str] = set()
    numbers: set[str] = set()
    causes: set[str] = set(lists["causes"])
    for text in texts:
        court = find_court(text)
        if court and "×" not in court:
            courts.add(court)
        numbers.update(n.normalized for n in find_case_numbers(text))
        cause = find_cause(text)
        if cause and cause.endswith("纠纷"):
            causes.add(cause)
    return _Vocab(tuple(sorted(courts)) or ("人民法院",), tuple(sorted(numbers)), tuple(sorted(causes)), lists)


def _person(rng: random.Random, lists: dict[str, Any]) -> str:
    given = str(lists["given"])
    return rng.choice(str(lists["surnames"])) + "".join(rng.choice(given) for _ in range(rng.choice((1, 2))))


def _date(rng: random.Random) -> str:
    return f"{rng.randint(2015, 2025)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日"


def _slots(rng: random.Random, vocab: _Vocab) -> dict[str, str]:
    lists = vocab.lists
    court = rng.choice(vocab.courts)
    org = rng.choice(lists["org_stem"]) + rng.choice(lists["org_suffix"])
    org2 = rng.choice(lists["org_stem"]) + rng.choice(lists["org_suffix"])
    evidence = rng.sample(list(lists["evidence"]), 7)
    rows = []
    for n, item in enumerate(evidence[: rng.randint(3, 7)], start=1):
        rows.append(
            f"{n} {item} {rng.choice(lists['sources'])} 证明{rng.choice(lists['purposes'])} "
            f"{rng.randint(1, 9)}-{rng.randint(10, 30)}"
        )
    header = rng.choice(["序号 证据名称 证据来源 证明目的 页码", "序号 证据名称 证明对象 页数", "编号 证据名称及内容 证明目的"])
    case_no = rng.choice(vocab.case_numbers) if vocab.case_numbers else f"（{rng.randint(2015, 2025)}）浙0102民初{rng.randint(1, 9999)}号"
    city = re.sub(r"(中级|高级)?人民法院$", "", court)
    return {
        "court": court,
        "court_upper": rng.choice(vocab.courts),
        "case_no": case_no,
        "cause": rng.choice(vocab.causes),
        "person": _person(rng, lists),
        "person2": _person(rng, lists),
        "judge": _person(rng, lists),
        "judge2": _person(rng, lists),
        "clerk": _person(rng, lists),
        "lawyer": _person(rng, lists),
        "org": org,
        "org2": org2,
        "firm": rng.choice(lists["firms"]),
        "party_role": rng.choice(["原告", "被告", "申请人", "上诉人", "第三人"]),
        "evidence_rows": "\n".join([header, *rows]),
        "n_items": str(len(rows)),
        "evidence_one": evidence[0],
        "evidence_two": evidence[1],
        "served_docs": "、".join(f"{d}一份" for d in rng.sample(list(lists["served"]), rng.randint(1, 4))),
        "method": rng.choice(lists["methods"]),
        "post": rng.choice(lists["posts"]),
        "sex": rng.choice(["男", "女"]),
        "sex_short": rng.choice(["男", "女"]),
        "nation": rng.choice(lists["nations"]),
        "nation_short": "汉",
        "address": f"{city}{rng.choice(['人民路', '解放路', '中山路', '建设路', '长堤街'])}{rng.randint(1, 999)}号",
        "phone": f"1{rng.randint(3, 9)}{rng.randint(100000000, 999999999)}",
        "amount": str(rng.choice([rng.randint(1, 99) * 1000, rng.randint(100, 999999)])),
        "fee": str(rng.randint(50, 9999)),
        "room": rng.choice("一二三四五六七八九") ,
        "date": _date(rng),
        "credit_code": f"91{rng.randint(10**15, 10**16 - 1)}",
        "id_number": f"{rng.randint(110000, 659999)}{rng.randint(1950, 2000)}{rng.randint(10, 12)}{rng.randint(10, 28)}{rng.randint(1000, 9999)}",
    }


def ocr_noise(text: str, rng: random.Random, rate: float = 0.02) -> str:
    """Drop, confuse and space out characters, and break or join lines, as OCR does."""
    out = []
    for ch in text:
        roll = rng.random()
        if roll < rate * 0.4:
            continue
        if roll < rate * 0.8 and ch in _CONFUSIONS:
            ch = _CONFUSIONS[ch]
        elif roll < rate:
            ch = ch + " "
        out.append(ch)
    lines = "".join(out).split("\n")
    joined: list[str] = []
    for line in lines:
        if joined and rng.random() < rate * 3:
            joined[-1] += " " + line
        else:
            joined.append(line)
    return "\n".join(joined)


def _fill(template: str, slots: dict[str, str], rng: random.Random) -> str:
    lines = []
    for line in template.splitlines():
        if line.startswith("?"):
            if rng.random() < 0.4:
                continue
            line = line[1:]
        lines.append(line)
    return "\n".join(lines).format(**slots)


def synthetic_examples(
    real: Sequence[Example], target: int = TARGET_PER_TYPE, seed: int = 0
) -> list[Example]:
    """Top up each templated type to TARGET examples (real ones count), deterministic for SEED."""
    table = _templates()
    vocab = mine_vocabulary([e.text for e in real], table["vocab"])
    rng = random.Random(seed)
    have: dict[str, int] = {}
    for example in real:
        have[example.label] = have.get(example.label, 0) + 1
    made = []
    for label, templates in sorted(table["templates"].items()):
        for n in range(max(0, target - have.get(label, 0))):
            text = _fill(templates[n % len(templates)], _slots(rng, vocab), rng)
            made.append(Example(text=ocr_noise(text, rng, rng.choice((0.0, 0.02, 0.05))), label=label,
                                origin="synthetic", name=f"synthetic/{label}/{n:03d}"))
    return made
