"""The reader's JSON API: who may see what, search, trust badge, audit, submission limits."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from urllib.parse import quote

import pymupdf
import pytest
from fastapi.testclient import TestClient

from tests.web.web_dossiers import CASE_A, CASE_A_VERSIONS, CASE_B, NEW_PASSWORD, PASSWORD, WebEnv
from edossier.pipeline.cli import main as cli
from edossier.storage import open_store
from edossier.storage.audit import AuditLog
from edossier.web.accounts import Accounts, AccountError, open_accounts
from edossier.web.app import create_app
from edossier.web.search_index import SearchIndex

A = quote(CASE_A)
B = quote(CASE_B)
V = len(CASE_A_VERSIONS)  # case A's latest version


@pytest.fixture(scope="module")
def app_client(web_env: WebEnv) -> Iterator[TestClient]:
    with TestClient(create_app(web_env.settings)) as client:
        yield client


def signed_in(app_client: TestClient, user: str) -> TestClient:
    """A client with USER's session, the initial password changed once if still required."""
    client = TestClient(app_client.app)
    me = client.post("/api/session", json={"user": user, "password": PASSWORD})
    if me.status_code == 401:
        me = client.post("/api/session", json={"user": user, "password": NEW_PASSWORD})
    assert me.status_code == 200, me.text
    client.headers["X-CSRF-Token"] = me.json()["csrf"]  # as the reader's page sends it
    if me.json()["must_change"]:
        assert client.get("/api/cases").status_code == 403
        changed = client.post("/api/password", json={"old": PASSWORD, "new": NEW_PASSWORD})
        assert changed.status_code == 200 and not changed.json()["must_change"]
    return client


def test_unauthenticated_requests_get_nothing(app_client: TestClient) -> None:
    anonymous = TestClient(app_client.app)
    for path in ("/api/cases", f"/api/cases/{A}/versions", f"/api/cases/{A}/versions/1/volumes/main",
                 f"/api/cases/{A}/versions/1/volumes/main/pdf", f"/api/cases/{A}/versions/1/volumes/main/download",
                 f"/api/cases/{A}/versions/1/volumes/main/trust", "/api/search?q=借款"):
        response = anonymous.get(path)
        assert response.status_code == 401, path
        assert b"%PDF" not in response.content
    assert anonymous.post(f"/api/cases/{A}/submissions", files={"files": ("a.pdf", b"%PDF-1.7")}).status_code == 401


def test_wrong_password_is_refused(app_client: TestClient) -> None:
    client = TestClient(app_client.app)
    assert client.post("/api/session", json={"user": "judge1", "password": "wrong-password"}).status_code == 401
    assert client.post("/api/session", json={"user": "nobody", "password": PASSWORD}).status_code == 401


def test_lawyer_sees_only_main_volume_of_admitted_case(app_client: TestClient) -> None:
    lawyer = signed_in(app_client, "lawyer1")
    cases = lawyer.get("/api/cases").json()
    assert [c["case"] for c in cases] == [CASE_A]
    assert cases[0]["volumes"] == ["main"]
    refused = lawyer.get(f"/api/cases/{A}/versions/{V}/volumes/secondary")
    assert refused.status_code == 403 and "副卷" in refused.json()["detail"]
    for suffix in ("pdf", "download", "trust", "pages/3/highlights?q=评议"):
        assert lawyer.get(f"/api/cases/{A}/versions/{V}/volumes/secondary/{suffix}").status_code == 403
    assert lawyer.get(f"/api/cases/{B}/versions/1/volumes/main").status_code == 404
    assert lawyer.get(f"/api/cases/{B}/versions").status_code == 404
    main = lawyer.get(f"/api/cases/{A}/versions/{V}/volumes/main").json()
    assert [d["type"] for d in main["documents"]] == ["起诉状", "授权委托书", "判决书", "传票"]
    assert main["pages"] == 13  # the 正卷 as bound: cover, catalogue, 3 continuation catalogues, 3 closing sheets
    pdf = lawyer.get(main["pdf"])
    assert pdf.status_code == 200
    with pymupdf.open(stream=pdf.content, filetype="pdf") as doc:
        text = "".join(page.get_text() for page in doc)
        assert doc.page_count == 13
    assert "借款本金" in text and "评议" not in text and "审理报告" not in text


def test_court_sees_both_volumes(app_client: TestClient) -> None:
    judge = signed_in(app_client, "judge1")
    assert {c["case"] for c in judge.get("/api/cases").json()} == {CASE_A, CASE_B}
    secondary = judge.get(f"/api/cases/{A}/versions/{V}/volumes/secondary").json()
    assert [d["title"] for d in secondary["documents"]] == ["合议庭评议笔录", "案件审理报告"]
    with pymupdf.open(stream=judge.get(secondary["pdf"]).content, filetype="pdf") as doc:
        # the 副卷 as bound: cover, catalogue, the minutes, closing sheet; then the report's continuation
        assert doc.page_count == secondary["pages"] == 7
        assert "评议" in doc[2].get_text() and "副卷" in doc[0].get_text() and "审理报告" in doc[5].get_text()


def test_search_respects_cases_and_volumes(app_client: TestClient) -> None:
    lawyer = signed_in(app_client, "lawyer1")
    judge = signed_in(app_client, "judge1")
    hits = lawyer.get("/api/search", params={"q": "借款本金"}).json()["hits"]
    assert {(h["case"], h["volume"], h["page"]) for h in hits} == {(CASE_A, "main", 3), (CASE_A, "main", 9)}
    assert lawyer.get("/api/search", params={"q": "王五"}).json()["hits"] == []
    assert lawyer.get("/api/search", params={"q": "评议"}).json()["hits"] == []
    assert lawyer.get("/api/search", params={"q": "王五", "case": CASE_B}).status_code == 404
    judge_hits = judge.get("/api/search", params={"q": "评议"}).json()["hits"]
    assert [(h["case"], h["volume"], h["page"]) for h in judge_hits] == [
        (CASE_A, "secondary", 3), (CASE_A, "secondary", 6)]
    assert [h["case"] for h in judge.get("/api/search", params={"q": "王五"}).json()["hits"]] == [CASE_B]


def test_highlights_cover_the_phrase(app_client: TestClient) -> None:
    judge = signed_in(app_client, "judge1")
    result = judge.get(f"/api/cases/{A}/versions/{V}/volumes/main/pages/3/highlights", params={"q": "借款本金"}).json()
    assert len(result["rects"]) == 1
    x0, y0, x1, y1 = result["rects"][0]
    assert 0 < x0 < x1 <= result["width"] and 0 < y0 < y1 <= result["height"]
    none = judge.get(f"/api/cases/{A}/versions/{V}/volumes/main/pages/5/highlights", params={"q": "借款本金"}).json()
    assert none["rects"] == []


def test_trust_badge_reports_signature_and_fixity(app_client: TestClient) -> None:
    judge = signed_in(app_client, "judge1")
    badge = judge.get(f"/api/cases/{A}/versions/1/volumes/main/trust").json()
    assert badge["valid"] and badge["signature"]["valid"] and badge["fixity"]["ok"]
    assert badge["signature"]["signatures"][0]["intact"]


def test_views_downloads_and_searches_are_audited(app_client: TestClient, web_env: WebEnv) -> None:
    judge = signed_in(app_client, "judge1")
    judge.get(f"/api/cases/{A}/versions/1/volumes/main")
    judge.get(f"/api/cases/{A}/versions/1/volumes/main/download")
    judge.get("/api/search", params={"q": "伍万元"})
    log = AuditLog(open_store(web_env.settings.store_uri))
    mine = [(e.action, e.case) for e in log.entries() if e.user == "judge1"]
    assert ("view", CASE_A) in mine and ("download", CASE_A) in mine and ("search", None) in mine
    assert log.verify() == []


def test_upload_limits_apply_before_anything_is_stored(app_client: TestClient, web_env: WebEnv) -> None:
    lawyer = signed_in(app_client, "lawyer1")
    store = open_store(web_env.settings.store_uri)
    before = list(store.list("cases/"))
    declared = {"doc_type": "证据目录"}  # a lawyer declares what is filed
    text = lawyer.post(f"/api/cases/{A}/submissions", files={"files": ("evil.pdf", b"MZ\x90\x00 not a pdf")},
                       data=declared)
    assert text.status_code == 415
    other = lawyer.post(f"/api/cases/{B}/submissions", files={"files": ("a.pdf", b"%PDF-1.7\n")})
    assert other.status_code == 404
    judge = signed_in(app_client, "judge1")
    assert judge.post(f"/api/cases/{A}/submissions", files={"files": ("a.pdf", b"%PDF-1.7\n")}).status_code == 403
    big = io.BytesIO(b"%PDF-1.7\n" + b"0" * (web_env.settings.web.upload_max_bytes + 10))
    assert lawyer.post(f"/api/cases/{A}/submissions", files={"files": ("big.pdf", big)}, data=declared).status_code == 413
    assert list(store.list("cases/")) == before
    assert not any((web_env.settings.data_dir / "web" / "uploads").glob("*/*"))


def test_openapi_describes_the_json_endpoints(app_client: TestClient) -> None:
    spec = app_client.get("/openapi.json").json()
    for path in ("/api/session", "/api/cases", "/api/search", "/api/cases/{case}/submissions",
                 "/api/cases/{case}/versions/{version}/volumes/{volume}/trust"):
        assert path in spec["paths"], path
    assert "/" not in spec["paths"]


def test_sessions_expire(tmp_path) -> None:  # type: ignore[no-untyped-def]
    accounts = Accounts(tmp_path / "a.sqlite3", idle_s=1, max_s=60)
    accounts.add("judge9", "judge", PASSWORD)
    token, _ = accounts.sign_in("judge9", PASSWORD)
    assert accounts.session_user(token) is not None
    time.sleep(1.2)
    assert accounts.session_user(token) is None
    with pytest.raises(AccountError):
        accounts.add("weak", "judge", "short")


def test_users_cli(web_env: WebEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDOSSIER_DATA_DIR", str(web_env.settings.data_dir))
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli(["users", "add", "archivist1", "--role", "archivist", "--password-stdin"]) == 0
    accounts = open_accounts(web_env.settings)
    token, user = accounts.sign_in("archivist1", PASSWORD)
    assert user.must_change and user.role == "archivist"
    assert cli(["users", "disable", "archivist1"]) == 0
    assert accounts.session_user(token) is None
    with pytest.raises(AccountError):
        accounts.sign_in("archivist1", PASSWORD)


def test_search_index_rebuilds_from_the_store(web_env: WebEnv, tmp_path) -> None:  # type: ignore[no-untyped-def]
    index = SearchIndex(tmp_path / "index.sqlite3", open_store(web_env.settings.store_uri))
    pages = index.rebuild()
    assert pages == 9  # the documents' pages: 正卷 6 + 副卷 2 of case A, 正卷 1 of case B
    hits = index.search("人民币捌万元", None, ["main"])
    assert [(h.case, h.page) for h in hits] == [(CASE_B, 3)]  # after case B's cover and catalogue
    assert index.search("评议", [CASE_A], ["main"]) == [] and index.search("评议", [CASE_A], ["secondary"])
    index.close()
