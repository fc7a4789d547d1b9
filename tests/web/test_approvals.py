"""在线审批 through the JSON API: a judge's approval becomes a signed 审批表 in the 副卷, never seen by a party."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import pymupdf
import pytest
from fastapi.testclient import TestClient

from edossier.casenumber import CaseNumber
from edossier.pipeline.cli import main as cli
from edossier.storage import open_store
from edossier.storage.audit import AuditLog
from edossier.storage.manifest import latest_version, read_manifest
from edossier.web.accounts import open_accounts
from edossier.web.app import create_app
from tests.web.test_api import signed_in
from tests.web.web_dossiers import CASE_A, PASSWORD, WebEnv

A = quote(CASE_A)
APPROVAL = {"subject": "延长审理期限", "request": "案情复杂，需鉴定借款合同签名真伪，申请延长审理期限六个月。",
            "decision": "同意", "opinion": "同意延长六个月，自2027年1月1日起算。"}


@pytest.fixture(scope="module")
def app_client(web_env: WebEnv) -> Iterator[TestClient]:
    accounts = open_accounts(web_env.settings)
    accounts.add("party1", "party", PASSWORD, (CASE_A,))
    accounts.close()
    with TestClient(create_app(web_env.settings)) as client:
        yield client


def test_only_a_judge_approves_and_a_bad_approval_is_refused(app_client, web_env) -> None:  # type: ignore[no-untyped-def]
    store = open_store(web_env.settings.store_uri)
    before = latest_version(store, CaseNumber.parse(CASE_A))
    for user in ("clerk1", "lawyer1", "party1"):
        assert signed_in(app_client, user).post(f"/api/cases/{A}/approvals", json=APPROVAL).status_code == 403, user
    judge = signed_in(app_client, "judge1")
    refused = judge.post(f"/api/cases/{A}/approvals", json={**APPROVAL, "decision": "再议"})
    assert refused.status_code == 400 and "审批结果" in refused.json()["detail"]
    assert judge.post(f"/api/cases/{quote('（2026）浙0102民初999号')}/approvals", json=APPROVAL).status_code == 404
    assert latest_version(store, CaseNumber.parse(CASE_A)) == before


def test_approval_is_bound_into_the_secondary_volume_only(app_client, web_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    store = open_store(web_env.settings.store_uri)
    case = CaseNumber.parse(CASE_A)
    before = read_manifest(store, case)
    judge, party = signed_in(app_client, "judge1"), signed_in(app_client, "party1")
    answer = judge.post(f"/api/cases/{A}/approvals", json=APPROVAL)
    assert answer.status_code == 201, answer.text
    version = answer.json()["version"]
    assert version == before.version + 1
    after = read_manifest(store, case, version)
    main_before = next(o.sha256 for o in before.objects if o.role == "dossier")
    assert next(o.sha256 for o in after.objects if o.role == "dossier") == main_before  # 正卷 unchanged
    secondary = store.get_bytes(next(o.key for o in after.objects if o.role == "dossier_secondary"))
    pages = [p.get_text() for p in pymupdf.open(stream=secondary, filetype="pdf")]
    form = next(t for t in pages if "审　批　表" in t)
    assert re.search(r"审批事项：\s*延长审理期限", form) and re.search(r"审批结果：\s*同意", form)
    assert "同意延长六个月" in form and re.search(r"审 批 人：\s*judge1（法官）", form)
    entry = [e for e in after.catalogue if e["volume"] == "secondary"][-1]
    assert entry["type"] == "审批表" and entry["title"] == "审批表（延长审理期限，同意）"

    assert party.get(f"/api/cases/{A}/versions/{version}/volumes/secondary").status_code == 403
    assert "审批表" not in [d["type"] for d in party.get(f"/api/cases/{A}/versions/{version}/volumes/main").json()["documents"]]
    assert judge.get("/api/search", params={"q": "延长审理期限"}).json()["hits"]  # indexed, and found by the court
    assert not party.get("/api/search", params={"q": "延长审理期限"}).json()["hits"]
    judge_view = judge.get(f"/api/cases/{A}/versions/{version}/volumes/secondary").json()
    assert judge_view["documents"][-1]["type"] == "审批表"
    recorded = [e for e in AuditLog(store).entries() if e.action == "approval_recorded"]
    assert recorded[-1].user == "judge1" and recorded[-1].detail["version"] == version
    monkeypatch.setenv("EDOSSIER_DATA_DIR", str(web_env.settings.data_dir))
    assert cli(["verify", "--case", CASE_A]) == 0
