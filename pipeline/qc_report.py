"""The clerk's QC summary after a batch: counts, documents, flags, thumbnails of flagged pages.

One self-contained HTML file (thumbnails inlined), so it opens from the work
folder in any browser with nothing fetched from anywhere.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Collection, Mapping, Sequence
from io import BytesIO
from pathlib import Path

from PIL import Image

from edossier.casenumber import CaseNumber
from edossier.ingest.batch_split import BatchSplit, Flag, PageCheck
from edossier.storage import Store
from edossier.storage.manifest import read_manifest
from edossier.types import UNREAD, DossierVersion

THUMB_PX = 240


def write_qc_report(
    target: Path,
    case: str,
    device: str,
    split: BatchSplit,
    outcome: str,
    version: int | None = None,
    unread: Collection[int] = (),
) -> Path:
    """The report; UNREAD are batch page numbers with ink on which no way of reading found text
    (``unread_pages``): flagged 待复核 with their thumbnails, as the split's own flags are."""
    flags = list(split.flags) + [
        Flag("unread_page", f"page {n}: ink but no text could be read (待复核), check the scan", n) for n in sorted(unread)
    ]
    flagged = {f.page for f in flags if f.page is not None}
    pages = {c.number: c for d in split.documents for c in d.pages} | {c.number: c for c in split.left_out}
    rows = []
    for index, doc in enumerate(split.documents, 1):
        kind = doc.cover.type if doc.cover else "(no cover sheet)"
        title = doc.cover.title or "" if doc.cover else ""
        span = f"{doc.pages[0].number}-{doc.pages[-1].number}"
        rows.append(
            f"<tr><td>{index}</td><td>{_e(kind)}</td><td>{_e(title)}</td><td>{span}</td>"
            f"<td>{len(doc.pages)}</td><td>{len(doc.flags)}</td></tr>"
        )
    listed = "".join(f"<li class='{_e(f.kind)}'>{_e(f.message)}</li>" for f in flags) or "<li>none</li>"
    thumbs = "".join(_thumb(pages[n]) for n in sorted(flagged) if n in pages)
    status = f"{outcome} as version {version}" if version else outcome
    body = f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>QC {_e(case)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #999;padding:.3em .6em}}figure{{display:inline-block;margin:.5em}}
figcaption{{font-size:.85em}}.summary b{{font-size:1.3em}}</style></head><body>
<h1>扫描质检 Scan QC: {_e(case)}</h1>
<p class="summary">device {_e(device)} · <b>{split.pages_received}</b> pages received ·
<b>{len(split.documents)}</b> documents · <b>{len(flags)}</b> flags ·
{len(split.left_out)} separator pages not bound · {_e(status)}</p>
<h2>Documents</h2>
<table><tr><th>#</th><th>type</th><th>title</th><th>batch pages</th><th>pages</th><th>flags</th></tr>
{''.join(rows)}</table>
<h2>Flags</h2><ul>{listed}</ul>
<h2>Flagged pages</h2>{thumbs or '<p>none</p>'}
</body></html>
"""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")
    return target


def unread_pages(store: Store, versions: Sequence[DossierVersion], sources: Mapping[str, Sequence[PageCheck]]) -> list[int]:
    """Batch page numbers whose OCR found no text by any way (``OcrPage.unread``), from the published manifests.

    SOURCES maps each document file the batch was filed as (by SHA-256) to its
    batch pages, in file order: a manifest's page records carry their index in
    that file.  Read from what was published, so the report says what the
    dossier holds, whichever runner OCRed the pages.
    """
    unread = set()
    for version in versions:
        manifest = read_manifest(store, CaseNumber.parse(version.case), version.version)
        for document in manifest.documents:
            checks = sources.get(document["source_sha256"])
            if checks is None:
                continue
            for page, ocr in zip(document["pages"], document.get("ocr") or (), strict=False):
                if ocr is not None and ocr.get("read_by") == UNREAD:
                    unread.add(checks[page["index"]].number)
    return sorted(unread)


def _thumb(check: PageCheck) -> str:
    with Image.open(check.image) as image:
        image.thumbnail((THUMB_PX, THUMB_PX * 2))
        buffer = BytesIO()
        image.convert("RGB").save(buffer, format="JPEG", quality=70)
    data = base64.b64encode(buffer.getvalue()).decode()
    return (
        f"<figure><img alt='page {check.number}' src='data:image/jpeg;base64,{data}'>"
        f"<figcaption>page {check.number}</figcaption></figure>"
    )


def _e(text: object) -> str:
    return html.escape(str(text))
