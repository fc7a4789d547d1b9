"""The reader in a real browser: headless Debian Chromium driven by chromedriver.

Nothing downloads a browser: the system /usr/bin/chromium and /usr/bin/chromedriver
are used, and the tests skip (saying so) where they are missing; CI installs them
from scripts/apt-packages.txt.  Screenshots of the main views go to tests/artifacts/web/.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.web_dossiers import ARTIFACTS, CASE_A, NEW_PASSWORD, PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason="needs Debian chromium and chromium-driver (scripts/apt-packages.txt)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,1000",
                 "--disable-dev-shm-usage"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def wait(driver, condition, timeout: float = 20):  # type: ignore[no-untyped-def]
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: condition(d))


def by_id(driver, element_id: str):  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id)


def css(driver, selector: str):  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def sign_in(driver, base: str, user: str) -> None:  # type: ignore[no-untyped-def]
    """Sign in through the form; at first sign-in, choose a new password as the page demands."""
    driver.get("about:blank")  # a fresh page load: no state left from the previous user
    driver.get(base + "/")
    driver.delete_all_cookies()
    driver.get(base + "/#/cases")
    wait(driver, lambda d: by_id(d, "view-signin").is_displayed())
    for password in (PASSWORD, NEW_PASSWORD):
        by_id(driver, "signin-user").clear()
        by_id(driver, "signin-user").send_keys(user)
        by_id(driver, "signin-password").clear()
        by_id(driver, "signin-password").send_keys(password)
        by_id(driver, "signin-submit").click()
        state = wait(driver, lambda d: ("password" if by_id(d, "view-password").is_displayed() else
                                        "cases" if by_id(d, "view-cases").is_displayed() else
                                        "error" if by_id(d, "signin-error").text else None))
        if state != "error":
            break
    if state == "password":
        driver.save_screenshot(str(ARTIFACTS / f"password-change-{user}.png"))
        by_id(driver, "pw-old").send_keys(PASSWORD)
        by_id(driver, "pw-new").send_keys(NEW_PASSWORD)
        by_id(driver, "pw-confirm").send_keys(NEW_PASSWORD)
        by_id(driver, "pw-submit").click()
    wait(driver, lambda d: by_id(d, "view-cases").is_displayed() and css(d, "a.case-link"))


def open_case(driver, case: str) -> None:  # type: ignore[no-untyped-def]
    link = next(a for a in css(driver, "a.case-link") if a.text == case)
    link.click()
    wait(driver, lambda d: by_id(d, "viewer").get_attribute("data-ready") == "true"
         and css(d, '.page[data-page="1"][data-rendered="true"]'))


def test_judge_reads_jumps_and_searches(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    sign_in(browser, live_server.url, "judge1")
    browser.save_screenshot(str(ARTIFACTS / "cases.png"))
    open_case(browser, CASE_A)
    assert "正卷" in by_id(browser, "dossier-title").text
    wait(browser, lambda d: by_id(d, "badge").get_attribute("data-valid") == "true")
    entries = css(browser, "#catalogue li.entry")
    assert [e.find_element("css selector", ".title").text for e in entries] == ["民事起诉状", "授权委托书", "民事判决书"]
    browser.save_screenshot(str(ARTIFACTS / "dossier.png"))

    entries[2].click()  # 民事判决书: pages 4–5 of the 正卷
    wait(browser, lambda d: by_id(d, "viewer").get_attribute("data-current-page") == "4"
         and css(d, '.page[data-page="4"][data-rendered="true"]'))
    assert "第 4 / 5 页" in by_id(browser, "page-indicator").text
    page4 = css(browser, '.page[data-page="4"]')[0]
    viewer = by_id(browser, "viewer")
    assert abs(page4.rect["y"] - viewer.rect["y"]) < 40  # page 4 is at the top of the viewer
    browser.save_screenshot(str(ARTIFACTS / "catalogue-jump.png"))

    css(browser, '.tabs button[data-tab="search"]')[0].click()
    by_id(browser, "case-q").send_keys("借款本金")
    css(browser, "#case-search button")[0].click()
    wait(browser, lambda d: css(d, "#case-results .hit"))
    hits = css(browser, "#case-results .hit")
    assert [h.get_attribute("data-page") for h in hits] == ["1", "5"]
    hits[1].click()
    wait(browser, lambda d: css(d, '.page[data-page="5"][data-marks="1"] .mark'))
    assert by_id(browser, "viewer").get_attribute("data-current-page") == "5"
    browser.save_screenshot(str(ARTIFACTS / "search-hit.png"))

    css(browser, '#volume-switch button[data-volume="secondary"]')[0].click()
    wait(browser, lambda d: "副卷" in by_id(d, "dossier-title").text
         and css(d, '.page[data-page="1"][data-rendered="true"]'))
    assert [e.get_attribute("textContent") for e in css(browser, "#catalogue li.entry .title")] == ["合议庭评议笔录"]


def test_lawyer_is_refused_the_secondary_volume(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    sign_in(browser, live_server.url, "lawyer1")
    assert [a.text for a in css(browser, "a.case-link")] == [CASE_A]
    open_case(browser, CASE_A)
    assert not css(browser, "#volume-switch button")
    from urllib.parse import quote

    browser.get(f"{live_server.url}/#/case/{quote(CASE_A)}/1/secondary")
    wait(browser, lambda d: "副卷" in by_id(d, "global-error").text)
    assert "仅供法院内部查阅" in by_id(browser, "global-error").text
    browser.save_screenshot(str(ARTIFACTS / "lawyer-refused-secondary.png"))
    by_id(browser, "global-q").send_keys("评议")
    css(browser, "#global-search button")[0].click()
    wait(browser, lambda d: css(d, "#global-results p.none"))


def test_lawyer_uploads_a_pdf_and_sees_the_next_version(browser, live_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bench.pagegen import text_pdf

    evidence = text_pdf(tmp_path / "证据目录.pdf", [
        "证据目录\n证据一：借款合同一份，证明原被告之间存在借贷关系。\n证据二：银行转账凭证，证明原告已交付借款伍万元。"
    ])
    sign_in(browser, live_server.url, "lawyer1")
    open_case(browser, CASE_A)
    css(browser, '.tabs button[data-tab="submit"]')[0].click()
    by_id(browser, "submit-files").send_keys(str(evidence))
    wait(browser, lambda d: len(css(d, "#submit-type option")) > 1)
    from selenium.webdriver.support.ui import Select

    Select(by_id(browser, "submit-type")).select_by_value("证据目录")
    by_id(browser, "submit-title").send_keys("证据目录")
    by_id(browser, "submit-button").click()
    wait(browser, lambda d: by_id(d, "submit-status").get_attribute("data-state") in ("accepted", "refused", "failed"),
         timeout=120)
    status = by_id(browser, "submit-status")
    assert status.get_attribute("data-state") == "accepted", status.text
    assert status.get_attribute("data-version") == "2"
    browser.save_screenshot(str(ARTIFACTS / "upload-accepted.png"))
    by_id(browser, "open-new-version").click()
    wait(browser, lambda d: "第2版" in by_id(d, "dossier-title").text
         and css(d, '.page[data-page="1"][data-rendered="true"]'))
    titles = [e.get_attribute("textContent") for e in css(browser, "#catalogue li.entry .title")]
    assert "证据目录" in titles and "合议庭评议笔录" not in titles
    css(browser, '.tabs button[data-tab="search"]')[0].click()
    by_id(browser, "case-q").send_keys("银行转账凭证")
    css(browser, "#case-search button")[0].click()
    wait(browser, lambda d: css(d, "#case-results .hit"))
    browser.save_screenshot(str(ARTIFACTS / "new-version.png"))
    assert titles[0] == "民事起诉状"
