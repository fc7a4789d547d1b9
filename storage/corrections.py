"""Clerks' corrections of document types, sealed in the store beside the case.

A correction is a new object, never an edit: who changed which document from
what to what, and when, stays on record, and training reads them all back.
"""

from __future__ import annotations

import json
from typing import Any

from edossier.casenumber import CaseNumber
from edossier.storage.layout import CASES, correction_key
from edossier.storage.store import Store


def put_correction(store: Store, case: CaseNumber, stamp: str, record: dict[str, Any]) -> str:
    key = correction_key(case, stamp, str(record["source_sha256"]))
    store.put_bytes(key, json.dumps(record, ensure_ascii=False, indent=1).encode())
    return key


def list_corrections(store: Store, case: CaseNumber | None = None) -> list[dict[str, Any]]:
    """Every correction record (of one case, or of all), oldest first per case."""
    prefix = f"{CASES}/{case.key}/" if case is not None else f"{CASES}/"
    return [json.loads(store.get_bytes(key)) for key in store.list(prefix) if "/corrections/" in key]
