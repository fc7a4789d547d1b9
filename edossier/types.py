"""The shared vocabulary between stages: sources, pages, OCR text, documents, dossiers.

These are plain, serialisable values (pydantic models) so that the pipeline can
store them as JSON beside the bytes they describe and pass references between
workers.  Identities are content hashes: the same bytes always get the same name,
so a rerun recognises work already done.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Box = tuple[float, float, float, float]
"""x0, y0, x1, y1 in pixels of the page image, origin top-left."""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


_UNCHANGED: OrderedDict[tuple[str, int, int, int, int], str] = OrderedDict()
UNCHANGED_KEPT = 4096
"""Files whose hashes ``sha256_unchanged_file`` keeps, the least recently asked for dropped first: a server's
process reads originals for years."""
_unchanged_lock = threading.Lock()


def sha256_unchanged_file(path: Path) -> str:
    """PATH's SHA-256, hashed once in this process for as long as its inode, size and modification time stay the same.

    An original handed over is hashed at intake, then checked again before its
    signatures are judged and before it is sealed into the store: three passes over
    every byte of it in one run, 0.17 s each for a 260-MB scanned PDF on the 2-core
    EPYC (notes/issue-18.md, session 13).  A file written in between has another
    modification time (or inode, if it was replaced) and is hashed again.  Fixity
    checks, which look for changes that keep those (a disk's bit rot), use
    ``sha256_file``.
    """
    stat = path.stat()
    mark = (str(path.resolve()), stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
    with _unchanged_lock:
        digest = _UNCHANGED.get(mark)
        if digest is not None:
            _UNCHANGED.move_to_end(mark)
            return digest
    digest = sha256_file(path)
    with _unchanged_lock:
        _UNCHANGED[mark] = digest
        while len(_UNCHANGED) > UNCHANGED_KEPT:
            _UNCHANGED.popitem(last=False)
    return digest


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceFile(Frozen):
    """One original as handed over (scan, upload, signed PDF), kept byte for byte."""

    path: Path
    sha256: str
    size: int
    media_type: str
    title: str
    declared_type: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    """what the original says about itself (an OFD e-invoice's fields, its electronic seals)."""


class Correction(Frozen):
    """One change made to a page image, recorded so a judge can see what was done."""

    kind: str
    value: float | str | None = None


class Page(Frozen):
    """One page of a source: either a raster image to OCR or a born-digital PDF page.

    ``image`` is the kept image (colour, geometric corrections only) that is bound;
    ``recognition_image`` is what OCR reads (may equal ``image``).  Paths are where
    this machine has the bytes; records that travel (batch state, manifests) keep
    only the hashes, ``sha256`` and ``recognition_sha256``, and drop the paths.
    """

    source_sha256: str
    index: int
    sha256: str
    kind: Literal["raster", "born_digital"]
    image: Path | None = None
    recognition_image: Path | None = None
    recognition_sha256: str | None = Field(default=None, description="hash of the recognition image; None = sha256")
    pdf: Path | None = Field(default=None, description="original PDF of a born-digital page")
    dpi: float = 300.0
    width_px: int = 0
    height_px: int = 0
    width_pt: float = 595.0
    height_pt: float = 842.0
    text: str = ""
    corrections: tuple[Correction, ...] = ()
    flags: tuple[str, ...] = ()


class OcrLine(Frozen):
    text: str
    box: Box
    confidence: float
    words: tuple[OcrWord, ...] = ()


class OcrWord(Frozen):
    text: str
    box: Box
    confidence: float


UNREAD = "nothing"


class OcrPage(Frozen):
    """What an engine read on one page image, in that image's pixel coordinates."""

    engine: str
    engine_version: str
    width: int
    height: int
    lines: tuple[OcrLine, ...] = ()
    read_by: str = Field(
        default="engine",
        description="which way of reading produced the text: the engine's own ('engine'), a fallback "
        "(ocr/fallback.py), or 'nothing' when a page with ink yielded no text by any way (flagged for review)",
    )

    @property
    def unread(self) -> bool:
        """A page with ink on which every way of reading found nothing: it must be reviewed, not taken as blank."""
        return self.read_by == UNREAD

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def confidence(self) -> float:
        """Mean line confidence weighted by characters; 0 for an empty page."""
        chars = sum(len(line.text) for line in self.lines)
        if not chars:
            return 0.0
        return sum(line.confidence * len(line.text) for line in self.lines) / chars


OcrLine.model_rebuild()


class Classification(Frozen):
    type: str
    confidence: float
    needs_review: bool = False
    method: str = ""
    title: str | None = Field(default=None, description="the title line the type was read from")


class Document(Frozen):
    """A run of pages that is one paper (a complaint, a power of attorney…)."""

    title: str
    source_sha256: str
    pages: tuple[Page, ...]
    classification: Classification
    ocr: tuple[OcrPage | None, ...] = ()
    volume: Literal["main", "secondary"] = "main"
    metadata: dict[str, str] = Field(default_factory=dict)
    """the original's own metadata (``SourceFile.metadata``), kept in the manifest."""
    source_file: str | None = Field(default=None, description="name of the input file the pages came from")
    date: str | None = Field(default=None, description="落款 date (ISO), as read by cataloguing")
    author: str | None = Field(default=None, description="责任者: issuing court or party, as read by cataloguing")
    boundary_confidence: float | None = Field(default=None, description="P(a document starts at its first page)")
    found_confidence: dict[str, float] = Field(default_factory=dict, description="confidence of title, date, author")
    remark: str = ""

    @property
    def source_pages(self) -> tuple[int, ...]:
        """1-based page numbers of these pages in their input file."""
        return tuple(page.index + 1 for page in self.pages)

    @property
    def text(self) -> str:
        parts = []
        for page, ocr in zip(self.pages, self.ocr or (None,) * len(self.pages), strict=True):
            parts.append(ocr.text if ocr is not None else page.text)
        return "\n".join(parts)


class DocumentEntry(Frozen):
    """A document's place in a bound dossier (catalogue row and bookmark)."""

    title: str
    type: str
    confidence: float
    first_page: int
    last_page: int
    needs_review: bool = False
    volume: Literal["main", "secondary"] = "main"
    remark: str = ""
    moved_to: Literal["main", "secondary"] | None = None
    """A clerk moved the paper to that volume (编目更正): the row stays as a record of where its pages were bound,
    in the 副卷, which keeps what left it; a 正卷 is bound anew without what leaves it (pipeline/recatalogue.py)."""


def needs_review(document: Document, entry: DocumentEntry, threshold: float) -> bool:
    """待复核, as the reader and ``edossier catalogue`` mark it: the type is unsure, or cataloguing was
    less sure than THRESHOLD that the document starts where it does."""
    unsure_start = document.boundary_confidence is not None and document.boundary_confidence < threshold
    return entry.needs_review or unsure_start


class DossierVersion(Frozen):
    """A published version of one case's dossier."""

    case: str
    version: int
    pages: int
    documents: tuple[DocumentEntry, ...]
    pdf_sha256: str
    manifest_sha256: str = ""
    created: str = Field(default="")
