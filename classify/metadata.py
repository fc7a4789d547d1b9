"""Metadata read from a document's text: case numbers, court, parties, dates, cause of action.

Everything here is a candidate found by pattern and checked where a check exists
(case numbers go through ``CaseNumber.parse``, dates through the calendar); a
candidate that fails its check is dropped, never guessed into shape.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import asdict, dataclass

from edossier.casenumber import CaseNumber
from edossier.errors import CaseNumberError

_CJK = "\u4e00-\u9fff"
_CASE_CANDIDATE = re.compile(
    r"[（(〔\[【［]\s*[0-9０-９]{4}\s*[）)〕\]】］]\s*[" + _CJK + r"0-9０-９\s]{2,24}?号"
)
_COURT = re.compile(
    rf"最高人民法院|[{_CJK}]{{1,14}}?(?:省|市|县|区|州|盟|旗)(?:第[一二三四五六七八九十]+)?(?:中级|高级)?人民法院"
    rf"|[{_CJK}]{{2,10}}?(?:海事法院|知识产权法院|互联网法院|金融法院|铁路运输法院)"
)
_COURT_LEAD = re.compile(r"^.*[向由经在至于及和与对据将被]")
PARTY_ROLES = (
    "再审申请人", "被申请人", "申请执行人", "被执行人", "被上诉人", "上诉人", "原审原告", "原审被告",
    "原审第三人", "申请人", "第三人", "原告", "被告", "自诉人", "被告人", "赔偿请求人", "赔偿义务机关",
)
AGENT_ROLES = ("委托诉讼代理人", "委托代理人", "诉讼代理人", "法定代表人", "法定代理人", "负责人", "辩护人")
_ROLE_LINE = re.compile(
    r"^(?P<role>" + "|".join(sorted(PARTY_ROLES + AGENT_ROLES, key=len, reverse=True)) + r")"
    r"(?:[（(][^）)]{0,12}[）)])?[：:\s]*(?P<name>[^，,。；;：:（(\s]{2,30})(?:[，,。；;（(]|$)"
)
# A role word opening a sentence of prose, not a party paragraph: "原告诉称", "被告向本院提交…".
_NOT_A_NAME = re.compile(r"称|因|向|要求|提交|不服|诉|在|于|对|的|已|未|是|应|经|认为|请求|提出|申请")
_DATE = re.compile(r"(?<![0-9])([0-9]{4})\s*年\s*([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*日")
_CN_DATE = re.compile(r"([〇○零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日")
_CN_DIGIT = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0}
_CAUSE_LABEL = re.compile(r"^案由[：:]?\n?([" + _CJK + r"、]{2,24})$", re.MULTILINE)
_CAUSE_CASE = re.compile(
    rf"([{_CJK}、]{{2,30}}?(?:纠纷|行政管理|行政处罚|行政许可|行政复议|行政强制|信息公开|工伤认定|行政赔偿|罪))"
    r"(?:一案|两案|系列案|案件)"
)
_PLACEHOLDER = re.compile(r"[×＿_…]|^某+$")


@dataclass(frozen=True)
class Party:
    role: str
    name: str
    agent_of: str | None = None


@dataclass(frozen=True)
class Metadata:
    case_numbers: tuple[str, ...]
    court: str | None
    parties: tuple[Party, ...]
    dates: tuple[str, ...]
    cause: str | None

    def as_dict(self) -> dict[str, object]:
        return asdict(self) | {"parties": [asdict(p) for p in self.parties]}


def _lines(text: str) -> list[str]:
    return [re.sub(r"[ \t\u3000]+", "", line) for line in unicodedata.normalize("NFKC", text).splitlines()]


def find_case_numbers(text: str) -> list[CaseNumber]:
    """Every case number in TEXT that parses, normalised, in order of first appearance."""
    found: dict[str, CaseNumber] = {}
    for match in _CASE_CANDIDATE.finditer(text):
        try:
            number = CaseNumber.parse(match.group())
        except CaseNumberError:
            continue
        found.setdefault(number.normalized, number)
    return list(found.values())


def find_court(text: str) -> str | None:
    """The court named on a title line, else the first court named in the text."""
    for line in [line for line in _lines(text) if line][:5]:
        match = _COURT.fullmatch(line) or _COURT.match(line)
        if match and len(line) <= len(match.group()) + 8:
            return match.group()
    for line in _lines(text):
        for match in _COURT.finditer(line):
            name = _COURT_LEAD.sub("", match.group())
            if len(name) >= 4 and not name.startswith("本院"):
                return name
    return None


def find_parties(text: str) -> list[Party]:
    """Parties from lines that open with a role (原告张三，…); agents are tied to the last party."""
    parties: list[Party] = []
    seen: set[tuple[str, str]] = set()
    last: str | None = None
    for line in _lines(text):
        match = _ROLE_LINE.match(line)
        if not match or _PLACEHOLDER.search(match["name"]) or _NOT_A_NAME.search(match["name"][1:]):
            continue
        role, name = match["role"], match["name"]
        if role in AGENT_ROLES:
            party = Party(role, name, agent_of=last)
        else:
            party = Party(role, name)
            last = name
        if (role, name) not in seen:
            seen.add((role, name))
            parties.append(party)
    return parties


def find_dates(text: str) -> list[str]:
    """Calendar dates (Arabic or Chinese numerals) as ISO strings, in order, without repeats."""
    found: dict[str, None] = {}
    folded = unicodedata.normalize("NFKC", text)
    candidates = [(m.start(), m.groups()) for m in _DATE.finditer(folded)]
    candidates += [(m.start(), tuple(_cn_number(g) for g in m.groups())) for m in _CN_DATE.finditer(folded)]
    for _, (year, month, day) in sorted(candidates):
        try:
            found.setdefault(dt.date(int(year), int(month), int(day)).isoformat(), None)
        except ValueError:
            continue
    return list(found)


def _cn_number(digits: str) -> str:
    if len(digits) == 4:
        return "".join(str(_CN_DIGIT[c]) for c in digits)
    if digits == "十":
        return "10"
    if digits.startswith("十"):
        return str(10 + _CN_DIGIT[digits[1]])
    if digits.endswith("十"):
        return str(10 * _CN_DIGIT[digits[0]])
    if "十" in digits:
        return str(10 * _CN_DIGIT[digits[0]] + _CN_DIGIT[digits[-1]])
    return str(_CN_DIGIT[digits])


def find_cause(text: str, parties: list[Party] | None = None) -> str | None:
    """案由: a labelled 案由 field, else the "…纠纷一案" phrase with the party names cut off."""
    folded = "\n".join(_lines(text))
    labelled = _CAUSE_LABEL.search(folded)
    if labelled and not _PLACEHOLDER.search(labelled.group(1)):
        return labelled.group(1)
    match = _CAUSE_CASE.search(folded)
    if not match:
        return None
    cause = match.group(1)
    names = [p.name for p in (parties if parties is not None else find_parties(text))]
    cut = max((cause.rfind(n) + len(n) for n in names if n in cause), default=0)
    cause = cause[cut:]
    for lead in ("诉", "与", "因", "不服", "被告", "原告"):
        if lead in cause[:-2]:
            cause = cause[cause.rfind(lead) + len(lead):]
    return cause if len(cause) >= 3 else None


def extract_metadata(text: str) -> Metadata:
    parties = find_parties(text)
    return Metadata(
        case_numbers=tuple(n.normalized for n in find_case_numbers(text)),
        court=find_court(text),
        parties=tuple(parties),
        dates=tuple(find_dates(text)),
        cause=find_cause(text, parties),
    )
