"""Quarantine: where refused classified originals go, outside the store, with the reason.

The original is copied (the clerk keeps theirs) into ``<data_dir>/quarantine``
under its content hash, beside a JSON note saying who handed it in, when and
why it was refused; nothing of it reaches the store or a dossier.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from edossier.config import Settings
from edossier.types import SourceFile


def quarantine(source: SourceFile, reason: str, settings: Settings) -> Path:
    folder = settings.data_dir / "quarantine"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{source.sha256}{source.path.suffix.lower()}"
    if not target.exists():
        shutil.copyfile(source.path, target)
    note = {
        "original": str(source.path),
        "sha256": source.sha256,
        "reason": reason,
        "user": settings.user,
        "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    target.with_suffix(".json").write_text(json.dumps(note, ensure_ascii=False, indent=1), "utf-8")
    return target
