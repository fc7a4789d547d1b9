"""Metadata from real court texts: case numbers (normalised), court, parties, dates, cause."""

from __future__ import annotations

from edossier.casenumber import CaseNumber
from edossier.classify.metadata import extract_metadata, find_case_numbers, find_dates, find_parties
from tests.classify.conftest import MINI_CORPUS, corpus_text


def test_summons_metadata() -> None:
    meta = extract_metadata(corpus_text("docs/传票/cj_zunyi_2018_min_zhong_5625.txt"))
    assert meta.case_numbers == ("（2018）黔03民终5625号",)  # written (2018) with half-width brackets
    assert meta.court == "遵义市中级人民法院"
    assert meta.cause == "财产损害赔偿纠纷"
    assert meta.dates == ("2018-10-17",)


def test_judgment_parties_and_case_numbers() -> None:
    meta = extract_metadata(corpus_text("docs/判决书/wenshu_pj_3c5f2393.txt"))
    assert meta.case_numbers[0] == "（2020）苏1202行初177号"
    assert meta.court == "江苏省泰州市海陵区人民法院"
    roles = {(p.role, p.name) for p in meta.parties}
    assert ("原告", "江苏中泰建发集团有限公司") in roles
    assert ("被告", "泰州市姜堰区行政审批局") in roles


def test_every_case_number_in_the_corpus_texts_parses_and_normalises() -> None:
    texts = [p.read_text("utf-8") for p in sorted(MINI_CORPUS.glob("docs/*/*.txt"))]
    found = [n for text in texts for n in find_case_numbers(text)]
    assert len(found) >= 5
    for number in found:
        assert CaseNumber.parse(number.normalized) == number


def test_court_codes_as_written_on_real_case_numbers() -> None:
    """Guizhou's court code is 黔 and Inner Mongolia's is 内 (both seen in the corpus)."""
    text = "（2018）黔03民终5625号；（2018）内0822行初22号"
    assert [n.court for n in find_case_numbers(text)] == ["黔03", "内0822"]


def test_variants_are_normalised_and_junk_is_dropped() -> None:
    text = "案号：〔２０１９〕浙 01 民终 88 号，原审（2012）江宁开民初字第646号；另见（2020）火星01民初1号。"
    assert [n.normalized for n in find_case_numbers(text)] == ["（2019）浙01民终88号", "（2012）江宁开民初字第646号"]


def test_dates_in_both_numeral_systems() -> None:
    assert find_dates("二〇一八年五月三十日立案，2019年2月30日无效，2019年3月1日开庭") == ["2018-05-30", "2019-03-01"]


def test_agents_are_tied_to_their_party() -> None:
    text = "原告：张三，男，汉族。\n委托诉讼代理人：李四，上海明伦律师事务所律师。\n被告：某某有限公司。\n法定代表人：王五，总经理。"
    parties = find_parties(text)
    assert [(p.role, p.name, p.agent_of) for p in parties] == [
        ("原告", "张三", None),
        ("委托诉讼代理人", "李四", "张三"),
        ("被告", "某某有限公司", None),
        ("法定代表人", "王五", "某某有限公司"),
    ]
