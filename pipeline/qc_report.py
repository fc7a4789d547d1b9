"""The clerk's QC summary after a batch: counts, documents, flags, thumbnails of flagged pages.

One self-contained HTML file (thumbnails inlined), so it opens from the work
folder in any browser with nothing fetched from anywhere.
"""

from __future__ import annotations

import base64
import html
from io import BytesIO
from pathlib import Path

from PIL import Image

from edossier.ingest.batch_split import BatchSplit, PageCheck

THUMB_PX = 240


def write_qc_report(
    target: Path, case: str, device: str, split: BatchSplit, outcome: str, version: int | None = None
) -> Path:
    flagged = {f.page for f in split.flags if f.page is not None}
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
    flags = "".join(f"<li class='{_e(f.kind)}'>{_e(f.message)}</li>" for f in split.flags) or "<li>none</li>"
    thumbs = "".join(_thumb(pages[n]) for n in sorted(flagged) if n in pages)
    status = f"{outcome} as version {version}" if version else outcome
    body = f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>QC {_e(case)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #999;padding:.3em .6em}}figure{{display:inline-block;margin:.5em}}
figcaption{{font-size:.85em}}.summary b{{font-size:1.3em}}</style></head><body>
<h1>扫描质检 Scan QC: {_e(case)}</h1>
<p class="summary">device {_e(device)} · <b>{split.pages_received}</b> pages received ·
<b>{len(split.documents)}</b> documents · <b>{len(split.flags)}</b> flags ·
{len(split.left_out)} separator pages not bound · {_e(status)}</p>
<h2>Documents</h2>
<table><tr><th>#</th><th>type</th><th>title</th><th>batch pages</th><th>pages</th><th>flags</th></tr>
{''.join(rows)}</table>
<h2>Flags</h2><ul>{flags}</ul>
<h2>Flagged pages</h2>{thumbs or '<p>none</p>'}
</body></html>
"""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")
    return target


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
