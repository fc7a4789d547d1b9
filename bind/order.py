"""The binding order of documents, per case type, from data (order.toml)."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from edossier.errors import EdossierError
from edossier.types import Document


@dataclass(frozen=True)
class OrderTable:
    name: str
    codes: tuple[str, ...]
    types: tuple[str, ...]


@lru_cache(maxsize=4)
def load_order_tables(path: Path | None = None) -> tuple[OrderTable, ...]:
    """The packaged tables unless PATH (``bind.order_file``) names a court's own."""
    if path is None:
        raw = resources.files("edossier.bind").joinpath("order.toml").read_text("utf-8")
    else:
        raw = Path(path).read_text("utf-8")
    tables = tuple(
        OrderTable(t["name"], tuple(t.get("codes", ())), tuple(t.get("types", ())))
        for t in tomllib.loads(raw)["table"]
    )
    if not any(t.name == "default" for t in tables):
        raise EdossierError(f"{path or 'order.toml'}: no table named 'default'")
    return tables


def table_for(case_type: str, tables: Sequence[OrderTable]) -> OrderTable:
    for table in tables:
        if case_type in table.codes:
            return table
    return next(t for t in tables if t.name == "default")


def order_documents(
    documents: Sequence[Document],
    case_type: str,
    fallback: Callable[[str], int],
    order_file: Path | None = None,
) -> list[Document]:
    """Listed types first, in the table's order; the rest by FALLBACK; stable within a type.

    A document whose type still awaits a clerk (needs_review) goes last: its
    place is not known yet.
    """
    table = table_for(case_type, load_order_tables(order_file))
    rank = {label: i for i, label in enumerate(table.types)}

    def key(document: Document) -> tuple[bool, int, int]:
        label = document.classification.type
        unsure = document.classification.needs_review
        return (unsure, rank[label], 0) if label in rank else (unsure, len(rank), fallback(label))

    return sorted(documents, key=key)
