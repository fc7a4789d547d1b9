"""The two volumes of a case file, 正卷 (main) and 副卷 (secondary), and how each is bound and named.

Court practice keeps the 副卷 (deliberation minutes, trial reports, internal
requests and replies) apart from the 正卷 that parties and their lawyers read.
So each volume is its own signed PDF with its own cover, 卷内目录 and 备考表,
growing by its own signed incremental updates, and stored under its own manifest
role: ``dossier`` for the 正卷 (the name every earlier version used, and what
``edossier get`` hands out) and ``dossier_secondary`` for the 副卷.

Page numbering has one source: ``bind/assemble.py`` stamps every page of a
volume with its 1-based position in that volume's PDF (cover and catalogue
included, numbered on across versions), and records each document's first and
last page with the same numbers in its catalogue entry (``DocumentEntry``).  The
catalogue entry is therefore the printed number, the PDF page index and the
catalogue's 页码 at once; readers, search and highlights use it as it is.
"""

from __future__ import annotations

from typing import Literal

Volume = Literal["main", "secondary"]
VOLUMES: tuple[Volume, ...] = ("main", "secondary")
VOLUME_NAMES: dict[str, str] = {"main": "正卷", "secondary": "副卷"}


def volume_role(volume: str) -> str:
    """The manifest role of VOLUME's signed PDF: ``dossier`` (正卷) or ``dossier_secondary`` (副卷)."""
    if volume not in VOLUMES:
        raise ValueError(f"no volume {volume!r}")
    return "dossier" if volume == "main" else f"dossier_{volume}"


def volume_file_name(volume: str) -> str:
    """The file name a volume's signed PDF is written under while a version is bound."""
    return "dossier.pdf" if volume == "main" else f"dossier-{volume}.pdf"


def volume_of_file(name: str) -> Volume:
    """Which volume a PDF written under ``volume_file_name`` holds."""
    return next(v for v in VOLUMES if volume_file_name(v) == name)
