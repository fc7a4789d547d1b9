"""The reader in a real browser: headless Debian Chromium driven by chromedriver.

Nothing downloads a browser: the system /usr/bin/chromium and /usr/bin/chromedriver
are used, and the tests skip (saying so) where they are missing; CI installs them
from scripts/apt-packages.txt.  Screenshots of the main views go to tests/artifacts/web/.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.web_dossiers import ARTIFACTS, CASE_A, CASE_A_VERSIONS, NEW_PASSWORD, PASSWORD

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


@pytest.fixture(scope="module")
def ocr():  # type: ignore[no-untyped-def]
    """The project's OCR engine (RapidOCR), to read what the browser shows as a person would."""
    from edossier.config import OcrSettings
    from edossier.ocr import create_engine

    return create_engine(OcrSettings(jobs=1))


def shown_page(driver, ocr, n: int, tmp: Path) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """What the viewer shows of page N, read off the screen by OCR: the number printed at its top right, its text."""
    from PIL import Image

    from edossier.web.search_index import fold

    box = css(driver, f'.page[data-page="{n}"]')[0]
    shot = Image.open(io.BytesIO(box.screenshot_as_png)).convert("RGB")
    width, height = shot.size
    corner = shot.crop((int(width * 0.8), 0, width, int(height * 0.05)))
    corner = corner.resize((corner.width * 3, corner.height * 3), Image.LANCZOS)
    top = shot.crop((0, 0, width, min(height, int(width * 0.6))))
    texts = []
    for name, image in (("corner", corner), ("top", top)):
        path = tmp / f"page-{n}-{name}.png"
        image.save(path)
        texts.append(fold(ocr.recognize(path).text))
    return texts[0], texts[1]


def lands_on(driver, ocr, page: int, expected: str, tmp: Path) -> None:  # type: ignore[no-untyped-def]
    """The viewer scrolled PAGE to its top, and that sheet shows PAGE as its printed number and EXPECTED as text."""
    from edossier.web.search_index import fold

    wait(driver, lambda d: by_id(d, "viewer").get_attribute("data-current-page") == str(page)
         and css(d, f'.page[data-page="{page}"][data-rendered="true"]'))
    box = css(driver, f'.page[data-page="{page}"]')[0]
    assert abs(box.rect["y"] - by_id(driver, "viewer").rect["y"]) < 40, "the page is not at the top of the viewer"
    printed, text = shown_page(driver, ocr, page, tmp)
    assert printed == str(page), (page, printed)
    assert fold(expected) in text, (page, expected, text)


def test_judge_reads_jumps_and_searches(browser, live_server, ocr, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """On case A's third version: every catalogue entry and search hit lands on the sheet printed with its number."""
    sign_in(browser, live_server.url, "judge1")
    browser.save_screenshot(str(ARTIFACTS / "cases.png"))
    open_case(browser, CASE_A)
    assert "正卷" in by_id(browser, "dossier-title").text and "第3版" in by_id(browser, "dossier-title").text
    wait(browser, lambda d: by_id(d, "badge").get_attribute("data-valid") == "true")
    assert "第 1 / 13 页" in by_id(browser, "page-indicator").text
    printed, cover = shown_page(browser, ocr, 1, tmp_path)
    assert printed == "1" and "诉讼卷宗" in cover
    browser.save_screenshot(str(ARTIFACTS / "dossier.png"))

    main = [("民事起诉状", 3, "民事起诉状"), ("授权委托书", 5, "授权委托书"), ("民事判决书", 8, "民事判决书"),
            ("传票", 12, "传票")]
    titles = [e.find_element("css selector", ".title").text for e in css(browser, "#catalogue li.entry")]
    assert titles == [title for title, _, _ in main]
    for index, (_, page, text) in enumerate(main):
        css(browser, "#catalogue li.entry")[index].click()
        lands_on(browser, ocr, page, text, tmp_path)
    assert "第 12 / 13 页" in by_id(browser, "page-indicator").text
    browser.save_screenshot(str(ARTIFACTS / "catalogue-jump.png"))

    css(browser, '.tabs button[data-tab="search"]')[0].click()
    by_id(browser, "case-q").send_keys("借款本金")
    css(browser, "#case-search button")[0].click()
    wait(browser, lambda d: css(d, "#case-results .hit"))
    hits = css(browser, "#case-results .hit")
    assert [h.get_attribute("data-page") for h in hits] == ["3", "9"]
    assert "第9页" in hits[1].text
    hits[1].click()
    wait(browser, lambda d: css(d, '.page[data-page="9"][data-marks="1"] .mark'))
    lands_on(browser, ocr, 9, "本院认为", tmp_path)
    browser.save_screenshot(str(ARTIFACTS / "search-hit.png"))

    by_id(browser, "case-q").clear()
    by_id(browser, "case-q").send_keys("评议内容")  # only in the 副卷: the hit opens it
    css(browser, "#case-search button")[0].click()
    wait(browser, lambda d: d.execute_script(  # the list is redrawn: read it in one go, not element by element
        "return [...document.querySelectorAll('#case-results .hit')].map((h) => h.dataset.page)") == ["3"])
    css(browser, "#case-results .hit")[0].click()
    wait(browser, lambda d: "副卷" in by_id(d, "dossier-title").text)
    wait(browser, lambda d: css(d, '.page[data-page="3"][data-marks="1"] .mark'))
    lands_on(browser, ocr, 3, "合议庭评议笔录", tmp_path)
    secondary = [e.get_attribute("textContent") for e in css(browser, "#catalogue li.entry .title")]
    assert secondary == ["合议庭评议笔录", "案件审理报告"]
    css(browser, '.tabs button[data-tab="catalogue"]')[0].click()
    css(browser, "#catalogue li.entry")[1].click()
    lands_on(browser, ocr, 6, "案件审理报告", tmp_path)
    assert "第 6 / 7 页" in by_id(browser, "page-indicator").text
    browser.save_screenshot(str(ARTIFACTS / "secondary-jump.png"))


def test_lawyer_is_refused_the_secondary_volume(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    sign_in(browser, live_server.url, "lawyer1")
    assert [a.text for a in css(browser, "a.case-link")] == [CASE_A]
    open_case(browser, CASE_A)
    assert not css(browser, "#volume-switch button")
    from urllib.parse import quote

    browser.get(f"{live_server.url}/#/case/{quote(CASE_A)}/{len(CASE_A_VERSIONS)}/secondary")
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
    assert status.get_attribute("data-version") == str(len(CASE_A_VERSIONS) + 1)
    browser.save_screenshot(str(ARTIFACTS / "upload-accepted.png"))
    by_id(browser, "open-new-version").click()
    wait(browser, lambda d: f"第{len(CASE_A_VERSIONS) + 1}版" in by_id(d, "dossier-title").text
         and css(d, '.page[data-page="1"][data-rendered="true"]'))
    titles = [e.get_attribute("textContent") for e in css(browser, "#catalogue li.entry .title")]
    assert "证据目录" in titles and "合议庭评议笔录" not in titles
    css(browser, '.tabs button[data-tab="search"]')[0].click()
    by_id(browser, "case-q").send_keys("银行转账凭证")
    css(browser, "#case-search button")[0].click()
    wait(browser, lambda d: css(d, "#case-results .hit"))
    browser.save_screenshot(str(ARTIFACTS / "new-version.png"))
    assert titles[0] == "民事起诉状"
