"""网上立案 through the JSON API and ``edossier filings``: filing, roles, rejection (补正), acceptance.

Real stack: the pipeline binds and signs version 1 from the filed materials in
a real filesystem store; the cover is read back from the stored PDF.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pymupdf
import pytest
from fastapi.testclient import TestClient

from bench.pagegen import text_pdf
from edossier.casenumber import CaseNumber
from edossier.pipeline.cli import main as cli
from edossier.storage import open_store
from edossier.storage.audit import AuditLog
from edossier.storage.manifest import latest_version, list_cases, read_manifest
from edossier.web.accounts import open_accounts
from edossier.web.app import create_app
from tests.web.test_api import signed_in
from tests.web.web_dossiers import CASE_A, COMPLAINT, PASSWORD, WebEnv

NEW_CASE = "（2026）浙0102民初321号"
REJECTED_CASE = "（2026）浙0102民初322号"
FILING = {
    "court": "杭州市上城区人民法院",
    "case_type": "民初",
    "cause": "民间借贷纠纷",
    "claims": "一、判令被告归还借款本金人民币伍万元整；二、本案诉讼费用由被告承担。",
    "parties": ["原告：张三", "被告：李四"],
}


@pytest.fixture(scope="module")
def app_client(web_env: WebEnv) -> Iterator[TestClient]:
    accounts = open_accounts(web_env.settings)
    accounts.add("party1", "party", PASSWORD)
    accounts.add("party2", "party", PASSWORD)
    accounts.close()
    with TestClient(create_app(web_env.settings)) as client:
        yield client


@pytest.fixture(scope="module")
def complaint(web_env: WebEnv) -> Path:
    return text_pdf(web_env.root / "inputs" / "filing-complaint.pdf", COMPLAINT)


def file_case(client: TestClient, complaint: Path, **changes: object) -> dict:
    data = {**FILING, **changes, "doc_types": ["起诉状"]}
    with open(complaint, "rb") as handle:
        response = client.post("/api/filings", data=data, files=[("files", ("民事起诉状.pdf", handle, "application/pdf"))])
    assert response.status_code == 201, response.text
    return response.json()


def wait_state(client: TestClient, filing_id: str, states: tuple[str, ...], timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        filing = client.get(f"/api/filings/{filing_id}").json()
        if filing["state"] in states:
            return filing
        time.sleep(0.3)
    raise AssertionError(f"filing {filing_id} still {filing['state']}")


def test_only_filers_file_and_only_they_and_the_court_see_it(app_client, complaint, web_env) -> None:  # type: ignore[no-untyped-def]
    party, other, lawyer = (signed_in(app_client, u) for u in ("party1", "party2", "lawyer1"))
    clerk, judge = signed_in(app_client, "clerk1"), signed_in(app_client, "judge1")
    with open(complaint, "rb") as handle:
        refused = clerk.post("/api/filings", data=FILING, files=[("files", ("a.pdf", handle, "application/pdf"))])
    assert refused.status_code == 403 and "律师或当事人" in refused.json()["detail"]

    filing = file_case(party, complaint)
    assert filing["state"] == "pending" and filing["state_name"] == "待审查"
    assert [p["name"] for p in filing["parties"]] == ["张三", "李四"]
    assert filing["materials"][0]["doc_type"] == "起诉状"
    assert [f["id"] for f in party.get("/api/filings").json()] == [filing["id"]]
    assert other.get("/api/filings").json() == []
    assert other.get(f"/api/filings/{filing['id']}").status_code == 404
    assert other.get(f"/api/filings/{filing['id']}/materials/1/pdf").status_code == 404
    assert filing["id"] in [f["id"] for f in judge.get("/api/filings?status=pending").json()]
    assert lawyer.get("/api/filings?status=accepted").json() == []
    pdf = clerk.get(filing["materials"][0]["pdf"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert judge.post(f"/api/filings/{filing['id']}/accept", json={"case": NEW_CASE}).status_code == 403
    assert party.post(f"/api/filings/{filing['id']}/reject", json={"reason": "x"}).status_code == 403
    assert CaseNumber.parse(NEW_CASE).key not in list_cases(open_store(web_env.settings.store_uri))


def test_bad_filings_are_refused_with_a_reason_and_keep_nothing(app_client, complaint, web_env) -> None:  # type: ignore[no-untyped-def]
    party = signed_in(app_client, "party1")
    before = len(party.get("/api/filings").json())
    for changes, words in (({"case_type": "民x"}, "案件类型"), ({"parties": ["张三"]}, "诉讼地位"),
                           ({"cause": " "}, "案由"), ({"claims": ""}, "诉讼请求")):
        with open(complaint, "rb") as handle:
            response = party.post("/api/filings", data={**FILING, **changes},
                                  files=[("files", ("a.pdf", handle, "application/pdf"))])
        assert response.status_code in (400, 422), changes
        assert response.status_code == 422 or words in response.json()["detail"]
    text = party.post("/api/filings", data=FILING, files=[("files", ("a.pdf", b"not a pdf at all", "text/plain"))])
    assert text.status_code == 415 and "a.pdf" in text.json()["detail"]
    assert len(party.get("/api/filings").json()) == before
    assert not any((web_env.settings.data_dir / "web" / "filings").glob("*/*.txt"))


def test_rejected_filing_publishes_nothing_and_can_be_corrected(app_client, complaint, web_env) -> None:  # type: ignore[no-untyped-def]
    party, clerk = signed_in(app_client, "party1"), signed_in(app_client, "clerk1")
    store = open_store(web_env.settings.store_uri)
    cases_before = list_cases(store)
    filing = file_case(party, complaint, cause="借款合同纠纷")
    rejected = clerk.post(f"/api/filings/{filing['id']}/reject", json={"reason": "请补充被告的身份证明材料"})
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    seen = party.get(f"/api/filings/{filing['id']}").json()
    assert seen["state_name"] == "已退回补正" and seen["reason"] == "请补充被告的身份证明材料"
    assert list_cases(store) == cases_before
    assert clerk.post(f"/api/filings/{filing['id']}/accept", json={"case": REJECTED_CASE}).status_code == 409

    identity = text_pdf(web_env.root / "inputs" / "identity.pdf", ["身份证明\n被告：李四，男，汉族，住杭州市上城区解放路8号。"])
    with open(identity, "rb") as handle:
        again = party.post(f"/api/filings/{filing['id']}/resubmit", data={**FILING, "cause": "借款合同纠纷"},
                           files=[("files", ("身份证明.pdf", handle, "application/pdf"))])
    assert again.status_code == 200, again.text
    body = again.json()
    assert body["state"] == "pending" and body["reason"] is None and len(body["materials"]) == 2
    assert [h["state"] for h in body["history"]] == ["pending", "rejected", "pending"]
    assert list_cases(store) == cases_before
    actions = [(e.action, e.detail.get("filing")) for e in AuditLog(store).entries()]
    assert {("filing_received", filing["id"]), ("filing_rejected", filing["id"]),
            ("filing_resubmitted", filing["id"])} <= set(actions)


def test_accepted_filing_becomes_a_case_with_the_filing_on_its_cover(app_client, complaint, web_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    party, clerk = signed_in(app_client, "party1"), signed_in(app_client, "clerk1")
    filing = file_case(party, complaint)
    wrong_type = clerk.post(f"/api/filings/{filing['id']}/accept", json={"case": "（2026）浙0102行初5号"})
    assert wrong_type.status_code == 400 and "类型代字" in wrong_type.json()["detail"]
    taken = clerk.post(f"/api/filings/{filing['id']}/accept", json={"case": CASE_A})
    assert taken.status_code == 409 and "已有卷宗" in taken.json()["detail"]
    assert party.get(f"/api/cases/{quote(NEW_CASE)}/versions").status_code == 404

    started = clerk.post(f"/api/filings/{filing['id']}/accept", json={"case": NEW_CASE})
    assert started.status_code == 202 and started.json()["state"] in ("accepting", "accepted")
    done = wait_state(party, filing["id"], ("accepted", "failed"))
    assert done["state"] == "accepted", done.get("reason")
    assert done["case"] == NEW_CASE and done["version"] == 1

    store = open_store(web_env.settings.store_uri)
    case = CaseNumber.parse(NEW_CASE)
    assert latest_version(store, case) == 1
    manifest = read_manifest(store, case, 1)
    originals = {o.sha256 for o in manifest.objects if o.role == "original"}
    assert originals == {m["sha256"] for m in done["materials"]}
    pdf_key = next(o.key for o in manifest.objects if o.role == "dossier")
    cover = pymupdf.open(stream=store.get_bytes(pdf_key), filetype="pdf")[0].get_text()
    received = time.strftime("%Y-%m-%d", time.gmtime(filing["created"] + 8 * 3600))  # China Standard Time
    assert re.search(r"案\s*由：\s*民间借贷纠纷", cover), cover
    assert re.search(r"当 事 人：\s*原告：张三；被告：李四", cover), cover
    assert re.search(rf"收案日期：\s*{received}", cover), cover
    assert cover.lstrip().startswith("杭州市上城区人民法院")

    cases = [c["case"] for c in party.get("/api/cases").json()]
    assert cases == [NEW_CASE]  # the filer is admitted to the new case, and only to it
    assert party.get(f"/api/cases/{quote(NEW_CASE)}/versions/1/volumes/secondary").status_code in (403, 404)
    assert clerk.post(f"/api/filings/{filing['id']}/reject", json={"reason": "x"}).status_code == 409
    actions = [e.action for e in AuditLog(store).entries() if e.detail.get("filing") == filing["id"]]
    assert actions[-2:] == ["filing_accepting", "filing_accepted"]
    monkeypatch.setenv("EDOSSIER_DATA_DIR", str(web_env.settings.data_dir))  # its development key is the trust root
    assert cli(["verify", "--case", NEW_CASE]) == 0


def test_clerk_command_line_lists_shows_rejects_and_accepts(app_client, complaint, web_env, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("EDOSSIER_DATA_DIR", str(web_env.settings.data_dir))
    monkeypatch.setenv("EDOSSIER_USER", "clerk1")
    party = signed_in(app_client, "party1")
    first, second = file_case(party, complaint, cause="买卖合同纠纷"), file_case(party, complaint, cause="租赁合同纠纷")
    capsys.readouterr()
    assert cli(["filings", "list", "--status", "pending"]) == 0
    listing = capsys.readouterr().out
    assert first["id"] in listing and second["id"] in listing and "待审查" in listing
    assert cli(["filings", "show", first["id"]]) == 0
    shown = capsys.readouterr().out
    assert "买卖合同纠纷" in shown and "原告：张三" in shown and "民事起诉状" in shown
    assert cli(["filings", "reject", second["id"], "--reason", "诉讼请求不明确"]) == 0
    assert party.get(f"/api/filings/{second['id']}").json()["reason"] == "诉讼请求不明确"
    assert cli(["filings", "accept", first["id"], "--case", "（2026）浙0102民初323号"]) == 0
    assert "第1版" in capsys.readouterr().out
    assert party.get(f"/api/filings/{first['id']}").json()["state"] == "accepted"
    assert cli(["filings", "accept", first["id"], "--case", "（2026）浙0102民初324号"]) == 2
    assert cli(["filings", "show", "nosuchfiling"]) == 10


def test_openapi_lists_the_filing_and_service_routes(app_client) -> None:  # type: ignore[no-untyped-def]
    paths = app_client.get("/openapi.json").json()["paths"]
    expected = {
        "/api/filings": {"get", "post"},
        "/api/filings/{filing_id}": {"get"},
        "/api/filings/{filing_id}/accept": {"post"},
        "/api/filings/{filing_id}/reject": {"post"},
        "/api/cases/{case}/service": {"get", "post"},
        "/api/inbox": {"get"},
        "/api/inbox/{service_id}": {"get"},
    }
    for path, methods in expected.items():
        assert path in paths and methods <= set(paths[path]), path
    accept = paths["/api/filings/{filing_id}/accept"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert accept["$ref"].endswith("/Acceptance")
    assert "case" in app_client.get("/openapi.json").json()["components"]["schemas"]["Acceptance"]["properties"]


def test_an_acceptance_cut_off_by_a_restart_is_finished_when_the_server_starts(app_client, complaint, web_env) -> None:  # type: ignore[no-untyped-def]
    from edossier.web.records import open_records

    party = signed_in(app_client, "party1")
    filing = file_case(party, complaint, cause="服务合同纠纷")
    records = open_records(web_env.settings)  # as if the server stopped right after taking the acceptance
    records.change_filing(filing["id"], ("pending",), "clerk1", state="accepting", case="（2026）浙0102民初330号")
    records.close()
    with TestClient(create_app(web_env.settings)) as restarted:
        done = wait_state(signed_in(restarted, "party1"), filing["id"], ("accepted", "failed"))
    assert done["state"] == "accepted" and done["version"] == 1, done.get("reason")
    assert "（2026）浙0102民初330号" in [c["case"] for c in party.get("/api/cases").json()]
