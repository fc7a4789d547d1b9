"""The shipped classifier: real texts, OCR output, unsure cases, the model file format."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from edossier.classify.classifier import classify_text
from edossier.classify.model import FORMAT, DoctypeModel, ModelFileError, default_model_path, load_model
from edossier.classify.synthetic import ocr_noise
from edossier.classify.title_rules import match_title
from edossier.config import ClassifySettings
from edossier.pipeline.cli import main

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
SETTINGS = ClassifySettings()


@pytest.mark.parametrize(
    "sample, label",
    [("01-complaint.gt.txt", "起诉状"), ("02-power-of-attorney.gt.txt", "授权委托书"), ("03-judgment.gt.txt", "判决书")],
)
def test_sample_texts(sample: str, label: str) -> None:
    result = classify_text((SAMPLES / sample).read_text("utf-8"), SETTINGS)
    assert result.type == label
    assert not result.needs_review


def test_ocr_noise_and_spaced_title_do_not_change_the_type() -> None:
    text = (SAMPLES / "03-judgment.gt.txt").read_text("utf-8").replace("行政判决书", "行 政 判 决 书", 1)
    noisy = ocr_noise(text, random.Random(5), 0.05)
    assert classify_text(noisy, SETTINGS).type == "判决书"


def test_a_service_receipt_without_training_examples() -> None:
    """No real 送达回证 was in the corpus; a realistic one must still be recognised."""
    text = (
        "浙江省杭州市西湖区人民法院\n送 达 回 证\n案号 （2024）浙0106民初5512号\n案由 民间借贷纠纷\n"
        "受送达人 陈明\n送达地址 杭州市西湖区文三路90号\n送达文书名称及件数 民事判决书一份\n"
        "受送达人签名或盖章 陈明 2024年6月3日\n送达人 周立\n"
    )
    assert classify_text(text, SETTINGS).type == "送达回证"


def test_unrelated_text_goes_to_review() -> None:
    result = classify_text("The quick brown fox jumps over the lazy dog. 2024", SETTINGS)
    assert result.needs_review
    assert result.confidence < SETTINGS.review_threshold


def test_title_rule_prefers_the_longest_title_word_on_the_earliest_line() -> None:
    match = match_title("浙江省杭州市中级人民法院\n民 事 判 决 书\n（2024）浙01民终1号")
    assert match is not None and (match.label, match.line) == ("判决书", 1)
    assert match_title("授权委托书\n委托人：张三").label == "授权委托书"


def test_packaged_model_records_its_provenance() -> None:
    model = load_model()
    assert default_model_path().stat().st_size < 4 * 1024 * 1024
    assert model.meta["format"] == FORMAT and model.meta["sklearn"]
    assert {"证据目录", "送达回证"} <= set(model.classes)
    assert model.meta["examples"]["corpus"] >= 400


def test_a_model_of_another_format_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    model = load_model()
    bad = tmp_path / "doctype-99.npz"
    meta = dict(model.meta, format=99, classes=list(model.classes), temperature=1.0, rule_bonus={})
    np.savez_compressed(bad, meta=np.array(json.dumps(meta)), vocabulary=np.array(["a"]), idf=np.ones(1),
                        coef=np.ones((len(model.classes), 1)), intercept=np.zeros(len(model.classes)))
    with pytest.raises(ModelFileError, match="format 99.*retrain"):
        DoctypeModel.load(bad)
    (tmp_path / "junk.npz").write_bytes(b"not a model")
    with pytest.raises(ModelFileError, match="not a readable"):
        DoctypeModel.load(tmp_path / "junk.npz")


def test_classify_command_on_a_scanned_image(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    """Real OCR of the bundled 授权委托书 scan (colour JPEG with a red seal)."""
    assert main(["classify", str(SAMPLES / "02-power-of-attorney.jpg"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["type"] == "授权委托书"
    assert set(result) >= {"type", "confidence", "needs_review", "case_numbers", "parties", "dates"}


def test_an_unsure_document_is_not_bound_in_its_types_place() -> None:
    from edossier.classify.doctypes import REVIEW_POSITION, binding_order, binding_position
    from edossier.types import Classification

    sure = Classification(type="起诉状", confidence=0.97)
    unsure = Classification(type="起诉状", confidence=0.4, needs_review=True)
    assert binding_position(sure) == binding_order("起诉状") < binding_position(unsure) == REVIEW_POSITION
    assert binding_position(unsure) > binding_order("其他")


@pytest.mark.parametrize(
    "text, label, volume",
    [
        ("合议庭评议笔录\n时间：2024年5月6日\n评议意见：合议庭一致认为原告诉请有据，应予支持。", "评议笔录", "secondary"),
        ("审判委员会讨论记录\n时间：2024年6月1日\n讨论意见：多数委员同意合议庭意见。", "审判委员会讨论记录", "secondary"),
        ("案件审理报告\n一、当事人基本情况：原告张三，被告李四。\n二、审理经过", "审理报告", "secondary"),
        ("关于某某案法律适用问题的请示\n浙江省高级人民法院：\n我院在审理原告张三诉被告李四一案中", "内部请示与批复", "secondary"),
        ("庭审笔录\n时间：2024年5月6日\n审判员：王法官\n书记员：赵某\n原告：张三到庭。", "笔录", "main"),
    ],
)
def test_court_only_papers_are_typed_for_the_secondary_volume(text: str, label: str, volume: str) -> None:
    """The 副卷 types are absent from the training corpus: their title decides, the 庭审笔录 stays a 正卷 笔录."""
    from edossier.classify.doctypes import load_doctypes

    result = classify_text(text, SETTINGS)
    assert result.type == label
    assert next(t.volume for t in load_doctypes() if t.label == result.type) == volume
    assert result.method == ("title" if volume == "secondary" else "title+model")
