"""Online submissions: does a 3,000-page blank upload delay another court's one-page filing?

Each run is a fresh data directory and server (the FastAPI app in this process,
real pipeline, signing and file store).  The one-page filing (a born-digital
民事起诉状) is timed from "received" to "accepted" twice: alone (the peer), and
sent right after a 367 KB PDF of 3,000 blank pages (which the queue holds for
review).  Also timed: the blank upload's HTTP answer (receiving, counting pages,
queuing durably) and how long after it was received it was found blank.
Median, min and max of RUNS runs; writes bench/results/submissions.json.

    python -m bench.submissions [RUNS]
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import pymupdf
from fastapi.testclient import TestClient

from bench.pagegen import text_pdf
from bench.machine import machine
from edossier.config import load_settings
from edossier.web.accounts import open_accounts
from edossier.web.app import create_app

PASSWORD = "bench-password-123"
COMPLAINT = "民事起诉状\n原告：张三。\n被告：李四。\n诉讼请求：判令被告归还借款本金人民币伍万元整。"


def _client(app: TestClient, user: str) -> TestClient:
    client = TestClient(app.app)
    me = client.post("/api/session", json={"user": user, "password": PASSWORD}).json()
    client.headers["X-CSRF-Token"] = me["csrf"]
    return client


def _wait(client: TestClient, job_id: str) -> dict:  # type: ignore[type-arg]
    while (job := client.get(f"/api/submissions/{job_id}").json())["state"] in ("queued", "checking", "running"):
        time.sleep(0.05)
    return job


def one_run(root: Path, with_blank: bool) -> dict[str, float]:
    settings = load_settings(data_dir=root / "data", user="clerk1")
    accounts = open_accounts(settings)
    for name in ("clerk1", "clerk2"):
        accounts.add(name, "clerk", "initial-pass-123")
        accounts.change_password(name, "initial-pass-123", PASSWORD)
    accounts.close()
    doc = pymupdf.open()
    for _ in range(3000):
        doc.new_page(width=595, height=842)
    blank = doc.tobytes(garbage=3, deflate=True)
    small = text_pdf(root / "complaint.pdf", [COMPLAINT]).read_bytes()
    result: dict[str, float] = {}
    with TestClient(create_app(settings)) as app:
        clerk1, clerk2 = _client(app, "clerk1"), _client(app, "clerk2")
        if with_blank:
            started = time.perf_counter()
            held = clerk1.post(f"/api/cases/{quote('（2024）浙0102民初2001号')}/submissions",
                               files={"files": ("blank.pdf", blank)}).json()
            result["blank_upload_answer_s"] = time.perf_counter() - started
        filed = clerk2.post(f"/api/cases/{quote('（2024）京0105民初3002号')}/submissions",
                            files={"files": ("起诉状.pdf", small)}, data={"doc_type": "起诉状"}).json()
        filed = _wait(clerk2, filed["id"])
        assert filed["state"] == "accepted", filed
        result["one_page_filing_s"] = filed["finished"] - filed["created"]
        if with_blank:
            held = _wait(clerk1, held["id"])
            assert held["state"] == "held", held
            result["blank_found_after_s"] = held["checked_at"] - held["created"]
    return result


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        for with_blank in (False, True):
            with tempfile.TemporaryDirectory(prefix="bench-submissions-") as tmp:
                for key, value in one_run(Path(tmp), with_blank).items():
                    name = key if with_blank or key != "one_page_filing_s" else "one_page_filing_alone_s"
                    samples.setdefault(name, []).append(value)
    report: dict[str, object] = {"machine": machine(), "runs": runs}
    for name, values in samples.items():
        report[name] = {"median": round(statistics.median(values), 3), "min": round(min(values), 3),
                        "max": round(max(values), 3)}
    report["filing_beside_blank_vs_alone"] = round(
        statistics.median(samples["one_page_filing_s"]) / statistics.median(samples["one_page_filing_alone_s"]), 2)
    out = Path(__file__).parent / "results" / "submissions.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
