"""Full-text search over the page texts of stored dossiers: SQLite FTS5, trigram tokens.

Chinese is written without spaces, so the index uses FTS5's trigram tokenizer
(every run of three characters is a token): a phrase of three or more characters
is found anywhere without word segmentation; shorter ones fall back to a LIKE scan
of the same table.  Text is folded (NFKC, lower case, whitespace removed) on both
sides, so OCR spacing between Chinese characters and full-width forms do not hide
a hit.  The index holds the latest version of each case, one row per page of each
volume it shows (sealed volumes kept beside later ones too), numbered as printed in that
volume's PDF; it is derived data and can be dropped and rebuilt from the store at any time.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from edossier.casenumber import CaseNumber
from edossier.storage.manifest import list_cases, latest_version, read_manifest
from edossier.storage.store import Store
from edossier.web.volumes import Volume, case_volume, volume_names

_SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS page_text USING fts5(
    text, case_key UNINDEXED, version UNINDEXED, volume UNINDEXED, name UNINDEXED, label UNINDEXED,
    page UNINDEXED, document UNINDEXED, title UNINDEXED, tokenize='trigram');
CREATE TABLE IF NOT EXISTS indexed (case_key TEXT PRIMARY KEY, version INTEGER NOT NULL);
"""
_SNIPPET = 24
_NUMBERING = 3
"""Bumped when what a row means changes; an index of another numbering is made anew and rebuilt.
2: the page in the volume PDF, as printed on it (1 counted the documents' pages only).
3: rows of sealed volumes kept beside later ones; ``volume`` is the reader's name of the volume
(``main-v2``), ``name`` the volume it stands for (who may read it), ``label`` what the judge reads."""


def fold(text: str) -> str:
    """The searchable form of TEXT: NFKC, lower case, no whitespace."""
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


@dataclass(frozen=True)
class Hit:
    case: str
    version: int
    volume: str
    volume_name: str
    page: int
    document: int
    title: str
    snippet: str


class SearchIndex:
    def __init__(self, path: Path, store: Store, sync_interval_s: float = 5.0) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.store = store
        self.sync_interval_s = sync_interval_s
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._last_sync = -sync_interval_s
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        if self._db.execute("PRAGMA user_version").fetchone()[0] != _NUMBERING:
            with self._lock:
                self._db.execute("DROP TABLE IF EXISTS page_text")
                self._db.execute("DROP TABLE IF EXISTS indexed")
                self._db.execute(f"PRAGMA user_version={_NUMBERING}")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def rebuild(self) -> int:
        """Drop everything and index every case in the store again; the number of pages indexed."""
        with self._lock:
            self._db.execute("DELETE FROM page_text")
            self._db.execute("DELETE FROM indexed")
        self.sync(force=True)
        return int(self._db.execute("SELECT count(*) FROM page_text").fetchone()[0])

    def sync(self, force: bool = False) -> list[str]:
        """Index the latest version of any case that moved since the last look; the cases updated.

        Versions are published by whoever runs the pipeline (this server, the CLI, a
        worker), so the index catches up by comparing with the store, at most once
        per interval unless forced.
        """
        with self._sync_lock:  # a search waits for a sync in progress rather than miss its cases
            now = time.monotonic()
            if not force and now - self._last_sync < self.sync_interval_s:
                return []
            known = dict(self._db.execute("SELECT case_key, version FROM indexed").fetchall())
            updated = []
            for key in list_cases(self.store):
                case = CaseNumber.parse(key)
                if known.get(key) != latest_version(self.store, case):
                    self.index_case(case)
                    updated.append(key)
            self._last_sync = time.monotonic()
            return updated

    def index_case(self, case: CaseNumber) -> int:
        """Replace CASE's rows with its latest version's pages; the version indexed."""
        manifest = read_manifest(self.store, case)
        volumes = [case_volume(self.store, manifest, name) for name in volume_names(manifest)]
        rows = [row for volume in volumes for row in _rows(volume)]
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.execute("DELETE FROM page_text WHERE case_key=?", (case.key,))
                self._db.executemany(
                    "INSERT INTO page_text(text, case_key, version, volume, name, label, page, document, title) "
                    "VALUES (?,?,?,?,?,?,?,?,?)",
                    rows,
                )
                self._db.execute("INSERT OR REPLACE INTO indexed VALUES (?,?)", (case.key, manifest.version))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return manifest.version

    def search(
        self, query: str, cases: Iterable[str] | None, names: Iterable[str], limit: int = 200
    ) -> list[Hit]:
        """Pages matching QUERY within CASES (None = every case) and volumes NAMES (main, secondary), in page order.

        A sealed volume kept beside later ones is searched with the volume it stands for.
        """
        needle = fold(query)
        if not needle:
            return []
        volume_list = list(names)
        where = [f"name IN ({','.join('?' * len(volume_list))})"]
        params: list[object] = list(volume_list)
        if cases is not None:
            case_list = list(cases)
            if not case_list:
                return []
            where.append(f"case_key IN ({','.join('?' * len(case_list))})")
            params.extend(case_list)
        if len(needle) >= 3:
            match = "page_text MATCH ?"
            params.insert(0, '"' + needle.replace('"', '""') + '"')
        else:
            match = "text LIKE ? ESCAPE '\\'"
            params.insert(0, "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        sql = (
            f"SELECT case_key, version, volume, label, page, document, title, text FROM page_text "
            f"WHERE {match} AND {' AND '.join(where)} ORDER BY case_key, volume, page LIMIT ?"
        )
        params.append(limit)
        rows = self._db.execute(sql, params).fetchall()
        return [
            Hit(case=c, version=v, volume=vol, volume_name=label, page=p, document=d, title=t,
                snippet=_snippet(text, needle))
            for c, v, vol, label, p, d, t, text in rows
        ]


def _rows(volume: Volume) -> list[tuple[object, ...]]:
    return [
        (fold(p.text), volume.case, volume.version, volume.id, volume.name, volume.label, p.page, p.document,
         volume.documents[p.document].title)
        for p in volume.pages
    ]


def _snippet(folded: str, needle: str) -> str:
    at = folded.find(needle)
    if at < 0:
        return folded[: 2 * _SNIPPET]
    start = max(0, at - _SNIPPET)
    end = at + len(needle) + _SNIPPET
    return ("…" if start else "") + folded[start:end] + ("…" if end < len(folded) else "")
