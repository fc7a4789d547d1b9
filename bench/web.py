"""Web reader benchmark: first page of a 500-page dossier with a 副卷, search across 1,000 stored pages.

Two 500-page dossiers are bound and stored through the real pipeline from
born-digital pages (court texts from the shared corpus over a scan-like JPEG per
page, so the PDF weighs what a scanned dossier weighs, without OCR time).  The
first also has a 副卷 (a 审理报告 of SECONDARY_PAGES pages), so each volume is
its own signed PDF, as a real case's are.  Then:

- first page: headless Chromium opens the reader on the 500-page 正卷 (and then
  on its 副卷); the time from navigation start to the first painted page is read
  from the page (``window.edossierFirstPageMs``), cold (first open: the PDF is
  fetched from the store and checked) and warm, with the number of requests and
  bytes the browser fetched for it (Resource Timing);
- search: the HTTP search endpoint over all 1,000 pages, several phrases, the
  median and worst wall time per query as the browser would see them.

Run: ``python -m bench.web`` (writes bench/results/web.json); EDOSSIER_BENCH_DIR
keeps the built dossiers for the next run.  Targets: first page ≤ 1 s, search ≤ 200 ms.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import httpx
from PIL import ImageDraw

from bench.machine import machine
from bench.pagegen import cjk_font, render_pages, text_pdf
from edossier.config import load_settings
from edossier.pipeline.process import Material, process_case
from edossier.web.accounts import open_accounts

CORPUS = Path(os.environ.get("EDOSSIER_CORPUS", "/work/shared/corpus/docs"))
PAGES = 500
SECONDARY_PAGES = 20
CASES = ("（2025）浙0102民初501号", "（2025）浙0102民初502号")
QUERIES = ("借款", "民间借贷纠纷", "本院认为", "诉讼请求", "人民币伍万元整", "不存在的短语甲乙丙")
PASSWORD = "bench-password-1"


def corpus_pages(count: int, offset: int) -> list[str]:
    """COUNT pages of 30 lines of 38 characters cut from the corpus texts (cycled)."""
    text = "".join("".join(p.read_text("utf-8").split()) for p in sorted(CORPUS.rglob("*.txt")))
    per_page = 30 * 38
    pages = []
    for n in range(count):
        start = ((offset + n) * per_page) % max(1, len(text) - per_page)
        chunk = text[start : start + per_page]
        pages.append("\n".join(chunk[i : i + 38] for i in range(0, len(chunk), 38)))
    return pages


def scan_backgrounds() -> Callable[[int], bytes]:
    """A different 150-dpi JPEG per page, from one rendered page with its number stamped on."""
    base = render_pages("民事起诉状", "本页为基准测试用的扫描底图。" * 40)[0].image.convert("RGB").resize((1240, 1754))
    font = cjk_font(40)

    def page(index: int) -> bytes:
        image = base.copy()
        ImageDraw.Draw(image).text((1000, 1680), f"第{index + 1}页", fill=(90, 90, 90), font=font)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=70)
        return out.getvalue()

    return page


def build(data_dir: Path) -> dict[str, float]:
    settings = load_settings(data_dir=data_dir, user="bench")
    backgrounds = scan_backgrounds()
    timings = {}
    for n, case in enumerate(CASES):
        # the opened dossier weighs what scans weigh; the second only adds text to search
        pdf = text_pdf(data_dir / "inputs" / f"{n}.pdf", corpus_pages(PAGES, n * PAGES),
                       background=backgrounds if n == 0 else None)
        materials = [Material(path=pdf, declared_type="证据目录", title=f"证据材料{n + 1}")]
        if n == 0:  # the opened case has a 副卷 too: a court-only paper, bound and signed as its own volume
            report = text_pdf(data_dir / "inputs" / "report.pdf", corpus_pages(SECONDARY_PAGES, 2 * PAGES),
                              background=backgrounds)
            materials.append(Material(path=report, declared_type="审理报告", title="案件审理报告"))
        started = time.perf_counter()
        process_case(materials, case, settings)
        timings[f"process_{n}_{PAGES}_pages_s"] = round(time.perf_counter() - started, 2)
        timings[f"input_{n}_mb"] = round(pdf.stat().st_size / 1e6, 1)
    return timings


def serve(data_dir: Path):  # type: ignore[no-untyped-def]
    import uvicorn

    from edossier.web.app import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(load_settings(data_dir=data_dir)), host="127.0.0.1",
                                           port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def session(data_dir: Path, base: str) -> httpx.Client:
    accounts = open_accounts(load_settings(data_dir=data_dir))
    if accounts.users():
        accounts.reset_password("judge", PASSWORD)
    else:
        accounts.add("judge", "judge", PASSWORD)
    accounts.close()
    client = httpx.Client(base_url=base, timeout=60)
    signed_in = client.post("/api/session", json={"user": "judge", "password": PASSWORD})
    signed_in.raise_for_status()
    client.headers["X-CSRF-Token"] = signed_in.json()["csrf"]  # as the reader's page sends it
    client.post("/api/password", json={"old": PASSWORD, "new": PASSWORD + "x"}).raise_for_status()
    return client


def bench_search(client: httpx.Client) -> dict[str, object]:
    client.get("/api/search", params={"q": "借款"}).raise_for_status()  # first sync of the index
    results = {}
    for query in QUERIES:
        times, hits = [], 0
        for _ in range(7):
            started = time.perf_counter()
            response = client.get("/api/search", params={"q": query})
            times.append((time.perf_counter() - started) * 1000)
            hits = len(response.json()["hits"])
        results[query] = {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1),
                          "hits": hits}
    return results


def bench_first_page(base: str, client: httpx.Client) -> dict[str, object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.get(base + "/static/app.css")
        driver.add_cookie({"name": "edossier_session", "value": client.cookies["edossier_session"], "path": "/"})
        # the browser's own first start (pdf.js fetched and compiled once per browser) on the other case,
        # so "cold" below is a dossier the server has not opened since it started, as a judge meets it
        report: dict[str, object] = {"browser_first_load": _open(driver, f"{base}/#/case/{quote(CASES[1])}/1/main", PAGES)}
        for volume, least in (("main", PAGES), ("secondary", SECONDARY_PAGES)):
            runs = [_open(driver, f"{base}/#/case/{quote(CASES[0])}/1/{volume}", least) for _ in range(4)]
            warm = [r["ms"] for r in runs[1:]]
            report[volume] = {"cold": runs[0], "warm": runs[1:], "warm_median_ms": statistics.median(warm),
                              "warm_min_ms": min(warm), "warm_max_ms": max(warm)}
        return report
    finally:
        driver.quit()


def _open(driver, url: str, least: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Open URL in the reader; the time to its first painted page and what the browser fetched for it."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get("about:blank")
    driver.get(url)
    try:
        ms = WebDriverWait(driver, 60, poll_frequency=0.05).until(
            lambda d: d.execute_script("return window.edossierFirstPageMs"))
    except Exception:
        driver.save_screenshot("/tmp/bench-web-failure.png")
        print(driver.get_log("browser") if hasattr(driver, "get_log") else "")
        raise
    pages = driver.execute_script("return document.querySelectorAll('.page').length")
    assert pages >= least, pages  # the documents' pages plus cover, catalogue and closing sheet
    fetched = driver.execute_script(
        "return performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/pdf'))"
        ".map((e) => e.transferSize)")
    return {"ms": round(ms, 1), "pdf_requests": len(fetched), "pdf_kb": round(sum(fetched) / 1e3, 1)}


def main() -> None:
    keep = os.environ.get("EDOSSIER_BENCH_DIR")  # reuse the built dossiers between runs
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        data_dir = Path(keep or tmp)
        built = (data_dir / "store").exists()
        shutil.rmtree(data_dir / "web" / "cache", ignore_errors=True)  # every run opens each dossier cold first
        report: dict[str, object] = {"machine": machine(), "build": {} if built else build(data_dir)}
        server, base = serve(data_dir)
        client = session(data_dir, base)
        report["first_page"] = bench_first_page(base, client)
        report["search_1000_pages"] = bench_search(client)
        report["volume_mb"] = {pdf.name.split("-")[0]: round(pdf.stat().st_size / 1e6, 1)
                               for pdf in (data_dir / "web" / "cache").rglob("dossier*.pdf")}
        server.should_exit = True
    out = Path(__file__).parent / "results" / "web.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
