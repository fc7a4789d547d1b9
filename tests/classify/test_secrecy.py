"""Classified material is refused and quarantined, never bound or stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from edossier.classify.secrecy import secrecy_marking
from edossier.config import load_settings
from edossier.errors import ClassifiedMaterialError, ExitCode
from edossier.pipeline.cli import main
from edossier.pipeline.process import Material, process_case
from tests.classify.conftest import text_pdf


@pytest.mark.parametrize(
    "text, marking",
    [
        ("机密★1年\n关于案件情况的报告", "机密★1年"),
        ("绝密 ★ 长期\n请示", "绝密★长期"),
        ("  秘 密 * 6个月\n通知", "秘密*6个月"),
        ("秘密\n关于调查情况的说明", "秘密"),
        ("机密广1年\n关于某某案件情况的报告", "机密广1年"),  # Tesseract's reading of the rendered marking
    ],
)
def test_markings_at_the_top_are_found(text: str, marking: str) -> None:
    assert secrecy_marking(text) == marking


@pytest.mark.parametrize(
    "text",
    [
        "保密协议\n甲方：某公司\n第一条 本协议所称商业秘密，是指……",
        "劳动合同\n乙方应保守用人单位的商业秘密一年内不得泄露。",
        "民事判决书\n" + "本院认为。\n" * 8 + "机密★1年",  # not at the top
    ],
)
def test_ordinary_mentions_are_not_markings(text: str) -> None:
    assert secrecy_marking(text) is None


def test_process_refuses_quarantines_and_stores_nothing(data_dir: Path, tmp_path: Path) -> None:
    secret = text_pdf(tmp_path / "report.pdf", "机密★1年\n关于某某案件情况的报告\n本报告涉及国家秘密。")
    settings = load_settings()
    with pytest.raises(ClassifiedMaterialError) as refused:
        process_case([Material(path=secret)], "（2024）浙0102民初1号", settings)
    assert refused.value.exit_code == ExitCode.classified_material == 8
    assert "机密★1年" in str(refused.value)
    kept = list((data_dir / "quarantine").glob("*.pdf"))
    assert len(kept) == 1 and kept[0].read_bytes() == secret.read_bytes()
    assert "机密★1年" in kept[0].with_suffix(".json").read_text("utf-8")
    store = data_dir / "store"
    assert not store.exists() or not any(p.is_file() for p in store.rglob("*"))


def test_declared_type_does_not_bypass_the_check(data_dir: Path, tmp_path: Path) -> None:
    secret = text_pdf(tmp_path / "ruling.pdf", "绝密★长期\n民事裁定书")
    with pytest.raises(ClassifiedMaterialError):
        process_case([Material(path=secret, declared_type="裁定书")], "（2024）浙0102民初2号", load_settings())


def test_classify_command_exits_8_on_a_scanned_marking(data_dir: Path) -> None:
    """A rendered page read by real OCR: the star comes back misread, the marking still refuses."""
    from bench.pagegen import render_pages

    page = data_dir.parent / "secret.png"
    render_pages("", "机密★1年\n关于某某案件情况的报告\n本报告内容涉及国家秘密，请严格按照规定管理。")[0].image.save(page)
    assert main(["classify", str(page), "--json"]) == 8
    assert list((data_dir / "quarantine").glob("*.png"))
