"""The archival handover package (移交包): a BagIt bag with the case, its metadata and the 四性检测 report.

The payload is what ``export-bag`` writes (every published version's
manifest and objects: the dossier PDFs, originals, page images, OCR) plus an
``archive/`` folder: the archival metadata as JSON, the 四性检测 report as
JSON and HTML, and the case's excerpt of the audit trail.  The archival
metadata is also written into bag-info.txt under the names docs/archive.md
maps, so an archive's intake tools read it without opening the payload.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import bagit

from edossier.casenumber import CaseNumber
from edossier.storage.audit import AuditLog
from edossier.storage.bag import export_bag
from edossier.storage.store import Store

METADATA_FILE = "archive/metadata.json"
REPORT_JSON = "archive/four-properties-report.json"
REPORT_HTML = "archive/four-properties-report.html"
AUDIT_FILE = "archive/audit-excerpt.json"


@dataclass(frozen=True)
class ArchivalMetadata:
    """The archival description of one case file (docs/archive.md has the mapping to bag-info.txt)."""

    fonds: str
    """全宗号: the court archive's fonds number."""
    archival_code: str
    """档号: fonds-year-retention-case number, the item's shelf mark."""
    year: str
    """年度: the year in the case number."""
    retention: str
    """保管期限"""
    classification: str
    """密级"""
    items: int
    """件数: documents in the dossier."""
    pages: int
    """页数: pages of every volume, cover and catalogue included."""
    access: str
    """the access rules recorded with the package."""
    case: str
    archived_by: str
    archived_at: str

    def bag_info(self) -> dict[str, str]:
        return {
            "Archival-Fonds": self.fonds,
            "Archival-Code": self.archival_code,
            "Archival-Year": self.year,
            "Archival-Retention": self.retention,
            "Archival-Classification": self.classification,
            "Archival-Items": str(self.items),
            "Archival-Pages": str(self.pages),
            "Archival-Access": self.access,
            "Archived-By": self.archived_by,
            "Archived-At": self.archived_at,
        }


def archival_code(fonds: str, case: CaseNumber, retention: str) -> str:
    """档号 as fonds-year-retention-case, e.g. ``J001-2024-永久-（2024）浙0102民初100号``."""
    return "-".join(part for part in (fonds, str(case.year), retention, case.normalized) if part)


def write_handover(
    store: Store,
    case: CaseNumber,
    target: Path,
    metadata: ArchivalMetadata,
    report: Sequence[Mapping[str, object]],
) -> bagit.Bag:
    """Write the validated handover bag for CASE at TARGET (absent or empty)."""
    excerpt = [entry.__dict__ for entry in AuditLog(store).entries() if entry.case == case.normalized]
    extra = {
        METADATA_FILE: _json(asdict(metadata)),
        REPORT_JSON: _json({"case": case.normalized, "passed": report_passed(report), "items": list(report)}),
        REPORT_HTML: render_report_html(case.normalized, report).encode(),
        AUDIT_FILE: _json(excerpt),
    }
    return export_bag(store, case, target, extra_files=extra, extra_info=metadata.bag_info())


def report_passed(report: Sequence[Mapping[str, object]]) -> bool:
    return bool(report) and all(bool(item["passed"]) for item in report)


def write_report(target: Path, case: str, report: Sequence[Mapping[str, object]]) -> list[Path]:
    """The report alone (JSON and HTML) in TARGET: what the archivist reads when a check failed."""
    target.mkdir(parents=True, exist_ok=True)
    json_path, html_path = target / Path(REPORT_JSON).name, target / Path(REPORT_HTML).name
    json_path.write_bytes(_json({"case": case, "passed": report_passed(report), "items": list(report)}))
    html_path.write_text(render_report_html(case, report), "utf-8")
    return [json_path, html_path]


def render_report_html(case: str, report: Sequence[Mapping[str, object]]) -> str:
    rows = "\n".join(
        "<tr class='{cls}'><td>{prop}</td><td>{vol}</td><td>{item}</td><td>{result}</td><td>{detail}</td></tr>".format(
            cls="pass" if item["passed"] else "fail",
            prop=html.escape(f"{item.get('property_zh', '')} {item['property']}"),
            vol=html.escape(str(item.get("volume", ""))),
            item=html.escape(str(item["item"])),
            result="通过" if item["passed"] else "不通过",
            detail=html.escape(str(item["detail"])),
        )
        for item in report
    )
    verdict = "通过" if report_passed(report) else "不通过"
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>四性检测报告 {html.escape(case)}</title>
<style>body{{font-family:sans-serif}} table{{border-collapse:collapse}} td,th{{border:1px solid #999;padding:4px}}
tr.fail{{background:#fdd}} tr.pass{{background:#efe}}</style></head>
<body><h1>四性检测报告</h1><p>案号：{html.escape(case)}　结论：{verdict}</p>
<table><tr><th>性质</th><th>卷</th><th>检测项</th><th>结果</th><th>说明</th></tr>
{rows}
</table></body></html>
"""


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1, default=str).encode()
