"""A clerk's correction is sealed with who and when, and training reads it back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edossier.casenumber import CaseNumber
from edossier.classify.model import DoctypeModel
from edossier.config import load_settings
from edossier.pipeline.cli import main
from edossier.pipeline.process import Material, process_case
from edossier.storage import open_store
from edossier.storage.audit import AuditLog
from edossier.storage.corrections import list_corrections
from tests.classify.conftest import MINI_CORPUS, text_pdf

CASE = "（2024）浙0102民初7号"


def test_relabel_then_train_with_the_correction(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USER", "clerk-zhou")
    paper = text_pdf(tmp_path / "paper.pdf", "情况说明\n本人张三于2024年3月1日向法院提交材料。\n特此说明。")
    settings = load_settings()
    version = process_case([Material(path=paper)], CASE, settings)
    guessed = version.documents[0]
    assert guessed.needs_review  # a vague paper: the model is unsure, a clerk decides
    new_type = "律师函" if guessed.type != "律师函" else "其他"

    assert main(["relabel", CASE, "1", new_type, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert (record["user"], record["new_type"], record["old_type"]) == ("clerk-zhou", new_type, guessed.type)
    stored = list_corrections(open_store(settings.store_uri), CaseNumber.parse(CASE))
    assert len(stored) == 1 and "张三" in stored[0]["text"] and stored[0]["time"]
    acts = [e for e in AuditLog(open_store(settings.store_uri)).entries() if e.action == "relabel"]
    assert len(acts) == 1 and acts[0].user == "clerk-zhou"

    assert main(["relabel", CASE, "1", "不存在的类型"]) == 10
    assert main(["relabel", CASE, "9", "身份证明"]) == 10

    out = tmp_path / "models"
    assert main(["train-classifier", str(MINI_CORPUS), "-o", str(out), "--json"]) == 0
    trained = json.loads(capsys.readouterr().out)
    assert trained["examples"]["correction"] == 1
    model = DoctypeModel.load(Path(trained["model"]))
    assert Path(trained["model"]).parent == out and Path(trained["model"]).name.startswith("doctype-1.")
    assert model.meta["per_class"][new_type] >= 1
