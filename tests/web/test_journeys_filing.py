"""User journeys of 网上立案 and e键送达 in headless Chromium, on the real stack.

A party files a case with a born-digital complaint and a scanned power of
attorney (real OCR: samples/02-power-of-attorney.jpg, rendered by the project),
the clerk reads the materials in pdf.js and accepts; the judge then reads the
cover in the viewer, and what the viewer painted is read back by OCR.  A
rejected filing publishes nothing; a served judgment opened by the party binds
a 送达回证 whose version verifies.  Screenshots go to tests/artifacts/web/.
"""

from __future__ import annotations

import calendar
import hashlib
import re
import time
from pathlib import Path

import pymupdf
import pytest

from bench.pagegen import text_pdf
from edossier.casenumber import CaseNumber
from edossier.ocr import create_engine
from edossier.pipeline.cli import main as cli
from edossier.storage import open_store
from edossier.storage.manifest import latest_version, list_cases, read_manifest
from edossier.web.accounts import open_accounts
from tests.web.test_browser import CHROMEDRIVER, CHROMIUM, browser, by_id, css, sign_in, wait  # noqa: F401 (fixture)
from tests.web.web_dossiers import ARTIFACTS, CASE_A, COMPLAINT, PASSWORD

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason="needs Debian chromium and chromium-driver (scripts/apt-packages.txt)",
)

SCAN = Path(__file__).resolve().parents[2] / "samples" / "02-power-of-attorney.jpg"
NEW_CASE = "（2026）浙0102民初901号"


@pytest.fixture(scope="module", autouse=True)
def party_accounts(web_env) -> None:  # type: ignore[no-untyped-def]
    accounts = open_accounts(web_env.settings)
    accounts.add("party1", "party", PASSWORD, (CASE_A,))
    accounts.add("party2", "party", PASSWORD, (CASE_A,))
    accounts.close()


def fill_filing(driver, cause: str, files: list[Path]) -> None:  # type: ignore[no-untyped-def]
    driver.get(driver.current_url.split("#")[0] + "#/filings")
    wait(driver, lambda d: by_id(d, "filing-form").is_displayed())
    by_id(driver, "filing-court").send_keys("杭州市上城区人民法院")
    by_id(driver, "filing-cause").send_keys(cause)
    by_id(driver, "filing-parties").send_keys("原告：张三\n被告：李四")
    by_id(driver, "filing-claims").send_keys("一、判令被告归还借款本金人民币伍万元整；二、本案诉讼费用由被告承担。")
    by_id(driver, "filing-complaint").send_keys(str(files[0]))
    if len(files) > 1:
        by_id(driver, "filing-other").send_keys("\n".join(str(f) for f in files[1:]))
    by_id(driver, "filing-submit").click()
    wait(driver, lambda d: by_id(d, "view-filing").is_displayed() and by_id(d, "filing-state").get_attribute("data-state"))


def filing_id(driver) -> str:  # type: ignore[no-untyped-def]
    return driver.current_url.rsplit("/", 1)[-1]


def open_filing_as_clerk(driver, base: str, fid: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(driver, base, "clerk1")
    by_id(driver, "nav-filings").click()
    wait(driver, lambda d: css(d, f'#filings-table tr[data-id="{fid}"]'))
    assert css(driver, f'#filings-table tr[data-id="{fid}"] td.state')[0].text == "待审查"
    css(driver, f'#filings-table tr[data-id="{fid}"] a.filing-link')[0].click()
    wait(driver, lambda d: by_id(d, "filing-decision").is_displayed())


def test_accepted_filing_becomes_a_case_the_judge_reads(browser, live_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    complaint = text_pdf(tmp_path / "民事起诉状.pdf", COMPLAINT)
    store = open_store(live_server.env.settings.store_uri)
    sign_in(browser, live_server.url, "party1")
    fill_filing(browser, "民间借贷纠纷", [complaint, SCAN])
    fid = filing_id(browser)
    assert by_id(browser, "filing-state").text.startswith("待审查")
    assert len(css(browser, "#filing-materials li.material")) == 2
    browser.save_screenshot(str(ARTIFACTS / "filing-pending.png"))
    assert CaseNumber.parse(NEW_CASE).key not in list_cases(store)

    open_filing_as_clerk(browser, live_server.url, fid)
    css(browser, '#filing-materials li.material[data-number="2"]')[0].click()  # the scanned power of attorney
    wait(browser, lambda d: by_id(d, "filing-viewer").get_attribute("data-ready") == "true")
    assert by_id(browser, "filing-viewer").get_attribute("data-pages") == "1"
    browser.save_screenshot(str(ARTIFACTS / "filing-clerk-reads.png"))
    by_id(browser, "accept-case").send_keys(NEW_CASE)
    by_id(browser, "accept-button").click()
    wait(browser, lambda d: by_id(d, "filing-state").get_attribute("data-state") in ("accepted", "failed"), timeout=400)
    assert by_id(browser, "filing-state").get_attribute("data-state") == "accepted", by_id(browser, "filing-state").text
    assert NEW_CASE in by_id(browser, "filing-state").text

    case = CaseNumber.parse(NEW_CASE)
    manifest = read_manifest(store, case, 1)
    uploaded = {hashlib.sha256(p.read_bytes()).hexdigest() for p in (complaint, SCAN)}
    assert {o.sha256 for o in manifest.objects if o.role == "original"} == uploaded
    cover_pdf = store.get_bytes(next(o.key for o in manifest.objects if o.role == "dossier"))
    cover = pymupdf.open(stream=cover_pdf, filetype="pdf")[0].get_text()
    assert re.search(r"案\s*由：\s*民间借贷纠纷", cover) and re.search(r"当 事 人：\s*原告：张三；被告：李四", cover)
    assert re.search(r"收案日期：\s*\d{4}-\d{2}-\d{2}", cover)

    sign_in(browser, live_server.url, "judge1")
    link = next(a for a in css(browser, "a.case-link") if a.text == NEW_CASE)
    link.click()
    wait(browser, lambda d: by_id(d, "viewer").get_attribute("data-ready") == "true"
         and css(d, '.page[data-page="1"][data-rendered="true"]'))
    titles = [e.get_attribute("textContent") for e in css(browser, "#catalogue li.entry .title")]
    assert len(titles) == 2 and "民事起诉状" in titles
    shot = tmp_path / "cover-as-seen.png"
    shot.write_bytes(css(browser, '.page[data-page="1"] canvas')[0].screenshot_as_png)
    browser.save_screenshot(str(ARTIFACTS / "filing-judge-cover.png"))
    seen = create_engine(live_server.env.settings.ocr).recognize(shot).text.replace(" ", "")
    assert "民间借贷纠纷" in seen and "张三" in seen and "李四" in seen, seen  # what the judge's viewer painted

    sign_in(browser, live_server.url, "party1")
    assert NEW_CASE in [a.text for a in css(browser, "a.case-link")]  # the filer is admitted to the new case


def test_rejected_filing_publishes_nothing_and_the_filer_corrects_it(browser, live_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    complaint = text_pdf(tmp_path / "起诉状.pdf", COMPLAINT)
    store = open_store(live_server.env.settings.store_uri)
    cases_before = list_cases(store)
    sign_in(browser, live_server.url, "party2")
    fill_filing(browser, "借款合同纠纷", [complaint])
    fid = filing_id(browser)

    open_filing_as_clerk(browser, live_server.url, fid)
    by_id(browser, "reject-reason").send_keys("请补充被告的身份证明材料")
    by_id(browser, "reject-button").click()
    wait(browser, lambda d: by_id(d, "filing-state").get_attribute("data-state") == "rejected")
    assert list_cases(store) == cases_before

    sign_in(browser, live_server.url, "party2")
    browser.get(f"{live_server.url}/#/filing/{fid}")
    wait(browser, lambda d: by_id(d, "filing-state").get_attribute("data-state") == "rejected")
    assert "请补充被告的身份证明材料" in by_id(browser, "filing-state").text
    browser.save_screenshot(str(ARTIFACTS / "filing-rejected.png"))
    by_id(browser, "filing-resubmit").click()
    wait(browser, lambda d: by_id(d, "filing-form").is_displayed() and by_id(d, "filing-cause").get_attribute("value"))
    assert by_id(browser, "filing-cause").get_attribute("value") == "借款合同纠纷"
    identity = text_pdf(tmp_path / "身份证明.pdf", ["身份证明\n被告：李四，男，汉族，住杭州市上城区解放路8号。"])
    by_id(browser, "filing-other").send_keys(str(identity))
    by_id(browser, "filing-submit").click()
    wait(browser, lambda d: by_id(d, "view-filing").is_displayed()
         and by_id(d, "filing-state").get_attribute("data-state") == "pending")
    assert len(css(browser, "#filing-materials li.material")) == 2
    assert list_cases(store) == cases_before  # still nothing published


def test_served_judgment_opened_by_the_party_binds_a_verified_receipt(browser, live_server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    store = open_store(live_server.env.settings.store_uri)
    case = CaseNumber.parse(CASE_A)
    before = latest_version(store, case)
    sign_in(browser, live_server.url, "clerk1")
    link = next(a for a in css(browser, "a.case-link") if a.text == CASE_A)
    link.click()
    wait(browser, lambda d: by_id(d, "viewer").get_attribute("data-ready") == "true")
    by_id(browser, "tab-serve-button").click()
    wait(browser, lambda d: len(css(d, "#serve-document option")) > 1)
    from selenium.webdriver.support.ui import Select

    Select(by_id(browser, "serve-document")).select_by_value("3")  # 民事判决书
    by_id(browser, "serve-recipient").send_keys("party1")
    by_id(browser, "serve-button").click()
    wait(browser, lambda d: by_id(d, "serve-status").get_attribute("data-state") in ("sent", "refused"))
    assert by_id(browser, "serve-status").get_attribute("data-state") == "sent", by_id(browser, "serve-status").text
    sid = by_id(browser, "serve-status").get_attribute("data-id")
    by_id(browser, "nav-service").click()
    wait(browser, lambda d: css(d, f'#service-table tr[data-id="{sid}"]'))
    row = css(browser, f'#service-table tr[data-id="{sid}"] td')
    assert row[4].text == "未送达" and "分钟" in row[5].text
    browser.save_screenshot(str(ARTIFACTS / "service-undelivered.png"))

    sign_in(browser, live_server.url, "party1")
    by_id(browser, "nav-inbox").click()
    wait(browser, lambda d: css(d, f'#inbox-table tr[data-id="{sid}"] a.served-link'))
    css(browser, f'#inbox-table tr[data-id="{sid}"] a.served-link')[0].click()
    wait(browser, lambda d: by_id(d, "served-viewer").get_attribute("data-ready") == "true")
    wait(browser, lambda d: by_id(d, "served-state").get_attribute("data-state") in ("receipted", "failed"), timeout=300)
    assert by_id(browser, "served-state").get_attribute("data-state") == "receipted", by_id(browser, "served-state").text
    version = int(by_id(browser, "served-state").get_attribute("data-version"))
    assert version == before + 1 == latest_version(store, case)
    browser.save_screenshot(str(ARTIFACTS / "service-delivered.png"))
    by_id(browser, "receipt-link").click()
    wait(browser, lambda d: f"第{version}版" in by_id(d, "dossier-title").text
         and css(d, '.page[data-page="1"][data-rendered="true"]'))
    titles = [e.get_attribute("textContent") for e in css(browser, "#catalogue li.entry .title")]
    assert titles[-1].startswith("送达回证（民事判决书")

    manifest = read_manifest(store, case, version)
    judgment = next(d for d in manifest.documents if d["title"] == "民事判决书")
    pdf = pymupdf.open(stream=store.get_bytes(next(o.key for o in manifest.objects if o.role == "dossier")),
                       filetype="pdf")
    receipt = [p.get_text() for p in pdf if "送　达　回　证" in p.get_text()][-1]
    assert judgment["source_sha256"] in receipt
    delivered = re.search(r"送达时间：\s*(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) \+08:00", receipt)
    assert delivered, receipt
    stamp = calendar.timegm(time.strptime(delivered.group(1), "%Y-%m-%d %H:%M:%S")) - 8 * 3600
    assert abs(stamp - time.time()) < 600  # delivered during this test, in China Standard Time
    monkeypatch.setenv("EDOSSIER_DATA_DIR", str(live_server.env.settings.data_dir))  # its development key
    assert cli(["verify", "--case", CASE_A]) == 0


def test_judge_approves_in_the_reader_and_the_record_is_in_the_secondary_volume(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    store = open_store(live_server.env.settings.store_uri)
    before = latest_version(store, CaseNumber.parse(CASE_A))
    sign_in(browser, live_server.url, "judge1")
    link = next(a for a in css(browser, "a.case-link") if a.text == CASE_A)
    link.click()
    wait(browser, lambda d: by_id(d, "viewer").get_attribute("data-ready") == "true")
    by_id(browser, "tab-approve-button").click()
    by_id(browser, "approve-request").send_keys("案情复杂，需鉴定借款合同签名真伪，申请延长审理期限六个月。")
    by_id(browser, "approve-opinion").send_keys("同意延长六个月。")
    by_id(browser, "approve-button").click()
    wait(browser, lambda d: by_id(d, "approve-status").get_attribute("data-state") in ("recorded", "refused"), timeout=300)
    assert by_id(browser, "approve-status").get_attribute("data-state") == "recorded", by_id(browser, "approve-status").text
    assert by_id(browser, "approve-status").get_attribute("data-version") == str(before + 1)
    by_id(browser, "approval-link").click()
    wait(browser, lambda d: f"第{before + 1}版 副卷" in by_id(d, "dossier-title").text
         and css(d, '.page[data-page="1"][data-rendered="true"]'))
    titles = [e.get_attribute("textContent") for e in css(browser, "#catalogue li.entry .title")]
    assert titles[-1] == "审批表（延长审理期限，同意）"
    browser.save_screenshot(str(ARTIFACTS / "approval-secondary.png"))

    sign_in(browser, live_server.url, "party1")
    assert not css(browser, "#tab-approve-button:not([hidden])")
