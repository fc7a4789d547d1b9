"""A clerk moves a paper bound in the wrong volume, in the reader: 正卷 → 副卷, then back.

The 副卷 is the court's own: a lawyer reads the 正卷 only.  A paper moved out of
the 正卷 must leave every 正卷 a lawyer can still open, download or search,
while the court keeps reading all versions; each move is a signed version that
``verify --case`` accepts, audited as the clerk's act.  Everything is real:
the app (FastAPI's test client), the pipeline, signing, the file store.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pymupdf
import pytest
from fastapi.testclient import TestClient

from edossier.casenumber import CaseNumber
from edossier.pipeline.process import trust_roots
from edossier.pipeline.verify_case import verify_case
from edossier.storage import open_store
from edossier.storage.audit import AuditLog
from edossier.storage.manifest import read_manifest
from edossier.web.accounts import open_accounts
from edossier.web.app import create_app
from tests.web.web_dossiers import CASE_A, CASE_A_VERSIONS, NEW_PASSWORD, PASSWORD, make_env

pytestmark = pytest.mark.timeout(900)

LATEST = len(CASE_A_VERSIONS)
POWER = "授权委托书"
PHRASE = "受委托人"
"""words only the power of attorney holds."""


def as_user(app: TestClient, name: str) -> TestClient:
    """APP signed in as NAME (a fresh session; the anti-forgery header set)."""
    me = app.post("/api/session", json={"user": name, "password": NEW_PASSWORD})
    assert me.status_code == 200, me.text
    app.headers["X-CSRF-Token"] = me.json()["csrf"]
    return app


def volume(app: TestClient, version: int, name: str) -> dict:  # type: ignore[type-arg]
    answer = app.get(f"/api/cases/{quote(CASE_A)}/versions/{version}/volumes/{name}")
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def titles(app: TestClient, version: int, name: str) -> list[str]:
    return [d["title"] for d in volume(app, version, name)["documents"]]


def pdf_text(app: TestClient, version: int, name: str) -> str:
    answer = app.get(f"/api/cases/{quote(CASE_A)}/versions/{version}/volumes/{name}/download")
    assert answer.status_code == 200, answer.text
    with pymupdf.open(stream=answer.content, filetype="pdf") as pdf:
        return "".join(page.get_text() for page in pdf)


def search(app: TestClient) -> list[dict]:  # type: ignore[type-arg]
    answer = app.get("/api/search", params={"q": PHRASE, "case": CASE_A})
    assert answer.status_code == 200, answer.text
    return answer.json()["hits"]  # type: ignore[no-any-return]


def move(app: TestClient, version: int, document: int) -> dict:  # type: ignore[type-arg]
    answer = app.post(f"/api/cases/{quote(CASE_A)}/catalogue",
                      json={"version": version, "action": "move", "document": document})
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_a_paper_moved_to_the_secondary_volume_and_back(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    settings = env.settings
    accounts = open_accounts(settings)
    for name in ("judge1", "clerk1", "lawyer1"):
        accounts.change_password(name, PASSWORD, NEW_PASSWORD)
    accounts.close()
    store = open_store(settings.store_uri, settings.storage)
    case = CaseNumber.parse(CASE_A)
    with TestClient(create_app(settings, store)) as app:
        lawyer = as_user(app, "lawyer1")
        assert POWER in titles(lawyer, LATEST, "main") and search(lawyer)

        # the clerk moves the power of attorney out of the 正卷
        clerk = as_user(app, "clerk1")
        power = next(d for d in volume(clerk, LATEST, "main")["documents"] if d["title"] == POWER)
        done = move(clerk, LATEST, power["number"])
        moved = LATEST + 1
        assert (done["version"], done["volume"]) == (moved, "secondary")

        # the judge: in the 副卷's catalogue, not in the 正卷's; the 正卷 renumbered from its own cover
        judge = as_user(app, "judge1")
        assert POWER in titles(judge, moved, "secondary") and POWER not in titles(judge, moved, "main")
        main = volume(judge, moved, "main")
        assert main["documents"][0]["first_page"] == volume(judge, LATEST, "main")["documents"][0]["first_page"]
        assert PHRASE not in pdf_text(judge, moved, "main") and PHRASE in pdf_text(judge, moved, "secondary")
        assert PHRASE in pdf_text(judge, LATEST, "main")  # the court still reads every earlier version
        assert {h["volume"] for h in search(judge)} == {"secondary"}
        provenance = read_manifest(store, case, moved).provenance["rebound"]["main"]
        assert provenance["replaces_version"] == LATEST and "移入副卷" in provenance["reason"]

        # the lawyer: no 正卷 holding it, in any version; no search hit
        lawyer = as_user(app, "lawyer1")
        assert PHRASE not in pdf_text(lawyer, moved, "main") and POWER not in titles(lawyer, moved, "main")
        for version in provenance["withheld_from_parties"]:
            for what in ("", "/pdf", "/download", "/trust"):
                refused = lawyer.get(f"/api/cases/{quote(CASE_A)}/versions/{version}/volumes/main{what}")
                assert refused.status_code == 403 and "移入副卷" in refused.json()["detail"], refused.text
        assert provenance["withheld_from_parties"] == list(range(1, LATEST + 1))  # it came in version 1
        history = lawyer.get(f"/api/cases/{quote(CASE_A)}/versions").json()
        assert [h["volumes"] for h in history] == [[]] * LATEST + [["main"]]
        assert search(lawyer) == []
        assert verify_case(store, case, trust_roots(settings))["valid"]

        # and back: the 副卷 keeps its pages and marks the row moved; the 正卷 grows by them
        clerk = as_user(app, "clerk1")
        row = next(d for d in volume(clerk, moved, "secondary")["documents"] if d["title"] == POWER)
        back = move(clerk, moved, row["number"])
        assert (back["version"], back["volume"]) == (moved + 1, "main")
        judge = as_user(app, "judge1")
        rows = [d for d in volume(judge, moved + 1, "secondary")["documents"] if d["title"] == POWER]
        assert [d["moved_to"] for d in rows] == ["main"]
        assert POWER in titles(judge, moved + 1, "main")
        lawyer = as_user(app, "lawyer1")
        assert PHRASE in pdf_text(lawyer, moved + 1, "main")
        assert {(h["version"], h["volume"]) for h in search(lawyer)} == {(moved + 1, "main")}
        refused = as_user(app, "clerk1").post(f"/api/cases/{quote(CASE_A)}/catalogue", json={
            "version": moved + 1, "action": "move", "document": rows[0]["number"]})
        assert refused.status_code == 409 and "已移入正卷" in refused.json()["detail"]

    report = verify_case(store, case, trust_roots(settings))
    assert report["valid"], report["problems"]
    assert report["versions"][-1] == moved + 1
    assert AuditLog(store).verify() == []
    acts = [e for e in AuditLog(store).entries() if e.action == "recatalogue"]
    assert [(e.user, e.detail["action"], e.detail["from"], e.detail["to"]) for e in acts] == [
        ("clerk1", "move", "main", "secondary"), ("clerk1", "move", "secondary", "main")]
