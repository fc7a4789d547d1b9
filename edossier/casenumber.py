"""The case number (案号): the identity of a case and therefore its storage key.

Rule: 最高人民法院《关于人民法院案件案号的若干规定》 (in force 2016-01-01):
（year）+ court code + case-type code + serial + 号.  Variants seen at filing
windows (other brackets, half/full-width digits, spaces, the pre-2016 字第 form)
are normalised only where the reading is unambiguous; anything else is refused
with a reason, because a wrong case number files evidence under the wrong case.

Because the normalised form becomes a folder name and an object key, it is built
only from a closed alphabet (CJK, ASCII digits, （）) and can never hold a path
separator, a dot or a control character.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from edossier.errors import CaseNumberError

MAX_INPUT_LENGTH = 64
PROVINCES = "京津冀晋内蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川黔贵云藏陕甘青宁新兵"
_OPEN_BRACKETS = "（(〔[【［｛{〈<《"
_CLOSE_BRACKETS = "）)〕]】］｝}〉>》"
_NEW_FORM = re.compile(
    r"^（(?P<year>[0-9]{4})）"
    rf"(?P<court>最高法|[{PROVINCES}](?:[0-9]{{4}}|[0-9]{{2}})?)"
    r"(?P<type>[\u4e00-\u9fff]{1,4}?)"
    r"(?P<serial>[0-9]{1,7})号?$"
)
_OLD_FORM = re.compile(
    r"^（(?P<year>[0-9]{4})）"
    r"(?P<head>[\u4e00-\u9fff]{2,12}?)字第"
    r"(?P<serial>[0-9]{1,7})号?$"
)
_SAFE_KEY = re.compile(r"^（[0-9]{4}）[\u4e00-\u9fff0-9]+号$")


@lru_cache(maxsize=1)
def case_type_codes() -> frozenset[str]:
    """Known case-type codes, from the data file shipped with the package."""
    text = resources.files("edossier").joinpath("case_types.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


@dataclass(frozen=True, order=True)
class CaseNumber:
    """A parsed, normalised case number; compare and hash by its parts."""

    year: int
    court: str
    type: str
    serial: int
    old_form: bool = False

    @property
    def normalized(self) -> str:
        middle = f"{self.court}{self.type}字第" if self.old_form else f"{self.court}{self.type}"
        return f"（{self.year}）{middle}{self.serial}号"

    @property
    def key(self) -> str:
        """The storage key: the normalised text, proven safe as one path segment."""
        key = self.normalized
        if not _SAFE_KEY.match(key):  # unreachable for parsed values; guards constructors
            raise CaseNumberError(key, "not a safe storage key")
        return key

    def __str__(self) -> str:
        return self.normalized

    def as_dict(self) -> dict[str, object]:
        return {
            "normalized": self.normalized,
            "year": self.year,
            "court": self.court,
            "type": self.type,
            "serial": self.serial,
        }

    @classmethod
    def parse(cls, text: str) -> CaseNumber:
        """Parse and normalise TEXT, or raise CaseNumberError saying why not."""
        if not isinstance(text, str) or not text.strip():
            raise CaseNumberError(str(text), "empty case number")
        if len(text) > MAX_INPUT_LENGTH:
            raise CaseNumberError(text[:MAX_INPUT_LENGTH] + "…", f"longer than {MAX_INPUT_LENGTH} characters")
        if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in text):
            raise CaseNumberError(text, "contains control or invisible characters")
        if any(ch in text for ch in "/\\.:"):
            raise CaseNumberError(text, "contains a path separator or dot")
        canon = _canonical(text)
        match = _NEW_FORM.match(canon)
        if match:
            return cls._from_new_form(text, match)
        match = _OLD_FORM.match(canon)
        if match:
            return cls._from_old_form(text, match)
        raise CaseNumberError(text, _explain(canon))

    @classmethod
    def _from_new_form(cls, text: str, match: re.Match[str]) -> CaseNumber:
        code = match["type"]
        if code not in case_type_codes():
            raise CaseNumberError(text, f"unknown case-type code {code!r}")
        return cls(_year(text, match["year"]), match["court"], code, _serial(text, match["serial"]))

    @classmethod
    def _from_old_form(cls, text: str, match: re.Match[str]) -> CaseNumber:
        head = match["head"]
        codes = case_type_codes()
        for split in range(1, len(head)):
            court, code = head[:split], head[split:]
            if code in codes:
                return cls(
                    _year(text, match["year"]),
                    court,
                    code,
                    _serial(text, match["serial"], padded_ok=True),
                    old_form=True,
                )
        raise CaseNumberError(text, f"no known case-type code at the end of {head!r} before 字第")


def _canonical(text: str) -> str:
    """Fold the unambiguous variants: width, brackets, spaces."""
    folded = []
    for ch in text:
        if ch in _OPEN_BRACKETS:
            folded.append("（")
        elif ch in _CLOSE_BRACKETS:
            folded.append("）")
        elif ch.isspace() or ch == "\u3000":
            continue
        else:
            # NFKC folds full-width digits (２０２４ → 2024) and leaves CJK alone.
            folded.append(unicodedata.normalize("NFKC", ch) if ch.isdigit() else ch)
    return "".join(folded)


def _year(text: str, digits: str) -> int:
    year = int(digits)
    if not 1949 <= year <= 2100:
        raise CaseNumberError(text, f"year {year} out of range")
    return year


def _serial(text: str, digits: str, padded_ok: bool = False) -> int:
    """Serials have no leading zeros since 2016; the old 字第 form was often zero-padded (第00402号)."""
    if int(digits) == 0:
        raise CaseNumberError(text, "serial number is zero")
    if digits.startswith("0") and not padded_ok:
        raise CaseNumberError(text, "serial number has a leading zero")
    return int(digits)


def _explain(canon: str) -> str:
    if not canon.startswith("（") or "）" not in canon:
        return "missing the year in brackets, e.g. （2024）"
    if not re.match(r"^（[0-9]{4}）", canon):
        return "the year must be four digits"
    rest = canon[canon.index("）") + 1 :]
    if not rest or not (rest.startswith("最高法") or rest[0] in PROVINCES):
        return "unknown court code (expected 最高法 or a province abbreviation such as 浙)"
    if not re.search(r"[0-9]+号?$", rest):
        return "missing the serial number"
    return "does not match （year）court-code type-code serial号"
