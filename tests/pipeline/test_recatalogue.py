"""``edossier catalogue``: a clerk's corrections of a real processed stack, each a new signed version.

The stack is the one ``test_split.py`` cuts: three held-out corpus documents
laid out as printed papers (bench/stacks.py), made to look scanned, read by
the real pipeline (``process --split auto``, RapidOCR).  A document is split in
two, merged back and retyped through the real CLI; every version must pass
``edossier verify --case``, keep every earlier version's bytes, be audited with
the user, the action and the documents, and leave training data that
``train-classifier`` and the boundary model's training read.
"""

from __future__ import annotations

import json
from pathlib import Path

import pymupdf
import pytest

from bench.catalogue import scanned_pdf
from bench.stacks import build_stack, random_stacks, read_corpus_docs
from edossier.classify.boundary_training import train_boundary_model
from edossier.casenumber import CaseNumber
from edossier.config import load_settings
from edossier.pipeline.batch.sqlite_broker import consumer_owner
from edossier.pipeline.recatalogue import boundary_samples
from edossier.storage import open_store
from edossier.storage.audit import AuditLog
from edossier.storage.corrections import list_corrections
from edossier.storage.manifest import read_manifest
from tests.classify.conftest import MINI_CORPUS
from tests.edossier_cli import run

pytestmark = pytest.mark.timeout(1500)  # OCR of a five-page stack, then four signed versions through the CLI

DATA = Path(__file__).resolve().parents[1] / "data" / "catalogue"
NAMES = ("docs/判决书/wenshu_pj_a01af9fd.txt", "docs/申请书/td_xinshiws20_example.txt", "docs/裁定书/td_mscaijue21.txt")
CASE = "（2024）浙0102民初311号"
CLERK = "clerk-zhou"


def catalogue(data: Path, *args: str, check: bool = True) -> dict:  # type: ignore[type-arg]
    result = run(["catalogue", CASE, *args, "--json"], data, check=check, USER=CLERK)
    return json.loads(result.stdout) if result.returncode == 0 else {"returncode": result.returncode,
                                                                      "stderr": result.stderr}


def verified(data: Path) -> dict:  # type: ignore[type-arg]
    result = run(["verify", "--case", CASE, "--json"], data)
    report = json.loads(result.stdout)
    assert result.returncode == 0 and report["valid"], report["problems"]
    return report


def bookmarks(data: Path, version: int) -> list[str]:
    """The document bookmarks of the version's 正卷, as a PDF reader shows them."""
    settings = load_settings(data_dir=data)
    store = open_store(settings.store_uri, settings.storage)
    manifest = read_manifest(store, CaseNumber.parse(CASE), version)
    key = next(o.key for o in manifest.objects if o.role == "dossier")
    with pymupdf.open(stream=store.get_bytes(key), filetype="pdf") as pdf:
        return [title for level, title, _ in pdf.get_toc() if level == 2 and title[0].isdigit()]


def test_split_merge_and_retype_are_signed_versions(tmp_path: Path) -> None:
    docs = {d.name: d for d in read_corpus_docs(DATA)}
    stack = build_stack([docs[n] for n in NAMES], seed=21, footer="none", stamped=False, catalogue=False,
                        blank_rate=0.0)
    pdf = scanned_pdf(stack, tmp_path / "stack.pdf", seed=21)
    data = tmp_path / "data"
    run(["process", str(pdf), "--case", CASE, "--split", "auto", "--json"], data, check=True)

    listed = catalogue(data)
    count = len(listed["documents"])
    assert listed["version"] == 1 and count >= 2  # the stack's documents, as cataloguing found them
    assert all(d["boundary_confidence"] is not None for d in listed["documents"])
    assert all(d["needs_review"] for d in listed["documents"] if d["boundary_confidence"] < listed["review_below"])
    long = next(d for d in listed["documents"] if d["last_page"] > d["first_page"])
    n, first, last = long["number"], long["first_page"], long["last_page"]

    # a page that is no document's inside is refused, and nothing is published
    refused = catalogue(data, "--split-at", f"{n}:{first}", check=False)
    assert refused["returncode"] == 2 and "cannot split" in refused["stderr"]
    assert catalogue(data, "--merge", f"{count},{count + 1}", check=False)["returncode"] == 2
    assert catalogue(data)["version"] == 1

    # split: the long document becomes two, on the same sealed pages
    split = catalogue(data, "--split-at", f"{n}:{first + 1}")
    assert (split["version"], split["corrected"], split["action"]) == (2, [n, n + 1], "split")
    after = catalogue(data)["documents"]
    assert len(after) == count + 1
    head, tail = after[n - 1], after[n]
    assert (head["first_page"], head["last_page"], tail["first_page"], tail["last_page"]) == (first, first, first + 1,
                                                                                              last)
    assert head["title"] == long["title"] and head["boundary_confidence"] == tail["boundary_confidence"] == 1.0
    assert head["source_pages"] + tail["source_pages"] == long["source_pages"]
    assert [d["source_pages"] for d in after if d["number"] not in (n, n + 1)] == \
        [d["source_pages"] for d in listed["documents"] if d["number"] != n]
    marks = bookmarks(data, 2)
    assert len(marks) == len(after) and marks[n - 1].startswith(f"{n}. {head['title']}")
    assert marks[n].startswith(f"{n + 1}. {tail['title']}")
    report = verified(data)
    assert report["versions"] == [1, 2] and len(report["volumes"]["dossier"]["signatures"]) == 2

    # merge them back: the catalogue is the first version's again
    merged = catalogue(data, "--merge", f"{n},{n + 1}")
    assert (merged["version"], merged["corrected"], merged["action"]) == (3, [n], "merge")
    again = catalogue(data)["documents"]
    assert [(d["first_page"], d["last_page"], d["title"]) for d in again] == \
        [(d["first_page"], d["last_page"], d["title"]) for d in listed["documents"]]
    assert len(bookmarks(data, 3)) == len(again)
    verified(data)

    # retype (and retitle) a document: the type a clerk sets is training data for the classifier
    other = next(d for d in again if d["number"] != n)
    new_type = "答辩状" if other["type"] != "答辩状" else "申请书"
    retyped = run(["catalogue", CASE, "--retitle", str(other["number"]), "更正后的题名", "--type", new_type, "--json"],
                  data, check=True, USER=CLERK)
    assert json.loads(retyped.stdout)["version"] == 4
    fixed = catalogue(data)["documents"][other["number"] - 1]
    assert (fixed["title"], fixed["type"], fixed["confidence"]) == ("更正后的题名", new_type, 1.0)
    report = verified(data)
    assert report["versions"] == [1, 2, 3, 4] and len(report["volumes"]["dossier"]["signatures"]) == 4

    settings = load_settings(data_dir=data)
    store = open_store(settings.store_uri, settings.storage)
    acts = [e for e in AuditLog(store).entries() if e.action == "recatalogue"]
    assert [(a.user, a.detail["action"], a.detail["version"]) for a in acts] == \
        [(CLERK, "split", 2), (CLERK, "merge", 3), (CLERK, "retitle", 4)]
    assert acts[0].detail["documents"] == [head["title"], tail["title"]] and acts[0].detail["page"] == first + 1
    assert acts[2].detail["old_type"] == other["type"] and acts[2].detail["type"] == new_type

    records = list_corrections(store, CaseNumber.parse(CASE))
    assert [r["action"] for r in records] == ["split", "merge", "retitle"]
    samples = boundary_samples(store)
    assert [(len(pages), starts) for pages, starts in samples] == [(last - first + 1, {1}), (last - first + 1, set())]
    assert all(page.lines for pages, _ in samples for page in pages)  # the OCR lines the boundary model reads
    laid_out = [(s.ocr(), s.starts) for s in random_stacks(list(docs.values()), 12, seed=3, sizes=(2, 4))]
    model = train_boundary_model([*laid_out, *samples], seed=1)
    assert model.meta["stacks"] == len(laid_out) + 2  # the clerk's two stacks are trained on

    out = tmp_path / "models"
    trained = run(["train-classifier", str(MINI_CORPUS), "-o", str(out), "--json"], data, check=True)
    assert json.loads(trained.stdout)["examples"]["correction"] == 1


def test_a_paper_moves_to_the_secondary_volume_and_back(tmp_path: Path) -> None:
    """A scanned 评议笔录 filed as 其他 lands in the 正卷; the clerk moves it to the 副卷 (the 正卷 is bound anew
    without it, from the stored page images) and back again (added to the 正卷, kept and marked in the 副卷)."""
    from bench.pagegen import text_pdf
    from tests.web.web_dossiers import COMPLAINT, DELIBERATION

    data = tmp_path / "data"
    complaint = text_pdf(tmp_path / "complaint.pdf", COMPLAINT)
    scan = tmp_path / "deliberation.png"
    with pymupdf.open(text_pdf(tmp_path / "deliberation.pdf", DELIBERATION)) as pdf:
        pdf[0].get_pixmap(dpi=200).save(scan)
    run(["process", str(complaint), "--case", CASE, "--type", "起诉状"], data, check=True, USER=CLERK)
    run(["process", str(scan), "--case", CASE, "--type", "其他", "--split", "none"], data, check=True, USER=CLERK)
    before = catalogue(data)["documents"]
    assert [d["volume"] for d in before] == ["main", "main"]
    main_pages = before[1]["last_page"]

    moved = catalogue(data, "--move", "2")
    assert (moved["version"], moved["from"], moved["to"]) == (3, "main", "secondary")
    after = catalogue(data)["documents"]
    assert [(d["volume"], d["title"]) for d in after] == [("main", before[0]["title"]), ("secondary", before[1]["title"])]
    assert after[0]["first_page"] == before[0]["first_page"] and after[0]["last_page"] == before[0]["last_page"]
    settings = load_settings(data_dir=data)
    store = open_store(settings.store_uri, settings.storage)
    manifest = read_manifest(store, CaseNumber.parse(CASE), 3)
    assert manifest.provenance["rebound"]["main"]["withheld_from_parties"] == [2]  # version 1 never held it
    assert manifest.provenance["volume_pages"]["main"] < main_pages  # bound anew: no page of the 评议笔录
    verified(data)

    back = catalogue(data, "--move", "2")
    assert (back["version"], back["from"], back["to"]) == (4, "secondary", "main")
    final = catalogue(data)["documents"]
    assert [(d["volume"], d["moved_to"]) for d in final] == [("main", None), ("main", None), ("secondary", "main")]
    assert catalogue(data, "--move", "3", check=False)["returncode"] == 2  # a row kept as a record stays
    report = verified(data)
    assert report["versions"] == [1, 2, 3, 4]
    acts = [e.detail for e in AuditLog(store).entries() if e.action == "recatalogue"]
    assert [(a["from"], a["to"], a["version"]) for a in acts] == [("main", "secondary", 3), ("secondary", "main", 4)]


def test_a_correction_at_a_terminal_waits_its_turn_with_the_readers_submissions(tmp_path: Path) -> None:
    """``edossier catalogue`` takes the reader's case hold in the submission queue of its data folder: refused (one
    line, the reader's sentence, exit 13, no version) while a submission of the case is being processed or another
    correction holds the case; made once the job is done; the hold is let go after every outcome.  Without a queue
    (no server ever ran there) nothing is created and the correction is made as before."""
    from bench.pagegen import text_pdf
    from edossier.web.accounts import accounts_path
    from edossier.web.submission_queue import SMALL, Job, JobQueue, new_owner
    from tests.web.web_dossiers import COMPLAINT

    data = tmp_path / "data"
    run(["process", str(text_pdf(tmp_path / "complaint.pdf", COMPLAINT)), "--case", CASE, "--type", "起诉状"], data,
        check=True, USER=CLERK)
    settings = load_settings(data_dir=data)
    assert catalogue(data, "--retitle", "1", "民事起诉状（更正）")["version"] == 2
    assert not accounts_path(settings).exists()  # no queue: none is made

    queue = JobQueue(accounts_path(settings))  # the reader's queue, as a server leaves it
    worker = new_owner(consumer_owner())
    queue.admit(Job("job-1", "lawyer-wang", CaseNumber.parse(CASE).normalized, None, ["a.pdf"], [], 1, 1000, SMALL),
                settings.web)
    assert queue.claim(SMALL, worker) is not None and queue.passed_check("job-1", worker)  # being processed

    def holds() -> list[tuple[str, ...]]:
        return queue.db.execute("SELECT case_no FROM case_holds").fetchall()

    refused = catalogue(data, "--retitle", "1", "起诉状", check=False)
    assert refused["returncode"] == 13
    assert refused["stderr"].strip().splitlines() == [
        f"edossier: error: case {CaseNumber.parse(CASE).normalized}: a submission of the case is being processed; "
        "本案有新提交的材料正在收入卷宗，请稍候打开最新版本后再更正"]
    assert catalogue(data)["version"] == 2 and holds() == []

    other = new_owner(consumer_owner())  # a clerk correcting in the reader meanwhile
    assert queue.hold_case(CaseNumber.parse(CASE).normalized, other, "correction", 60) == "running"
    assert queue.finish("job-1", worker, "accepted", version=2)  # the job is processed
    queue.audited("job-1")
    assert queue.hold_case(CaseNumber.parse(CASE).normalized, other, "correction", 60) is None
    held = catalogue(data, "--retitle", "1", "起诉状", check=False)
    assert held["returncode"] == 13 and "本案的编目正在由他人更正，请稍候打开最新版本后再更正" in held["stderr"]
    queue.release_case(CaseNumber.parse(CASE).normalized, other)

    assert catalogue(data, "--merge", "1,2", check=False)["returncode"] == 2  # refused by the correction itself
    assert holds() == []
    assert catalogue(data, "--retitle", "1", "起诉状")["version"] == 3
    assert holds() == [] and catalogue(data)["documents"][0]["title"] == "起诉状"
    assert verified(data)["versions"] == [1, 2, 3]
