"""A case archived and then continued, read in the reader: the sealed volumes beside the later ones.

The case is bound from born-digital papers with embedded fonts (as the 四性检测
demands) and signed on the test PKI (B-LT),
archived by an archivist (B-LTA, TSA 1), then continued by a clerk: the later
papers start a new 正卷 and 副卷 (pipeline/case_volumes.py).  A judge opening the
case must find the sealed volumes too, marked 已归档 with their archive date,
each page where the catalogue says, its text searchable and highlighted, its
signatures verifiable; a lawyer reads the sealed 正卷 but not the sealed 副卷.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pymupdf
import pytest
from fastapi.testclient import TestClient
from tests.bind.bind_samples import born_digital_pdf
from tests.pki import P12_PASSPHRASE, pki  # noqa: F401 - the test PKI fixture
from tests.web.test_api import signed_in
from tests.web.test_browser import CHROMEDRIVER, CHROMIUM, browser, by_id, css, open_case, sign_in, wait  # noqa: F401
from tests.web.test_page_numbers import printed_number
from tests.web.web_dossiers import ARTIFACTS, PASSWORD, WebEnv

from edossier.casenumber import CaseNumber
from edossier.config import load_settings
from edossier.pipeline.archive import archive_case
from edossier.pipeline.case_volumes import archived_record
from edossier.pipeline.cli import main as cli
from edossier.pipeline.process import Material, process_case
from edossier.storage import open_store
from edossier.storage.manifest import read_manifest
from edossier.web.accounts import open_accounts
from edossier.web.app import create_app
from edossier.web.search_index import fold

CASE = "（2024）浙0102民初2468号"
C = quote(CASE)
ARCHIVED = [("民事起诉状", "原告张三住杭州市西湖区文三路100号，请求判令被告归还借款。", "起诉状"),
            ("合议庭评议笔录", "合议庭一致认为原告诉请有据，评议内容仅供本院内部掌握。", None)]
LATER = [("民事判决书", "本院认为，合法的借贷关系受法律保护，判决被告归还借款。", "判决书"),
         ("案件审理报告", "承办人拟同意原告诉请，报请合议庭评议。", None)]
"""(title, text, declared type) of each one-page paper; undeclared ones go to the 副卷 by their title."""


def _process(settings, papers, folder: Path) -> None:  # type: ignore[no-untyped-def]
    folder.mkdir(parents=True, exist_ok=True)
    process_case([Material(born_digital_pdf(folder / f"{title}.pdf", title, text), declared_type=kind,
                           title=title if kind else None) for title, text, kind in papers], CASE, settings)


@pytest.fixture(scope="module")
def web_env(tmp_path_factory: pytest.TempPathFactory, pki) -> WebEnv:  # type: ignore[no-untyped-def]  # noqa: F811
    """Version 1 bound and signed, version 2 its archiving, version 3 the later papers in new volumes."""
    root = tmp_path_factory.mktemp("archived-web")
    settings = load_settings(
        data_dir=root / "data", user="clerk1",
        signing={"pkcs12": pki.signer_p12, "passphrase": P12_PASSPHRASE.decode(), "trust_roots": (pki.root,),
                 "timestamp_url": pki.tsa_url, "embed_validation_info": True},
        archive={"timestamp_url": pki.tsa_url, "fonds": "J001"},
    )
    accounts = open_accounts(settings)
    for user, role, cases in (("judge1", "judge", ()), ("lawyer1", "lawyer", (CASE,)),
                              ("archivist1", "archivist", ())):
        accounts.add(user, role, PASSWORD, cases)
    accounts.close()
    _process(settings, ARCHIVED, root / "archived")
    archive_case(CASE, settings.model_copy(update={"user": "archivist1"}), root / "bag")
    _process(settings, LATER, root / "later")
    return WebEnv(settings=settings, root=root)


@pytest.fixture(scope="module")
def app_client(web_env: WebEnv) -> Iterator[TestClient]:
    with TestClient(create_app(web_env.settings)) as client:
        yield client


def _archived_at(web_env: WebEnv) -> str:
    store = open_store(web_env.settings.store_uri)
    record = archived_record(read_manifest(store, CaseNumber.parse(CASE), 2))
    assert record is not None
    return str(record["archived_at"])


def test_judge_finds_the_sealed_volumes_marked_archived(app_client: TestClient, web_env: WebEnv) -> None:
    judge = signed_in(app_client, "judge1")
    archived_at = _archived_at(web_env)
    row = next(c for c in judge.get("/api/cases").json() if c["case"] == CASE)
    assert row["version"] == 3
    assert row["volumes"] == ["main", "secondary", "main-v2", "secondary-v2"]
    assert row["labels"] == {"main": "正卷", "secondary": "副卷", "main-v2": "正卷（第2版归档）",
                             "secondary-v2": "副卷（第2版归档）"}
    sealed = judge.get(f"/api/cases/{C}/versions/3/volumes/main-v2").json()
    assert sealed["volume_name"] == "正卷（第2版归档）" and sealed["archived_at"] == archived_at
    assert [d["title"] for d in sealed["documents"]] == ["民事起诉状"]
    assert sealed["types"] == []  # a clerk's correction never reaches a sealed volume
    assert {v["volume"]: v["archived_at"] for v in sealed["volumes"]} == {
        "main": None, "secondary": None, "main-v2": archived_at, "secondary-v2": archived_at}
    current = judge.get(f"/api/cases/{C}/versions/3/volumes/main").json()
    assert current["archived_at"] is None and [d["title"] for d in current["documents"]] == ["民事判决书"]
    # the archived version itself shows its volumes as sealed too
    assert judge.get(f"/api/cases/{C}/versions/2/volumes/main").json()["archived_at"] == archived_at


@pytest.mark.parametrize(("volume", "papers"), [("main-v2", ARCHIVED[:1]), ("secondary-v2", ARCHIVED[1:])])
def test_a_sealed_volume_reads_page_by_page_and_verifies(  # type: ignore[no-untyped-def]
    app_client: TestClient, web_env: WebEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pki,  # noqa: F811
    volume: str, papers: list[tuple[str, str, str]],
) -> None:
    judge = signed_in(app_client, "judge1")
    info = judge.get(f"/api/cases/{C}/versions/3/volumes/{volume}").json()
    served = judge.get(info["pdf"]).content
    store = open_store(web_env.settings.store_uri)
    role = "sealed_dossier_v2" if volume == "main-v2" else "sealed_dossier_secondary_v2"
    entry = next(o for o in read_manifest(store, CaseNumber.parse(CASE)).objects if o.role == role)
    assert served == store.get_bytes(entry.key) == judge.get(info["download"]).content  # the stored sealed bytes
    with pymupdf.open(stream=served, filetype="pdf") as doc:
        assert info["pages"] == doc.page_count
        assert [printed_number(page) for page in doc] == [str(n) for n in range(1, doc.page_count + 1)]
        for document, (title, text, _) in zip(info["documents"], papers, strict=True):
            assert (document["title"], document["last_page"]) == (title, document["first_page"])
            assert fold(text[:20]) in fold(doc[document["first_page"] - 1].get_text()), (volume, document)
    trust = judge.get(info["trust"]).json()
    assert trust["valid"] and trust["fixity"]["ok"], trust
    assert trust["signature"]["signatures"][0]["level"] == "B-LTA"
    (tmp_path / "sealed.pdf").write_bytes(served)
    monkeypatch.setenv("EDOSSIER_SIGNING__TRUST_ROOTS", json.dumps([str(pki.root)]))
    assert cli(["verify", str(tmp_path / "sealed.pdf")]) == 0  # what the judge downloads verifies on its own


def test_search_finds_the_sealed_pages_and_highlights_them(app_client: TestClient) -> None:
    judge = signed_in(app_client, "judge1")
    found = {}
    for query in ("文三路100号", "评议内容", "合法的借贷关系"):  # sealed 正卷, sealed 副卷, the later 正卷
        hits = judge.get("/api/search", params={"q": query, "case": CASE}).json()["hits"]
        assert len(hits) == 1, (query, hits)
        hit = hits[0]
        found[query] = (hit["volume"], hit["volume_name"])
        marks = judge.get(f"/api/cases/{C}/versions/{hit['version']}/volumes/{hit['volume']}/pages/{hit['page']}"
                          "/highlights", params={"q": query}).json()
        assert marks["rects"], (query, hit)
    assert found == {"文三路100号": ("main-v2", "正卷（第2版归档）"), "评议内容": ("secondary-v2", "副卷（第2版归档）"),
                     "合法的借贷关系": ("main", "正卷")}


def test_lawyer_reads_the_sealed_main_volume_only(app_client: TestClient) -> None:
    lawyer = signed_in(app_client, "lawyer1")
    row = next(c for c in lawyer.get("/api/cases").json() if c["case"] == CASE)
    assert row["volumes"] == ["main", "main-v2"]
    assert lawyer.get(f"/api/cases/{C}/versions/3/volumes/main-v2").status_code == 200
    for suffix in ("", "/pdf", "/download", "/trust"):
        refused = lawyer.get(f"/api/cases/{C}/versions/3/volumes/secondary-v2{suffix}")
        assert refused.status_code == 403, suffix
    hits = lawyer.get("/api/search", params={"q": "评议内容", "case": CASE}).json()["hits"]
    assert hits == []


@pytest.mark.skipif(not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
                    reason="needs Debian chromium and chromium-driver (scripts/apt-packages.txt)")
def test_judge_opens_the_sealed_volume_in_the_browser(browser, live_server, web_env: WebEnv) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    sign_in(browser, live_server.url, "judge1")
    open_case(browser, CASE)
    assert "第3版 正卷" in by_id(browser, "dossier-title").text and not by_id(browser, "archived-mark").is_displayed()
    buttons = {b.text: b for b in css(browser, "#volume-switch button")}
    assert list(buttons) == ["正卷", "副卷", "正卷（第2版归档）", "副卷（第2版归档）"]
    buttons["正卷（第2版归档）"].click()
    wait(browser, lambda d: "正卷（第2版归档）" in by_id(d, "dossier-title").text
         and by_id(d, "viewer").get_attribute("data-ready") == "true")
    mark = by_id(browser, "archived-mark")
    assert mark.is_displayed() and mark.text.startswith("已归档 · ")
    wait(browser, lambda d: by_id(d, "badge").get_attribute("data-valid") == "true")
    assert "B-LTA" in by_id(browser, "trust-detail").get_attribute("textContent")
    browser.save_screenshot(str(ARTIFACTS / "sealed-volume.png"))
    titles = [e.get_attribute("textContent") for e in css(browser, "#catalogue li.entry .title")]
    assert titles == ["民事起诉状"]
    css(browser, "#catalogue li.entry")[0].click()
    wait(browser, lambda d: d.execute_script("return document.getElementById('viewer').dataset.currentPage") == "3"
         and css(d, '.page[data-page="3"][data-rendered="true"]'))
