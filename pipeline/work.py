"""The work area: a content hash in, a local file out, from this machine's work folder or else the store.

Page and source records name their bytes by SHA-256 only, never by a path on
the machine that read them, so a record means the same on every machine and in
every manifest.  Whoever needs the bytes asks the work area: the work folder
already holds what this machine read itself (``ingest`` names page images
``pages/<sha256>.png``); what another machine read is fetched once from the
store, where intake sealed it, and kept in the work folder from then on.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from edossier.casenumber import CaseNumber
from edossier.ingest.active_content import sanitize_pdf
from edossier.storage import Store, layout
from edossier.types import Page, SourceFile, sha256_unchanged_file


@dataclass(frozen=True)
class WorkArea:
    """ROOT is this machine's work folder; STORE holds what intake sealed for CASE."""

    root: Path
    store: Store
    case: CaseNumber

    def image(self, sha256: str) -> Path:
        """A page image (kept or recognition) by its hash."""
        local = self.root / "pages" / f"{sha256}.png"
        if not local.exists():
            self._fetch(layout.page_key(self.case, sha256), local)
        return local

    def original(self, source: SourceFile) -> Path:
        """The original file as handed over, by its hash (the path in SOURCE is where it was read, maybe elsewhere)."""
        local = self.root / "originals" / f"{source.sha256}{source.path.suffix.lower()}"
        if local.exists():
            return local
        if source.path.is_file() and source.path.stat().st_size == source.size and sha256_unchanged_file(source.path) == source.sha256:
            return source.path  # read on this machine (or the same archive mounted here): the very bytes
        if not local.exists():
            self._fetch(layout.original_key(self.case, source.sha256, source.path.suffix), local)
        return local

    def born_digital_pdf(self, source: SourceFile) -> Path:
        """The PDF a born-digital page is bound from: the original without active content, as intake read it.

        An OFD or Word original was converted to PDF at intake; that PDF is sealed
        beside the original (role ``converted``) and found here by the original's hash.
        """
        sanitized = self.root / "sanitized" / f"{source.sha256}.pdf"
        if sanitized.exists():
            return sanitized
        if source.media_type != "application/pdf":
            converted = self.root / "converted" / f"{source.sha256}.pdf"
            if not converted.exists():
                self._fetch(layout.original_key(self.case, source.sha256, ".pdf"), converted)
            return converted
        original = self.original(source)
        sanitize_pdf(original, sanitized)  # written only when something had to be removed
        return sanitized if sanitized.exists() else original

    def local(self, page: Page, source: SourceFile) -> Page:
        """PAGE with paths to local copies of its bytes, for the steps that read them (OCR, binding)."""
        if page.kind == "raster":
            recognition = page.recognition_sha256 or page.sha256
            return page.model_copy(update={"image": self.image(page.sha256),
                                           "recognition_image": self.image(recognition)})
        return page.model_copy(update={"pdf": self.born_digital_pdf(source)})

    def _fetch(self, key: str, local: Path) -> None:
        local.parent.mkdir(parents=True, exist_ok=True)
        part = local.with_name(f".{local.name}.{os.getpid()}-{threading.get_ident()}.part")  # threads fetch at once
        self.store.get_file(key, part)
        part.replace(local)


def identity(page: Page) -> Page:
    """PAGE as recorded (batch state, manifest): its hashes, no path of the machine that read it."""
    return page.model_copy(update={"image": None, "recognition_image": None, "pdf": None})
