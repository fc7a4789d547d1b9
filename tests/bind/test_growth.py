"""随案同步: a case's dossier grows by signed additions; every version stays verifiable.

Runs the real pipeline (process_case) on born-digital PDFs, so no OCR time is
spent, with the filesystem store in a temporary folder.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pymupdf
import pytest
from tests.bind.bind_samples import BODY, CASE, born_digital_pdf

from edossier.bind.pdfa import check_pdfa
from edossier.bind.verify import verify_pdf
from edossier.casenumber import CaseNumber
from edossier.config import Settings
from edossier.pipeline.cli import main
from edossier.pipeline.process import Material, process_case, trust_roots
from edossier.storage import open_store
from edossier.storage.layout import original_key
from edossier.storage.manifest import read_manifest

SIGNED_SAMPLE = Path(__file__).parents[1] / "data/shared-samples/pyhanko/minimal-signed-twice-both-created.pdf"
ADDITIONS = [
    [("complaint", "民事起诉状", "起诉状"), ("notice", "受理案件通知书", "通知书")],
    [("defence", "民事答辩状", "答辩状")],
    [("evidence", "证据目录", "证据目录"), ("summons", "传票", "传票")],
    [("judgment", "民事判决书", "判决书")],
]


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> dict:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("growth")
    settings = Settings(data_dir=folder / "data", user="书记员王五", bind={"court": "杭州市上城区人民法院"})
    store = open_store(settings.store_uri)
    versions = []
    for step, addition in enumerate(ADDITIONS):
        materials = [
            Material(born_digital_pdf(folder / f"{name}.pdf", title, BODY), declared_type=label, title=title)
            for name, title, label in addition
        ]
        if step == 1:
            signed = folder / "signed-input.pdf"
            shutil.copyfile(SIGNED_SAMPLE, signed)
            materials.append(Material(signed, declared_type="其他", title="已签名的电子材料"))
        versions.append(process_case(materials, CASE, settings, store=store))
    return {"settings": settings, "store": store, "versions": versions, "folder": folder}


def _stored_pdf(grown, version: int, tmp: Path) -> Path:  # type: ignore[no-untyped-def]
    manifest = read_manifest(grown["store"], CaseNumber.parse(CASE), version)
    return grown["store"].get_file(manifest.dossier.key, tmp / f"v{version}.pdf")


def test_three_appends_make_four_versions_each_verifying(grown, tmp_path):  # type: ignore[no-untyped-def]
    roots = trust_roots(grown["settings"])
    assert [v.version for v in grown["versions"]] == [1, 2, 3, 4]
    previous = b""
    for version in range(1, 5):
        pdf = _stored_pdf(grown, version, tmp_path)
        report = verify_pdf(pdf, roots)
        assert report.valid, report.as_dict()
        assert len(report.signatures) == version
        assert all(s.ok for s in report.signatures)
        data = pdf.read_bytes()
        assert data.startswith(previous), "an earlier version's bytes were rewritten"
        previous = data
    last = verify_pdf(_stored_pdf(grown, 4, tmp_path), roots)
    assert [s.coverage for s in last.signatures] == ["ENTIRE_REVISION"] * 3 + ["ENTIRE_FILE"]


def test_grown_dossier_is_still_pdfa_and_passes_qpdf(grown, tmp_path):  # type: ignore[no-untyped-def]
    """Only the pyHanko sample (a born-digital input using unembedded Times-Roman) breaks PDF/A: copied as is."""
    pdf = _stored_pdf(grown, 4, tmp_path)
    signed_input = next(e for e in grown["versions"][-1].documents if e.title == "已签名的电子材料")
    problems = check_pdfa(pdf)
    assert problems, "the unembedded font of the born-digital input must be reported"
    assert all(p.startswith(f"page {signed_input.first_page}: font") and "not embedded" in p for p in problems)
    result = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_catalogue_and_bookmarks_grow(grown, tmp_path):  # type: ignore[no-untyped-def]
    final = grown["versions"][-1]
    titles = [e.title for e in final.documents]
    assert titles[:2] == ["民事起诉状", "受理案件通知书"]
    assert "民事判决书" in titles and "已签名的电子材料" in titles
    with pymupdf.open(_stored_pdf(grown, 4, tmp_path)) as pdf:
        toc = [t for _, t, _ in pdf.get_toc()]
        assert toc[0] == "正卷"
        assert sum(t.startswith("卷内目录（续") for t in toc) == 3
        for entry in final.documents:
            first_page_text = pdf[entry.first_page - 1].get_text()
            assert str(entry.first_page) in first_page_text
        continuation = next(p for _, t, p in pdf.get_toc() if t.startswith("卷内目录（续，第4版"))
        assert "民事判决书" in pdf[continuation - 1].get_text()


def test_signed_input_kept_byte_identical_and_its_signature_shown(grown, tmp_path):  # type: ignore[no-untyped-def]
    from edossier.types import sha256_file

    case = CaseNumber.parse(CASE)
    sha = sha256_file(SIGNED_SAMPLE)
    kept = grown["store"].get_file(original_key(case, sha, ".pdf"), tmp_path / "kept.pdf")
    assert kept.read_bytes() == SIGNED_SAMPLE.read_bytes()
    manifest = read_manifest(grown["store"], case, 2)
    remark = manifest.provenance["signed_inputs"][sha]
    assert "签名" in remark
    entry = next(e for e in grown["versions"][1].documents if e.title == "已签名的电子材料")
    assert entry.remark == remark
    with pymupdf.open(_stored_pdf(grown, 2, tmp_path)) as pdf:
        continuation = next(p for _, t, p in pdf.get_toc() if t.startswith("卷内目录（续，第2版"))
        assert "原件电子签名" in pdf[continuation - 1].get_text().replace("\n", "")


def test_cli_verify_pdf_and_case(grown, tmp_path, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    settings = grown["settings"]
    monkeypatch.setenv("EDOSSIER_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("EDOSSIER_USER", settings.user)
    pdf = _stored_pdf(grown, 4, tmp_path)
    assert main(["verify", str(pdf), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] and len(report["signatures"]) == 4
    assert main(["verify", "--case", CASE, "--json"]) == 0
    case_report = json.loads(capsys.readouterr().out)
    assert case_report["valid"] and case_report["versions"] == [1, 2, 3, 4]
    data = bytearray(pdf.read_bytes())
    data[len(data) // 3] ^= 0x01
    (tmp_path / "bad.pdf").write_bytes(bytes(data))
    assert main(["verify", str(tmp_path / "bad.pdf")]) == 5
