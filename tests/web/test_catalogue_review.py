"""A clerk corrects the catalogue in the reader (headless Chromium): split a document in two, merge them back.

Each correction must give a new version that the reader then shows, that
``verify --case`` accepts (every earlier signature still valid), and that the
audit trail records with the clerk, the action and the documents.  A judge
sees no correction tools and is refused at the server.
"""

from __future__ import annotations

import json

import pytest

from edossier.casenumber import CaseNumber
from edossier.pipeline.process import trust_roots
from edossier.pipeline.verify_case import verify_case
from edossier.storage import open_store
from edossier.storage.audit import AuditLog
from tests.web.test_browser import CHROMEDRIVER, CHROMIUM, browser, by_id, css, open_case, sign_in, wait  # noqa: F401
from tests.web.web_dossiers import ARTIFACTS, CASE_A, CASE_A_VERSIONS

pytestmark = pytest.mark.timeout(900)

LATEST = len(CASE_A_VERSIONS)


def catalogue(driver) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    """The catalogue entries the reader shows: number, title, first page."""
    return [{"number": int(e.get_attribute("data-number")), "title": e.find_element("css selector", ".title").text,
             "first": int(e.get_attribute("data-first-page"))} for e in css(driver, "#catalogue li.entry")]


def show_page(driver, page: int) -> None:  # type: ignore[no-untyped-def]
    """Scroll the viewer to PAGE as a reader does when following a link to it."""
    parts = driver.execute_script("return location.hash").split("/")
    driver.execute_script("location.hash = arguments[0]", "/".join([*parts[:5], str(page)]))
    wait(driver, lambda d: by_id(d, "viewer").get_attribute("data-current-page") == str(page))


def opened(driver, version: int) -> None:  # type: ignore[no-untyped-def]
    wait(driver, lambda d: f"第{version}版" in by_id(d, "dossier-title").text
         and by_id(d, "viewer").get_attribute("data-ready") == "true"
         and css(d, '.page[data-rendered="true"]'), timeout=180)


def checked(live_server, version: int, action: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Version VERSION verifies with every earlier one, and the trail has the clerk's correction in it."""
    settings = live_server.env.settings
    store = open_store(settings.store_uri, settings.storage)
    report = verify_case(store, CaseNumber.parse(CASE_A), trust_roots(settings))
    assert report["valid"], report["problems"]
    assert report["versions"][-1] == version
    entries = list(AuditLog(store).entries())
    published = [e for e in entries if e.action == "recatalogue" and e.detail["version"] == version]
    requested = [e for e in entries if e.action == "catalogue_corrected" and e.detail["version"] == version]
    assert len(published) == len(requested) == 1
    assert published[0].user == requested[0].user == "clerk1" and requested[0].client == "127.0.0.1"
    assert published[0].detail["action"] == action
    return published[0].detail


def test_clerk_splits_a_document_and_merges_it_back(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    sign_in(browser, live_server.url, "clerk1")
    open_case(browser, CASE_A)
    opened(browser, LATEST)
    before = catalogue(browser)
    complaint = next(e for e in before if e["title"] == "民事起诉状")
    number, first = int(complaint["number"]), int(complaint["first"])

    show_page(browser, first + 1)
    assert by_id(browser, "recatalogue").is_displayed()
    wait(browser, lambda d: f"第{number}件《民事起诉状》（第{first}–{first + 1}页）" in by_id(d, "recat-current").text)
    by_id(browser, "recat-split").click()
    opened(browser, LATEST + 1)
    assert by_id(browser, "recat-status").text == f"已更正编目，卷宗为第{LATEST + 1}版"
    split = catalogue(browser)
    assert len(split) == len(before) + 1
    assert [(e["title"], e["first"]) for e in split[:number]] == [(e["title"], e["first"]) for e in before[:number]]
    assert split[number]["first"] == first + 1  # the second page now starts a document of its own
    assert [e["first"] for e in split[number + 1:]] == [e["first"] for e in before[number:]]
    browser.save_screenshot(str(ARTIFACTS / "catalogue-split.png"))
    detail = checked(live_server, LATEST + 1, "split")
    assert detail["documents"] == ["民事起诉状", split[number]["title"]] and detail["page"] == first + 1

    next(e for e in css(browser, "#catalogue li.entry") if e.get_attribute("data-number") == str(number)).click()
    wait(browser, lambda d: by_id(d, "viewer").get_attribute("data-current-page") == str(first)
         and f"第{number}件《民事起诉状》（第{first}–{first}页）" in by_id(d, "recat-current").text)
    assert not by_id(browser, "recat-split").is_enabled()  # a document's first page already starts it
    by_id(browser, "recat-merge").click()
    opened(browser, LATEST + 2)
    merged = catalogue(browser)
    assert [(e["title"], e["first"]) for e in merged] == [(e["title"], e["first"]) for e in before]
    browser.save_screenshot(str(ARTIFACTS / "catalogue-merged.png"))
    assert checked(live_server, LATEST + 2, "merge")["documents"] == ["民事起诉状", split[number]["title"]]


def test_clerk_retitles_a_document(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    sign_in(browser, live_server.url, "clerk1")
    open_case(browser, CASE_A)
    latest = LATEST + 2  # after the split and the merge
    opened(browser, latest)
    power = next(e for e in css(browser, "#catalogue li.entry") if e.find_element("css selector", ".title").text
                 == "授权委托书")
    number = power.get_attribute("data-number")
    power.click()
    wait(browser, lambda d: f"第{number}件《授权委托书》" in by_id(d, "recat-current").text)
    types = [o.get_attribute("value") for o in css(browser, "#recat-type option")]
    assert "授权委托书" in types and "评议笔录" not in types  # the 正卷's types only: its pages stay in the 正卷
    by_id(browser, "recat-title").clear()
    by_id(browser, "recat-title").send_keys("授权委托书（特别授权）")
    by_id(browser, "recat-retitle").click()
    opened(browser, latest + 1)
    titles = [e["title"] for e in catalogue(browser)]
    assert titles[int(number) - 1] == "授权委托书（特别授权）"
    detail = checked(live_server, latest + 1, "retitle")
    assert (detail["old_title"], detail["title"], detail["type"]) == ("授权委托书", "授权委托书（特别授权）", "授权委托书")

    # a correction asked on the version before the latest is refused: its numbers and pages may have moved
    stale = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch("api/me").then((r) => r.json()).then((me) => fetch(`api/cases/${encodeURIComponent(arguments[0])}/catalogue`, {
          method: "POST", headers: {"Content-Type": "application/json", "X-CSRF-Token": me.csrf},
          body: JSON.stringify({version: arguments[1], action: "merge", document: 1}),
        })).then(async (r) => done([r.status, await r.json()]));
    """, CaseNumber.parse(CASE_A).key, latest)
    assert stale == [409, {"detail": f"卷宗已有第{latest + 1}版，请打开最新版本后再更正"}]
    settings = live_server.env.settings
    refused = [e for e in AuditLog(open_store(settings.store_uri, settings.storage)).entries()
               if e.action == "catalogue_correction_refused"]
    assert [(e.user, e.detail["version"], e.detail["action"]) for e in refused] == [("clerk1", latest, "merge")]


def test_a_judge_cannot_correct_the_catalogue(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    sign_in(browser, live_server.url, "judge1")
    open_case(browser, CASE_A)
    assert not by_id(browser, "recatalogue").is_displayed()
    key = CaseNumber.parse(CASE_A).key
    status = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch("api/me").then((r) => r.json()).then((me) => fetch(`api/cases/${encodeURIComponent(arguments[0])}/catalogue`, {
          method: "POST", headers: {"Content-Type": "application/json", "X-CSRF-Token": me.csrf},
          body: JSON.stringify({version: 1, action: "merge", document: 1}),
        })).then(async (r) => done([r.status, await r.json()]));
    """, key)
    assert status[0] == 403 and status[1]["detail"] == "仅书记员可更正编目", json.dumps(status, ensure_ascii=False)


def test_clerk_moves_a_paper_to_the_secondary_volume_and_back(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    """The 移入副卷 / 移入正卷 buttons: each move opens the new version at the paper, in the volume it went to."""
    sign_in(browser, live_server.url, "clerk1")
    open_case(browser, CASE_A)
    latest = LATEST + 3  # after the split, the merge and the retitle
    opened(browser, latest)
    power = next(e for e in css(browser, "#catalogue li.entry") if "授权委托书" in e.find_element("css selector", ".title").text)
    title = power.find_element("css selector", ".title").text
    power.click()
    wait(browser, lambda d: f"《{title}》" in by_id(d, "recat-current").text)
    assert by_id(browser, "recat-move").text == "移入副卷"
    by_id(browser, "recat-move").click()
    opened(browser, latest + 1)
    assert "/secondary/" in browser.execute_script("return location.hash")
    assert title in [e["title"] for e in catalogue(browser)]
    assert checked(live_server, latest + 1, "move")["to"] == "secondary"

    moved = next(e for e in css(browser, "#catalogue li.entry") if e.find_element("css selector", ".title").text == title)
    moved.click()
    wait(browser, lambda d: f"《{title}》" in by_id(d, "recat-current").text and by_id(d, "recat-move").text == "移入正卷")
    by_id(browser, "recat-move").click()
    opened(browser, latest + 2)
    assert "/main/" in browser.execute_script("return location.hash")
    assert title in [e["title"] for e in catalogue(browser)]
    assert checked(live_server, latest + 2, "move")["to"] == "main"
    browser.save_screenshot(str(ARTIFACTS / "catalogue-moved-back.png"))
