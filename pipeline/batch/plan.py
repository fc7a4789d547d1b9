"""MAP.csv → which files make which case, in which order, and the batch's identity.

Columns: ``path`` (relative to SOURCE; a file, or a folder whose files are taken
in name order), ``case``, optional ``type`` (declared document type) and
``order`` (a number; rows of a case are taken by it, then as listed).  The batch
id is a hash of SOURCE and the map, so running the same command again names the
same batch and continues it.
"""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from pathlib import Path

from edossier.casenumber import CaseNumber
from edossier.errors import EdossierError, InputFileError
from edossier.ingest.sniff import KNOWN_SUFFIXES
from edossier.pipeline.batch.state import PlannedMaterial

INPUT_SUFFIXES = KNOWN_SUFFIXES


def batch_id(source: Path, case_map: Path) -> str:
    digest = hashlib.sha256(str(source.resolve()).encode() + b"\0" + case_map.read_bytes())
    return digest.hexdigest()[:16]


def read_plan(source: Path, case_map: Path) -> dict[str, list[PlannedMaterial]]:
    """Normalised case number → its materials in binding input order; bad rows stop the batch before it starts."""
    root = source.resolve()
    if not root.is_dir():
        raise InputFileError(source, "is not a folder")
    rows: dict[str, list[tuple[float, int, list[PlannedMaterial]]]] = defaultdict(list)
    with open(case_map, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = {"path", "case"} - set(reader.fieldnames or ())
        if missing:
            raise InputFileError(case_map, f"needs the columns path and case (missing: {', '.join(sorted(missing))})")
        for line, row in enumerate(reader, start=2):
            case = CaseNumber.parse(row["case"].strip()).normalized
            target = (root / row["path"].strip()).resolve()
            if not target.is_relative_to(root) or not target.exists():
                raise InputFileError(case_map, f"line {line}: {row['path']!r} is not inside {source}")
            files = sorted(p for p in target.rglob("*") if p.is_file() and p.suffix.lower() in INPUT_SUFFIXES) \
                if target.is_dir() else [target]
            order_text = (row.get("order") or "").strip()
            try:
                order = float(order_text) if order_text else float("inf")
            except ValueError:
                raise EdossierError(f"{case_map}: line {line}: order {order_text!r} is not a number") from None
            declared = (row.get("type") or "").strip() or None
            materials = [PlannedMaterial(path=f.relative_to(root).as_posix(), declared_type=declared) for f in files]
            rows[case].append((order, line, materials))
    plan = {}
    for case, entries in sorted(rows.items()):
        plan[case] = [m for _, _, materials in sorted(entries, key=lambda e: e[:2]) for m in materials]
        if not plan[case]:
            raise InputFileError(case_map, f"case {case}: no input files")
    return plan
