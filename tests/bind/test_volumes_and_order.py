"""正卷 and 副卷 are separate PDFs; documents follow the order table of the case type."""

from __future__ import annotations

import pymupdf
from tests.bind.bind_samples import CASE, born_digital_document

from edossier.bind.order import load_order_tables, order_documents, table_for
from edossier.bind.verify import verify_pdf
from edossier.casenumber import CaseNumber
from edossier.classify.doctypes import binding_order
from edossier.config import Settings
from edossier.pipeline.process import bind_and_sign, trust_roots


def test_secondary_volume_is_its_own_signed_pdf(tmp_path):  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path / "data", user="书记员王五")
    minutes = born_digital_document(tmp_path, "deliberation", "合议庭评议笔录", "笔录")
    minutes = minutes.model_copy(update={"volume": "secondary"})
    pdf, entries = bind_and_sign([minutes], CaseNumber.parse(CASE), 1, settings, tmp_path)
    assert pdf.name == "dossier-secondary.pdf"
    assert entries[0].volume == "secondary"
    with pymupdf.open(pdf) as doc:
        assert doc.get_toc()[0][1] == "副卷"
        assert "副卷" in doc[0].get_text()
    assert verify_pdf(pdf, trust_roots(settings)).valid


def test_main_and_secondary_are_never_bound_together(tmp_path):  # type: ignore[no-untyped-def]
    import pytest

    from edossier.errors import StageError

    settings = Settings(data_dir=tmp_path / "data")
    main = born_digital_document(tmp_path, "complaint", "民事起诉状", "起诉状")
    secret = born_digital_document(tmp_path, "minutes", "审判委员会讨论记录", "笔录").model_copy(
        update={"volume": "secondary"})
    with pytest.raises(StageError):
        bind_and_sign([main, secret], CaseNumber.parse(CASE), 1, settings, tmp_path)


def test_order_follows_the_case_type(tmp_path):  # type: ignore[no-untyped-def]
    appeal = born_digital_document(tmp_path, "appeal", "民事上诉状", "上诉状")
    judgment = born_digital_document(tmp_path, "judgment", "民事判决书", "判决书")
    complaint = born_digital_document(tmp_path, "complaint", "民事起诉状", "起诉状")
    other = born_digital_document(tmp_path, "other", "情况说明", "其他")
    docs = [other, judgment, appeal, complaint]
    first_instance = [d.title for d in order_documents(docs, "民初", binding_order)]
    second_instance = [d.title for d in order_documents(docs, "民终", binding_order)]
    assert first_instance == ["民事起诉状", "民事判决书", "民事上诉状", "情况说明"]
    assert second_instance[:2] == ["民事上诉状", "民事判决书"]
    assert table_for("执", load_order_tables()).name == "enforcement"
    assert table_for("破", load_order_tables()).name == "default"


def test_a_court_can_supply_its_own_order(tmp_path):  # type: ignore[no-untyped-def]
    custom = tmp_path / "order.toml"
    custom.write_text('[[table]]\nname = "default"\ncodes = []\ntypes = ["判决书", "起诉状"]\n', "utf-8")
    docs = [born_digital_document(tmp_path, n, t, label) for n, t, label in
            (("c", "民事起诉状", "起诉状"), ("j", "民事判决书", "判决书"))]
    assert [d.title for d in order_documents(docs, "民初", binding_order, custom)] == ["民事判决书", "民事起诉状"]
