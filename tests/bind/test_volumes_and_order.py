"""正卷 and 副卷 are separate PDFs; documents follow the order table of the case type."""

from __future__ import annotations

import pymupdf
from tests.bind.bind_samples import BODY, CASE, born_digital_document, born_digital_pdf

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


def test_deliberation_minutes_from_the_cli_land_in_the_secondary_volume(  # type: ignore[no-untyped-def]
    data_dir, tmp_path, capsys
):
    """A rendered 合议庭评议笔录 page, read by the real OCR engine, is placed in the 副卷 by its type alone."""
    import json

    from bench.pagegen import render_pages
    from edossier.pipeline.cli import main
    from edossier.storage import open_store
    from edossier.storage.manifest import read_manifest

    minutes = tmp_path / "评议.png"
    render_pages("合议庭评议笔录", "时间：二〇二〇年五月六日。地点：本院第三合议室。评议意见：合议庭一致认为原告的诉讼请求"
                 "有事实和法律依据，应予支持。评议内容仅供本院内部掌握。审判长王明，审判员陈红。")[0].image.save(minutes)
    complaint = born_digital_pdf(tmp_path / "complaint.pdf", "民事起诉状", BODY)
    assert main(["process", str(complaint), str(minutes), "--case", CASE, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    placed = {d["title"]: (d["type"], d["volume"]) for d in summary["documents"]}
    assert placed["民事起诉状"] == ("起诉状", "main")
    assert next(v for title, v in placed.items() if "评议笔录" in title) == ("评议笔录", "secondary")
    store = open_store((data_dir / "store").as_uri())
    manifest = read_manifest(store, CaseNumber.parse(CASE))
    volumes = {o.role: store.get_file(o.key, tmp_path / f"{o.role}.pdf") for o in manifest.objects
               if o.role.startswith("dossier")}
    with pymupdf.open(volumes["dossier"]) as main_volume, pymupdf.open(volumes["dossier_secondary"]) as secondary:
        assert "评议" not in "".join(page.get_text() for page in main_volume)
        assert "评议" in secondary[2].get_text() and "副卷" in secondary[0].get_text()
