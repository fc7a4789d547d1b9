"""Case numbers: normalisation of real-world variants, refusal of anything else, path safety."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edossier.casenumber import PROVINCES, CaseNumber, case_type_codes
from edossier.errors import CaseNumberError, ExitCode
from edossier.pipeline.cli import main


@pytest.mark.parametrize(
    "text",
    [
        "（2024）浙0102民初100号",
        "(2024)浙0102民初100号",
        "〔2024〕浙0102民初100号",
        "[2024]浙0102民初100号",
        "【2024】浙0102民初100号",
        "（２０２４）浙０１０２民初１００号",
        " （2024） 浙 0102 民初 100 号 ",
        "（2024）浙0102民初100",
    ],
)
def test_variants_normalise_to_one_form(text: str) -> None:
    case = CaseNumber.parse(text)
    assert case.normalized == "（2024）浙0102民初100号"
    assert (case.year, case.court, case.type, case.serial) == (2024, "浙0102", "民初", 100)


def test_court_levels_and_types() -> None:
    assert CaseNumber.parse("（2020）最高法民申12号").court == "最高法"
    assert CaseNumber.parse("（2021）浙01民终7号").court == "浙01"
    assert CaseNumber.parse("（2019）浙执恢3号").type == "执恢"
    assert CaseNumber.parse("（2022）浙0192民辖终5号").type == "民辖终"


def test_pre_2016_form_keeps_its_shape() -> None:
    case = CaseNumber.parse("(2012)江宁开民初字第646号")
    assert case.normalized == "（2012）江宁开民初字第646号"
    assert (case.court, case.type, case.serial) == ("江宁开", "民初", 646)
    assert CaseNumber.parse("（2013）浙杭行终字第00402号").normalized == "（2013）浙杭行终字第402号"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("2024浙0102民初100号", "year in brackets"),
        ("（24）浙0102民初100号", "four digits"),
        ("（2024）X0102民初100号", "court code"),
        ("（2024）浙0102民初号", "serial"),
        ("（2024）浙0102民初0100号", "leading zero"),
        ("（2024）浙0102坏码100号", "case-type code"),
        ("（2024）浙0102民初100号/../../etc", "path separator"),
        ("..", "path separator"),
        ("（2024）浙0102民初\x00100号", "control"),
        ("（2024）浙0102民初100号\u202e", "control"),
        ("（2024）浙0102民初" + "1" * 80 + "号", "longer than"),
        ("（1900）浙0102民初1号", "out of range"),
    ],
)
def test_rejects_with_reason(text: str, reason: str) -> None:
    with pytest.raises(CaseNumberError) as info:
        CaseNumber.parse(text)
    assert reason in str(info.value)
    assert info.value.exit_code == ExitCode.bad_argument


_case_parts = st.tuples(
    st.integers(1949, 2100),
    st.sampled_from(sorted(PROVINCES)),
    st.sampled_from(["", "01", "0102", "0192"]),
    st.sampled_from(sorted(case_type_codes())),
    st.integers(1, 9_999_999),
)


@given(_case_parts, st.sampled_from(["()", "（）", "〔〕", "[]"]), st.booleans())
@settings(max_examples=300, deadline=None)
def test_round_trip(parts: tuple[int, str, str, str, int], brackets: str, full_width: bool) -> None:
    year, province, digits, code, serial = parts
    text = f"{brackets[0]}{year}{brackets[1]}{province}{digits}{code}{serial}号"
    if full_width:
        text = text.translate(str.maketrans(string.digits, "０１２３４５６７８９"))
    case = CaseNumber.parse(text)
    assert (case.year, case.court, case.type, case.serial) == (year, province + digits, code, serial)
    assert CaseNumber.parse(case.normalized) == case
    assert CaseNumber.parse(case.normalized).normalized == case.normalized


@given(st.text(max_size=80))
@settings(max_examples=500, deadline=None)
def test_hostile_strings_never_make_an_unsafe_key(text: str) -> None:
    try:
        case = CaseNumber.parse(text)
    except CaseNumberError:
        return
    key = case.key
    assert "/" not in key and "\\" not in key and ".." not in key and "." not in key
    assert all(ch.isprintable() and not ch.isspace() for ch in key)


def test_cli_json_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["casenumber", "(2024)浙0102民初100号", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {
        "input": "(2024)浙0102民初100号",
        "normalized": "（2024）浙0102民初100号",
        "year": 2024,
        "court": "浙0102",
        "type": "民初",
        "serial": 100,
    }
    assert main(["casenumber", "../../etc/passwd"]) == 2
    assert "invalid case number" in capsys.readouterr().err
