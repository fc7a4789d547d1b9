"""The document-type set, loaded from data so a court can change order and titles."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from edossier.types import Classification


@dataclass(frozen=True)
class DocType:
    label: str
    order: int
    titles: tuple[str, ...]
    volume: str = "main"
    party: bool = False
    """filed by a party or its lawyer (not issued or written by the court)"""


@lru_cache(maxsize=4)
def load_doctypes(path: Path | None = None) -> tuple[DocType, ...]:
    """The configured types in binding order (the packaged table unless PATH is given)."""
    if path is None:
        raw = resources.files("edossier.classify").joinpath("doctypes.toml").read_text("utf-8")
    else:
        raw = Path(path).read_text("utf-8")
    table = tomllib.loads(raw)
    types = [
        DocType(
            label=entry["label"],
            order=int(entry["order"]),
            titles=tuple(entry.get("titles", ())),
            volume=entry.get("volume", "main"),
            party=bool(entry.get("party", False)),
        )
        for entry in table["type"]
    ]
    return tuple(sorted(types, key=lambda t: t.order))


def binding_order(label: str) -> int:
    for doctype in load_doctypes():
        if doctype.label == label:
            return doctype.order
    return max(t.order for t in load_doctypes()) + 1


REVIEW_POSITION = 1000


def binding_position(classification: Classification) -> int:
    """Where a document goes in the bound volume: a type still awaiting a clerk goes last, unplaced."""
    if classification.needs_review:
        return REVIEW_POSITION
    return binding_order(classification.type)
