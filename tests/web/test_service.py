"""e键送达 through the JSON API: serving, the inbox, delivery on opening, the bound 送达回证, roles.

Real stack: the receipt is rendered, bound and signed into a real store, and
the new version is checked with ``edossier verify``.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from urllib.parse import quote

import pymupdf
import pytest
from fastapi.testclient import TestClient

from bench.pagegen import text_pdf
from edossier.casenumber import CaseNumber
from edossier.pipeline.cli import main as cli
from edossier.storage import open_store
from edossier.storage.audit import AuditLog
from edossier.storage.manifest import latest_version, read_manifest
from edossier.web.accounts import open_accounts
from edossier.web.app import create_app
from tests.web.test_api import signed_in
from tests.web.web_dossiers import CASE_A, CASE_B, PASSWORD, WebEnv

A = quote(CASE_A)
SUMMONS = ["杭州市上城区人民法院\n传票\n案号：（2024）浙0102民初1234号\n被传唤人：张三\n传唤事由：开庭审理\n"
           "应到时间：2027年1月10日上午9时\n应到处所：本院第三法庭"]


@pytest.fixture(scope="module")
def app_client(web_env: WebEnv) -> Iterator[TestClient]:
    accounts = open_accounts(web_env.settings)
    accounts.add("party1", "party", PASSWORD, (CASE_A,))
    accounts.add("party2", "party", PASSWORD, (CASE_B,))
    accounts.close()
    with TestClient(create_app(web_env.settings)) as client:
        yield client


def wait_receipt(client: TestClient, service_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = next(s for s in client.get("/api/inbox").json() if s["id"] == service_id)
        if row["state"] in ("receipted", "failed"):
            return row
        time.sleep(0.3)
    raise AssertionError(f"service {service_id}: no receipt bound")


def receipt_page(web_env: WebEnv, case: str, version: int) -> tuple[str, bytes]:
    """Text of the last 送达回证 page in VERSION's 正卷, and the PDF's bytes."""
    store = open_store(web_env.settings.store_uri)
    manifest = read_manifest(store, CaseNumber.parse(case), version)
    pdf = store.get_bytes(next(o.key for o in manifest.objects if o.role == "dossier"))
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    pages = [p.get_text() for p in doc if "送　达　回　证" in p.get_text()]
    assert pages, "no 送达回证 page in the dossier"
    return pages[-1], pdf


def test_only_a_clerk_serves_and_only_to_a_party_of_the_case(app_client, web_env) -> None:  # type: ignore[no-untyped-def]
    clerk, judge, party = (signed_in(app_client, u) for u in ("clerk1", "judge1", "party1"))
    assert judge.post(f"/api/cases/{A}/service", data={"recipient": "party1", "document": 1}).status_code == 403
    assert party.post(f"/api/cases/{A}/service", data={"recipient": "party1", "document": 1}).status_code == 403
    for recipient in ("party2", "judge1", "nobody"):  # not admitted; a court account; no such account
        refused = clerk.post(f"/api/cases/{A}/service", data={"recipient": recipient, "document": 1})
        assert refused.status_code == 400 and "受送达人" in refused.json()["detail"], recipient
    assert clerk.post(f"/api/cases/{A}/service", data={"recipient": "party1", "document": 9}).status_code == 400
    assert clerk.post(f"/api/cases/{A}/service", data={"recipient": "party1"}).status_code == 400
    assert party.get("/api/service").status_code == 403
    assert party.get("/api/inbox").json() == []


def test_served_dossier_document_opened_yields_a_signed_receipt_version(app_client, web_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clerk, party, other = (signed_in(app_client, u) for u in ("clerk1", "party1", "party2"))
    store = open_store(web_env.settings.store_uri)
    case = CaseNumber.parse(CASE_A)
    before = latest_version(store, case)
    sent = clerk.post(f"/api/cases/{A}/service", data={"recipient": "party1", "document": 3})
    assert sent.status_code == 201, sent.text
    service = sent.json()
    assert service["title"] == "民事判决书" and service["doc_type"] == "判决书" and service["state"] == "sent"
    manifest = read_manifest(store, case)
    assert service["sha256"] in {o.sha256 for o in manifest.objects if o.role == "original"}

    undelivered = clerk.get("/api/service?undelivered=true").json()
    assert [s["id"] for s in undelivered] == [service["id"]] and undelivered[0]["age_s"] >= 0
    assert [s["state_name"] for s in clerk.get(f"/api/cases/{A}/service").json()] == ["未送达"]
    assert other.get(f"/api/inbox/{service['id']}").status_code == 404  # someone else's service
    assert party.get(f"/api/inbox/{service['id']}/file").status_code == 409  # not opened yet
    assert [s["id"] for s in party.get("/api/inbox").json()] == [service["id"]]
    assert latest_version(store, case) == before

    opened = party.get(f"/api/inbox/{service['id']}").json()
    assert opened["state"] in ("delivered", "receipted") and opened["delivered"] >= service["created"]
    served = party.get(opened["file"])
    assert served.status_code == 200 and hashlib.sha256(served.content).hexdigest() == service["sha256"]
    row = wait_receipt(party, service["id"])
    assert row["state"] == "receipted", row["reason"]
    assert row["version"] == before + 1 == latest_version(store, case)
    assert clerk.get("/api/service?undelivered=true").json() == []
    assert party.get(f"/api/inbox/{service['id']}").json()["delivered"] == opened["delivered"]  # delivered once

    text, _ = receipt_page(web_env, CASE_A, row["version"])
    assert service["sha256"] in text
    delivered = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(opened["delivered"]) + 8 * 3600))
    assert re.search(rf"送达时间：\s*{delivered} \+08:00", text), text
    assert re.search(r"送达方式：\s*电子送达", text) and re.search(r"受送达人：\s*party1（当事人）", text)
    assert re.search(r"送达文书：\s*民事判决书（判决书）", text)
    main = [e for e in read_manifest(store, case).catalogue if e["volume"] == "main"]
    assert main[-1]["type"] == "送达回证" and main[-1]["title"] == "送达回证（民事判决书，party1（当事人））"
    volume = party.get(f"/api/cases/{A}/versions/{row['version']}/volumes/main").json()
    assert volume["documents"][-1]["type"] == "送达回证"
    assert party.get(f"/api/cases/{A}/versions/{row['version']}/volumes/secondary").status_code == 403

    actions = [e.action for e in AuditLog(store).entries() if e.detail.get("service") == service["id"]]
    assert actions[:3] == ["service_sent", "service_delivered", "service_downloaded"] or \
        actions[:2] == ["service_sent", "service_delivered"]
    assert "service_receipt_bound" in actions
    monkeypatch.setenv("EDOSSIER_DATA_DIR", str(web_env.settings.data_dir))  # its development key is the trust root
    assert cli(["verify", "--case", CASE_A]) == 0


def test_a_new_summons_is_served_and_bound_with_its_receipt(app_client, web_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clerk, party = signed_in(app_client, "clerk1"), signed_in(app_client, "party1")
    summons = text_pdf(web_env.root / "inputs" / "summons.pdf", SUMMONS)
    digest = hashlib.sha256(summons.read_bytes()).hexdigest()
    with open(summons, "rb") as handle:
        sent = clerk.post(f"/api/cases/{A}/service", data={"recipient": "party1", "doc_type": "传票", "title": "传票（开庭）"},
                          files={"file": ("传票.pdf", handle, "application/pdf")})
    assert sent.status_code == 201, sent.text
    service = sent.json()
    assert service["sha256"] == digest and service["origin"] == "upload"
    store = open_store(web_env.settings.store_uri)
    before = latest_version(store, CaseNumber.parse(CASE_A))
    party.get(f"/api/inbox/{service['id']}")
    row = wait_receipt(party, service["id"])
    assert row["state"] == "receipted" and row["version"] == before + 1, row["reason"]
    manifest = read_manifest(store, CaseNumber.parse(CASE_A), row["version"])
    added = [e["type"] for e in manifest.catalogue if e["volume"] == "main"][-2:]
    assert sorted(added) == sorted(["传票", "送达回证"])  # one addition, in the court's binding order
    assert digest in {o.sha256 for o in manifest.objects if o.role == "original"}
    text, _ = receipt_page(web_env, CASE_A, row["version"])
    assert digest in text and "传票（开庭）（传票）" in text
    monkeypatch.setenv("EDOSSIER_DATA_DIR", str(web_env.settings.data_dir))
    assert cli(["verify", "--case", CASE_A]) == 0


def test_service_survives_a_restart_and_the_clerk_lists_it(app_client, web_env, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clerk = signed_in(app_client, "clerk1")
    sent = clerk.post(f"/api/cases/{A}/service", data={"recipient": "party1", "document": 1}).json()
    with TestClient(create_app(web_env.settings)) as restarted:  # a second server on the same data
        party = signed_in(restarted, "party1")
        assert sent["id"] in [s["id"] for s in party.get("/api/inbox").json()]
    monkeypatch.setenv("EDOSSIER_DATA_DIR", str(web_env.settings.data_dir))
    monkeypatch.setenv("EDOSSIER_USER", "clerk1")
    capsys.readouterr()
    assert cli(["service", "list", "--undelivered"]) == 0
    out = capsys.readouterr().out
    assert sent["id"] in out and "未送达" in out and "民事起诉状" in out
