"""The reader against a security reviewer: forged requests, password guessing, stale sessions,
lawyers filing court documents, a racing audit trail, and what an error shows a user.

The forged request is made the way an attacker would: a page served from the same
host at another port (cookies do not separate ports) posts a multipart form into a
case, in headless Chromium, with the clerk signed in.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient

from bench.pagegen import text_pdf
from edossier.storage import open_store
from edossier.storage.audit import AuditLog
from edossier.storage.manifest import list_cases, published_versions, read_manifest
from edossier.casenumber import CaseNumber
from edossier.web.accounts import Accounts, SignInLockedError, Throttle, open_accounts
from edossier.web.app import create_app
from tests.web.test_browser import CHROMEDRIVER, CHROMIUM, browser, by_id, css, open_case, sign_in, wait  # noqa: F401
from tests.web.web_dossiers import CASE_A, CASE_B, NEW_PASSWORD, PASSWORD, WebEnv

A = quote(CASE_A)
CASE_C = "（2024）浙0102民初9999号"  # admitted, but the court has no dossier for it
WITHDRAWAL = ["撤诉申请书\n申请人：张三\n申请事项：撤回对被告李四的起诉。\n此致\n杭州市上城区人民法院"]
CJK = re.compile(r"[\u4e00-\u9fff]")
chromium = pytest.mark.skipif(not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
                              reason="needs Debian chromium and chromium-driver (scripts/apt-packages.txt)")


@pytest.fixture(scope="module", autouse=True)
def _more_accounts(web_env: WebEnv) -> None:
    """A lawyer admitted to a case without a dossier, and judges for the throttling and parallel tests."""
    accounts = open_accounts(web_env.settings)
    accounts.add("lawyer2", "lawyer", PASSWORD, (CASE_A, CASE_C))
    for n in range(10, 16):
        accounts.add(f"judge{n}", "judge", PASSWORD)
    accounts.close()


@pytest.fixture(scope="module")
def app_client(web_env: WebEnv) -> Iterator[TestClient]:
    with TestClient(create_app(web_env.settings)) as client:
        yield client


def client_for(app_client: TestClient, address: str = "testclient") -> TestClient:
    return TestClient(app_client.app, client=(address, 50000))


def sign_in_http(client: TestClient, user: str, password: str = PASSWORD) -> dict[str, object]:
    """Sign in as the page does and keep the anti-forgery token for later requests."""
    me = client.post("/api/session", json={"user": user, "password": password})
    assert me.status_code == 200, me.text
    client.headers["X-CSRF-Token"] = me.json()["csrf"]
    return me.json()


def ready(app_client: TestClient, user: str, address: str = "testclient") -> TestClient:
    """USER signed in with the initial password changed (or already changed)."""
    client = client_for(app_client, address)
    if client.post("/api/session", json={"user": user, "password": PASSWORD}).status_code == 200:
        client.headers["X-CSRF-Token"] = client.get("/api/me").json()["csrf"]
        assert client.post("/api/password", json={"old": PASSWORD, "new": NEW_PASSWORD}).status_code == 200
    else:
        sign_in_http(client, user, NEW_PASSWORD)
    return client


def entries(env: WebEnv) -> list:  # type: ignore[type-arg]
    return list(AuditLog(open_store(env.settings.store_uri)).entries())


# --- cross-site request forgery -------------------------------------------------------


class _AttackPage(http.server.BaseHTTPRequestHandler):
    html = b""

    def do_GET(self) -> None:  # noqa: N802 (the http.server name)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.html)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def attack_site(tmp_path: Path, live_server) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A page at 127.0.0.1:<another port> whose form posts a 撤诉申请书 into case A as soon as it loads."""
    pdf = base64.b64encode(text_pdf(tmp_path / "withdraw.pdf", WITHDRAWAL).read_bytes()).decode()
    target = f"{live_server.url}/api/cases/{A}/submissions"
    _AttackPage.html = f"""<!doctype html><meta charset="utf-8"><body>
<form id="f" method="post" enctype="multipart/form-data" action="{target}">
<input type="file" name="files" id="file"><input name="doc_type" value="申请书"></form>
<script>
const bytes = Uint8Array.from(atob("{pdf}"), (c) => c.charCodeAt(0));
const files = new DataTransfer();
files.items.add(new File([bytes], "撤诉申请书.pdf", {{ type: "application/pdf" }}));
document.getElementById("file").files = files.files;
document.getElementById("f").submit();
</script>""".encode()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AttackPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@chromium
def test_a_page_at_another_port_cannot_file_with_the_clerks_cookie(browser, live_server, attack_site) -> None:  # type: ignore[no-untyped-def]
    env = live_server.env
    sign_in(browser, live_server.url, "clerk1")
    before = len(entries(env))
    store, case = open_store(env.settings.store_uri), CaseNumber.parse(CASE_A)
    versions = published_versions(store, case)
    browser.get(attack_site)
    wait(browser, lambda d: d.current_url.startswith(live_server.url))  # the form was posted
    wait(browser, lambda d: d.find_element("tag name", "body").text.strip())  # the server's answer is shown
    time.sleep(1)
    new = entries(env)[before:]
    assert [e.action for e in new] == ["request_refused"], [(e.action, e.detail) for e in new]
    assert new[0].user == "clerk1" and new[0].client == "127.0.0.1"
    assert published_versions(store, case) == versions
    assert not any((env.settings.data_dir / "web" / "uploads").glob("*/*"))


def test_state_changes_need_the_own_origin_and_the_token(app_client: TestClient, web_env: WebEnv) -> None:
    clerk = ready(app_client, "clerk1")
    token = clerk.headers.pop("X-CSRF-Token")
    upload = {"files": ("x.pdf", b"MZ not a pdf")}
    # no token: refused before the upload is looked at (415 would mean it was)
    assert clerk.post(f"/api/cases/{A}/submissions", files=upload).status_code == 403
    assert clerk.post(f"/api/cases/{A}/submissions", files=upload, headers={"X-CSRF-Token": "0" * 64}).status_code == 403
    foreign = {"X-CSRF-Token": token, "Origin": "http://testserver:8601"}
    assert clerk.post(f"/api/cases/{A}/submissions", files=upload, headers=foreign).status_code == 403
    referer = {"X-CSRF-Token": token, "Referer": "http://evil.example/page"}
    assert clerk.post(f"/api/cases/{A}/submissions", files=upload, headers=referer).status_code == 403
    assert clerk.delete("/api/session").status_code == 403  # signing out is a state change too
    own = {"X-CSRF-Token": token, "Origin": "http://testserver"}
    assert clerk.post(f"/api/cases/{A}/submissions", files=upload, headers=own).status_code == 415
    # signing in from another site's page (login forgery) is refused as well
    anonymous = client_for(app_client)
    refused = anonymous.post("/api/session", json={"user": "judge1", "password": PASSWORD},
                             headers={"Origin": "http://127.0.0.1:9999"})
    assert refused.status_code == 403 and CJK.search(refused.json()["detail"])
    assert "edossier_session" not in refused.cookies


# --- sign-in throttling -----------------------------------------------------------------


def test_wrong_password_says_so_and_repeated_failures_lock_the_account(app_client: TestClient) -> None:
    guesser = client_for(app_client, "10.0.0.5")
    for _ in range(5):
        wrong = guesser.post("/api/session", json={"user": "judge10", "password": "guess-guess-1"})
        assert wrong.status_code == 401 and wrong.json()["detail"] == "用户名或密码错误"
    locked = guesser.post("/api/session", json={"user": "judge10", "password": PASSWORD})
    assert locked.status_code == 429 and "锁定" in locked.json()["detail"]
    assert int(locked.headers["Retry-After"]) > 0
    # the right password from another address is refused too: the lock is on the account
    assert client_for(app_client, "10.0.0.6").post(
        "/api/session", json={"user": "judge10", "password": PASSWORD}).status_code == 429
    # other accounts are untouched
    sign_in_http(client_for(app_client, "10.0.0.6"), "judge11")


def test_many_failures_from_one_address_lock_that_address(app_client: TestClient) -> None:
    sprayer = client_for(app_client, "10.0.0.9")
    for n in range(20):  # a different name each time: no single account reaches its limit
        assert sprayer.post("/api/session", json={"user": f"spray{n}", "password": "guess-guess-1"}).status_code == 401
    assert sprayer.post("/api/session", json={"user": "judge12", "password": PASSWORD}).status_code == 429
    sign_in_http(client_for(app_client, "10.0.0.10"), "judge12")


def test_a_lock_ends_after_the_lockout_period(tmp_path: Path) -> None:
    accounts = Accounts(tmp_path / "a.sqlite3", idle_s=60, max_s=600, throttle=Throttle(2, 10, lockout_s=8))
    accounts.add("judge9", "judge", PASSWORD)
    for _ in range(2):
        with pytest.raises(Exception, match="wrong user name or password"):
            accounts.sign_in("judge9", "not-the-password", "10.0.0.1")
    with pytest.raises(SignInLockedError) as locked:
        accounts.sign_in("judge9", PASSWORD, "10.0.0.1")
    assert 0 < locked.value.retry_after_s <= 8
    time.sleep(locked.value.retry_after_s + 0.1)
    token, user = accounts.sign_in("judge9", PASSWORD, "10.0.0.1")
    assert user.name == "judge9" and accounts.session_user(token) is not None


# --- sessions end with a password change or a disabled account -------------------------


def test_changing_the_password_ends_the_other_sessions(app_client: TestClient, web_env: WebEnv) -> None:
    laptop = ready(app_client, "judge1")
    phone = client_for(app_client)
    sign_in_http(phone, "judge1", NEW_PASSWORD)
    assert phone.get("/api/cases").status_code == 200
    changed = laptop.post("/api/password", json={"old": NEW_PASSWORD, "new": "third-pass-890"})
    assert changed.status_code == 200
    assert phone.get("/api/cases").status_code == 401  # the other session ended
    assert laptop.get("/api/cases").status_code == 200  # the one that changed it goes on
    back = laptop.post("/api/password", json={"old": "third-pass-890", "new": NEW_PASSWORD})
    assert back.status_code == 200
    accounts = open_accounts(web_env.settings)
    accounts.reset_password("judge1", PASSWORD)  # an administrator's reset ends every session
    assert laptop.get("/api/me").status_code == 401
    sign_in_http(phone, "judge1", PASSWORD)
    accounts.disable("judge1")
    assert phone.get("/api/me").status_code == 401
    accounts.close()


# --- what a lawyer may file --------------------------------------------------------------


def test_lawyers_declare_only_party_types_in_existing_cases(app_client: TestClient, web_env: WebEnv) -> None:
    lawyer = ready(app_client, "lawyer2")
    declarable = lawyer.get("/api/doctypes").json()
    assert "起诉状" in declarable and "证据目录" in declarable
    assert not {"判决书", "裁定书", "传票", "笔录", "调解书", "送达回证"} & set(declarable)
    store = open_store(web_env.settings.store_uri)
    before = list(store.list("cases/"))
    pdf = text_pdf(web_env.root / "withdraw-lawyer.pdf", WITHDRAWAL).read_bytes()
    for court_type in ("判决书", "裁定书", "传票", "笔录"):
        refused = lawyer.post(f"/api/cases/{A}/submissions", files={"files": ("x.pdf", pdf)},
                              data={"doc_type": court_type})
        assert refused.status_code == 400 and court_type in refused.json()["detail"], refused.text
    undeclared = lawyer.post(f"/api/cases/{A}/submissions", files={"files": ("x.pdf", pdf)})
    assert undeclared.status_code == 400 and "类型" in undeclared.json()["detail"]
    missing = lawyer.post(f"/api/cases/{quote(CASE_C)}/submissions", files={"files": ("x.pdf", pdf)},
                          data={"doc_type": "起诉状"})
    assert missing.status_code == 404 and CJK.search(missing.json()["detail"])
    assert list(store.list("cases/")) == before and CaseNumber.parse(CASE_C).key not in list_cases(store)
    refusals = [e for e in entries(web_env) if e.user == "lawyer2" and e.action == "submission_refused"]
    assert len(refusals) == 6 and {e.client for e in refusals} == {"testclient"}


# --- the audit trail under concurrency --------------------------------------------------


def test_160_parallel_audited_requests_lose_no_entry(live_server) -> None:  # type: ignore[no-untyped-def]
    """Sign-ins and views at once (160 parallel sign-ins once lost an entry; argon2 makes them slow, so fewer here)."""
    env = live_server.env
    viewers = []
    for name in ("judge13", "judge14"):
        client = httpx.Client(base_url=live_server.url, timeout=120)
        client.headers["X-CSRF-Token"] = client.post("/api/session", json={"user": name, "password": PASSWORD}).json()["csrf"]
        assert client.post("/api/password", json={"old": PASSWORD, "new": NEW_PASSWORD}).status_code == 200
        viewers.append(client)
    before = len(entries(env))

    def act(n: int) -> httpx.Response:
        if n % 5 == 0:
            with httpx.Client(base_url=live_server.url, timeout=120) as client:
                return client.post("/api/session", json={"user": "judge13", "password": NEW_PASSWORD})
        return viewers[n % 2].get(f"/api/cases/{A}/versions/1/volumes/main")

    with ThreadPoolExecutor(40) as pool:
        answers = list(pool.map(act, range(160)))
    failed = [(a.request.method, a.request.url.path, a.status_code, a.text[:300]) for a in answers if a.status_code != 200]
    assert not failed, failed
    log = AuditLog(open_store(env.settings.store_uri))
    new = list(log.entries())[before:]
    assert sorted(e.action for e in new) == ["sign_in"] * 32 + ["view"] * 128
    assert {e.client for e in new} == {"127.0.0.1"}
    assert log.verify() == []


# --- what users are told ----------------------------------------------------------------


def test_errors_are_chinese_and_name_no_server_path(app_client: TestClient, web_env: WebEnv) -> None:
    judge = ready(app_client, "judge11", "10.0.1.1")
    answers = [
        judge.get(f"/api/cases/{A}/versions/9/volumes/main"),  # no such version: the store's error names its path
        judge.get(f"/api/cases/{A}/versions/1/volumes/appendix"),
        judge.get("/api/cases/not-a-case/versions"),
        judge.get("/api/search"),  # a missing parameter
        judge.get("/api/no-such-route"),
        judge.get("/api/submissions/0123456789abcdef"),
        judge.post("/api/password", json={"old": "wrong-old-pass", "new": "another-pass-1"}),
        judge.post("/api/password", json={"old": NEW_PASSWORD, "new": "short"}),
    ]
    for answer in answers:
        detail = answer.json()["detail"]
        assert answer.status_code >= 400 and isinstance(detail, str) and CJK.search(detail), answer.text
        for leak in (str(web_env.root), "file://", "--", "Traceback", "/api/"):
            assert leak not in detail, detail
    assert [a.status_code for a in answers] == [404, 404, 400, 422, 404, 404, 400, 400]


@chromium
def test_the_page_hides_the_nav_names_a_wrong_password_and_shows_local_times(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    browser.get("about:blank")
    browser.get(live_server.url + "/")
    browser.delete_all_cookies()
    browser.get(live_server.url + "/#/cases")
    wait(browser, lambda d: by_id(d, "view-signin").is_displayed())
    assert not by_id(browser, "nav").is_displayed()  # no case list or search before sign-in
    by_id(browser, "signin-user").send_keys("judge12")
    by_id(browser, "signin-password").send_keys("wrong-password-1")
    by_id(browser, "signin-submit").click()
    wait(browser, lambda d: by_id(d, "signin-error").text)
    assert by_id(browser, "signin-error").text == "用户名或密码错误"
    assert not by_id(browser, "nav").is_displayed()

    sign_in(browser, live_server.url, "judge11")
    assert by_id(browser, "nav").is_displayed()
    row = next(r for r in css(browser, "#case-table tbody tr") if CASE_A in r.text)
    shown = _created(live_server.env, CASE_A).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y/%m/%d %H:%M")
    assert row.find_element("css selector", ".time").text == shown
    main_pages = re.search(r"正卷 (\d+)页", row.find_element("css selector", ".pages").text)
    assert main_pages and "副卷" in row.text  # a judge sees each volume's count
    open_case(browser, CASE_A)
    assert by_id(browser, "page-indicator").text.endswith(f"/ {main_pages.group(1)} 页")


def _created(env: WebEnv, case: str) -> dt.datetime:
    """When the case's latest version was published (stored in UTC)."""
    return dt.datetime.fromisoformat(str(read_manifest(open_store(env.settings.store_uri), CaseNumber.parse(case)).created))


def test_a_duplicate_upload_says_nothing_was_added(app_client: TestClient, web_env: WebEnv) -> None:
    clerk = ready(app_client, "clerk1", "10.0.2.1")
    original = web_env.root / "inputs" / "other.pdf"  # already bound in case B's dossier
    job = clerk.post(f"/api/cases/{quote(CASE_B)}/submissions",
                     files={"files": ("起诉状.pdf", original.read_bytes())}, data={"doc_type": "起诉状"}).json()
    deadline = time.monotonic() + 120
    while job["state"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.3)
        job = clerk.get(f"/api/submissions/{job['id']}").json()
    assert job["state"] == "unchanged" and job["version"] == 1, job
    assert published_versions(open_store(web_env.settings.store_uri), CaseNumber.parse(CASE_B)) == [1]


# --- behind a reverse proxy -------------------------------------------------------------


def test_behind_a_reverse_proxy_under_a_sub_path(web_env: WebEnv) -> None:
    """What nginx sends (docs/web.md): the sub-path stripped, Host kept, X-Forwarded-For and -Proto set."""
    import socket

    import uvicorn

    from edossier.web.app import server_config

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    web = web_env.settings.web.model_copy(update={"root_path": "/edossier"})
    server = uvicorn.Server(server_config(web_env.settings.model_copy(update={"web": web}), "127.0.0.1", port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the web server did not start"
        time.sleep(0.05)
    proxied = {"Host": "court.example", "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=proxied, timeout=60) as client:
            page = client.get("/").text
            assert 'href="static/app.css"' in page and 'src="static/app.js"' in page  # resolved under /edossier/
            assert client.get("/static/app.js").status_code == 200
            plain = client.post("/api/session", json={"user": "judge15", "password": PASSWORD},
                                headers={"Origin": "http://court.example"})
            assert plain.status_code == 403  # the page was served over https: an http origin is another site
            signed = client.post("/api/session", json={"user": "judge15", "password": PASSWORD},
                                 headers={"Origin": "https://court.example"})
            assert signed.status_code == 200, signed.text
            assert "Path=/edossier" in signed.headers["set-cookie"]
            assert signed.headers["cache-control"] == "no-store"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    last = entries(web_env)[-1]
    assert (last.user, last.action, last.client) == ("judge15", "sign_in", "203.0.113.7")


def test_accounts_backup_signs_in_like_the_original(web_env: WebEnv, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from edossier.pipeline.cli import main as cli

    monkeypatch.setenv("EDOSSIER_DATA_DIR", str(web_env.settings.data_dir))
    copy = tmp_path / "backup" / "accounts.sqlite3"
    assert cli(["users", "backup", str(copy)]) == 0
    restored = Accounts(copy, idle_s=60, max_s=600)
    assert {u.name for u, _ in restored.users()} >= {"judge1", "lawyer2", "clerk1"}
    assert restored.user("lawyer2").cases == frozenset({CaseNumber.parse(CASE_A).key, CaseNumber.parse(CASE_C).key})
    assert restored.sign_in("judge12", PASSWORD)[1].role == "judge"
    assert cli(["users", "backup", str(copy)]) != 0  # never over an earlier backup
