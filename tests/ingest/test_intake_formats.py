"""Real OFD, Word and .doc files become dossiers that carry their own text, originals kept byte for byte.

Runs the real ``edossier process`` (LibreOffice converts the Word files: Debian's libreoffice-writer-nogui
and python3-uno must be installed, as scripts/apt-packages.txt says) on third-party files from
tests/data/intake, then reads what was stored: the bound dossier's text per document against each file's
own text (intake_truth), the originals against the files, the manifest's seal records and invoice fields.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import pymupdf
import pytest

from tests.edossier_cli import run
from tests.ingest.intake_truth import DATA, char_recall, doc_text, docx_text, ofd_page_texts

CASE = "（2024）浙0102民初21号"
OFDS = ["n.ofd", "zsbk.ofd", "20240531141733.ofd", "fptpl.ofd", "invoice-seal-arc.ofd", "SESV4SignDoc.ofd"]
WORD = ["python-docx-test.docx", "python-docx-par-known-paragraphs.docx", "olefile-test-ole-file.doc"]


def _truth(name: str) -> str:
    path = DATA / name
    if name.endswith(".ofd"):
        return "".join(ofd_page_texts(path))
    return docx_text(path) if name.endswith(".docx") else doc_text(path)


@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object], Path]:
    """One dossier from every real OFD and Word file (one CLI run: LibreOffice starts once)."""
    root = tmp_path_factory.mktemp("intake")
    inputs = root / "inputs"
    inputs.mkdir()
    for name in OFDS + WORD:
        shutil.copy(DATA / name, inputs / name)
    data_dir = root / "data"
    args = ["process", *(str(inputs / n) for n in OFDS + WORD), "--case", CASE]
    run(args, data_dir, check=True)
    store = data_dir / "store"
    manifest = json.loads(next(store.glob("cases/*/versions/000001/manifest.json")).read_text())
    return store, manifest, inputs


def _document_text(store: Path, manifest: dict[str, object], name: str) -> str:
    """The bound dossier's text on the pages of the document made from input NAME."""
    sha = hashlib.sha256((DATA / name).read_bytes()).hexdigest()
    docs = manifest["documents"]
    index = next(i for i, d in enumerate(docs) if d["source_sha256"] == sha)
    entry = manifest["catalogue"][index]
    role = "dossier" if entry["volume"] == "main" else f"dossier_{entry['volume']}"  # 内部请示与批复 is 副卷
    dossier = next(o for o in manifest["objects"] if o["role"] == role)
    with pymupdf.open(store / dossier["key"]) as pdf:
        return "".join(pdf[p - 1].get_text() for p in range(entry["first_page"], entry["last_page"] + 1))


@pytest.mark.parametrize("name", OFDS)
def test_ofd_text_layer_is_the_ofds_own_text(processed: tuple[Path, dict, Path], name: str) -> None:
    store, manifest, _ = processed
    truth = _truth(name)
    assert len("".join(truth.split())) >= 10
    recall = char_recall(truth, _document_text(store, manifest, name))
    assert recall >= 0.9, f"{name}: character recall {recall:.3f}"


@pytest.mark.parametrize("name", WORD)
def test_word_text_layer_is_the_documents_own_text(processed: tuple[Path, dict, Path], name: str) -> None:
    store, manifest, _ = processed
    recall = char_recall(_truth(name), _document_text(store, manifest, name))
    assert recall >= 0.98, f"{name}: character recall {recall:.3f}"


def test_ofd_and_word_pages_skip_ocr(processed: tuple[Path, dict, Path]) -> None:
    """Pages with their own text are bound as born-digital pages: no OCR result is stored for them."""
    _, manifest, _ = processed
    for doc in manifest["documents"]:
        kinds = {page["kind"] for page in doc["pages"]}
        assert kinds == {"born_digital"}, (doc["title"], kinds)
    assert not [o for o in manifest["objects"] if o["role"] == "ocr"]


def test_originals_are_stored_byte_for_byte(processed: tuple[Path, dict, Path]) -> None:
    store, manifest, inputs = processed
    originals = {o["sha256"]: store / o["key"] for o in manifest["objects"] if o["role"] == "original"}
    for name in OFDS + WORD:
        data = (DATA / name).read_bytes()
        kept = originals[hashlib.sha256(data).hexdigest()]
        assert kept.read_bytes() == data and kept.suffix == Path(name).suffix
        assert (inputs / name).read_bytes() == data


def test_sealed_ofds_are_recorded_as_signed(processed: tuple[Path, dict, Path]) -> None:
    _, manifest, _ = processed
    signed = manifest["provenance"]["signed_inputs"]
    by_name = {name: hashlib.sha256((DATA / name).read_bytes()).hexdigest() for name in OFDS}
    # SESV4SignDoc: SM3 digests of every covered part match, but it was sealed after its seal had expired.
    assert "印章有效期已过" in signed[by_name["SESV4SignDoc.ofd"]]
    assert "摘要一致" in _metadata(manifest, "SESV4SignDoc.ofd")["电子签章1"]
    # zsbk: both seals' digests of the two page parts do not match (the sample's pages were edited after sealing).
    assert "摘要不符" in signed[by_name["zsbk.ofd"]]
    assert "电子签章2" in _metadata(manifest, "zsbk.ofd")
    # n.ofd (a GM/T 0031 v1 seal): its Signature.xml is not the one that was signed (dataHash differs).
    assert "签名无效" in signed[by_name["n.ofd"]]
    assert by_name["fptpl.ofd"] not in signed


def _metadata(manifest: dict, name: str) -> dict[str, str]:
    sha = hashlib.sha256((DATA / name).read_bytes()).hexdigest()
    return next(d["metadata"] for d in manifest["documents"] if d["source_sha256"] == sha)


def test_invoice_fields_are_in_the_document_metadata(processed: tuple[Path, dict, Path]) -> None:
    _, manifest, _ = processed
    quan_dian = _metadata(manifest, "20240531141733.ofd")
    assert quan_dian["发票号码"] == "24112000000048542163"
    assert quan_dian["开票日期"] == "2024年05月28日"
    assert quan_dian["购买方名称"] == "海南麒麟云服科技有限公司"
    assert quan_dian["购买方税号"] == "91460300MAA92DJN95"
    assert quan_dian["销售方名称"] == "北京互联三六五科技有限公司"
    assert quan_dian["销售方税号"] == "91110108690017781B"
    assert quan_dian["金额"] == "¥4197.17" and quan_dian["价税合计"] == "¥4449.00"
    old_style = _metadata(manifest, "fptpl.ofd")
    assert old_style["发票代码"] == "050001700111" and old_style["发票号码"] == "12235358"
    assert old_style["销售方名称"] == "财天下科技有限公司"
    assert _metadata(manifest, "n.ofd").get("发票号码") is None


def test_a_changed_sealed_part_is_caught(tmp_path: Path) -> None:
    """Change one covered part of the SM3-sealed OFD: intake records the seal as broken."""
    from edossier.config import LimitsSettings
    from edossier.ingest.ofd_intake import ofd_facts

    source = DATA / "SESV4SignDoc.ofd"
    changed = tmp_path / "changed.ofd"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(changed, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "Doc_0/Pages/Page_0/Content.xml":
                data = data.replace("你好呀".encode(), "你好吗".encode())
            out.writestr(info, data)
    assert "摘要一致" in ofd_facts(source, LimitsSettings())["电子签章1"]
    assert "摘要不符" in ofd_facts(changed, LimitsSettings())["签章"]
    # the digest really is over the part's bytes (SM3, base64), as Signature.xml says
    with zipfile.ZipFile(source) as src:
        signature = src.read("Doc_0/Signs/Sign_0/Signature.xml").decode()
        digest = base64.b64encode(hashlib.new("sm3", src.read("Doc_0/Pages/Page_0/Content.xml")).digest()).decode()
    assert digest in signature


def test_converted_pdfs_are_stored(processed: tuple[Path, dict, Path]) -> None:
    """Each OFD/Word original has its converted PDF stored too, so any machine can bind its pages again."""
    store, manifest, _ = processed
    converted = [o for o in manifest["objects"] if o["role"] == "converted"]
    assert len(converted) == len(OFDS + WORD)
    for entry in converted:
        with pymupdf.open(store / entry["key"]) as pdf:
            assert pdf.page_count >= 1


def test_chinese_word_document_keeps_its_text(tmp_path: Path) -> None:
    """A longer Chinese .docx: python-docx's real test package filled with a real published judgment
    (bench.convert.make_docx, the benchmark's document), read the way every runner reads it."""
    from bench.convert import make_docx
    from edossier.config import LimitsSettings
    from edossier.ingest.pages import open_source, read_pages

    source_path = tmp_path / "judgment.docx"
    make_docx(source_path, 60)
    limits = LimitsSettings()
    pages = list(read_pages(open_source(source_path, limits), tmp_path / "work", limits))
    assert len(pages) >= 2 and {p.kind for p in pages} == {"born_digital"}
    recall = char_recall(docx_text(source_path), "".join(p.text for p in pages))
    assert recall >= 0.98, recall


def test_unfilled_ofd_text_stays_text_but_invisible(tmp_path: Path) -> None:
    """A scanned OFD carries its OCR text as unfilled text objects: kept as the text layer, not painted."""
    import numpy as np

    from edossier.config import LimitsSettings
    from edossier.ingest.ofd_intake import ofd_to_pdf

    source = DATA / "SESV4SignDoc.ofd"
    hidden = tmp_path / "hidden.ofd"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(hidden, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "Doc_0/Pages/Page_0/Content.xml":
                data = data.replace(b"<ofd:TextObject ", b'<ofd:TextObject Fill="false" ')
            out.writestr(info, data)

    def dark_pixels_and_text(path: Path) -> tuple[int, str]:
        target = tmp_path / f"{path.stem}.pdf"
        ofd_to_pdf(path, target, LimitsSettings())
        with pymupdf.open(target) as pdf:
            pix = pdf[0].get_pixmap(dpi=50)
            return int((np.frombuffer(pix.samples, dtype=np.uint8) < 128).sum()), pdf[0].get_text()

    shown_dark, shown_text = dark_pixels_and_text(source)
    hidden_dark, hidden_text = dark_pixels_and_text(hidden)
    assert char_recall(_truth("SESV4SignDoc.ofd"), hidden_text) == 1.0
    assert hidden_text == shown_text and hidden_dark < shown_dark
