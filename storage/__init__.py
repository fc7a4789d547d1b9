"""Immutable storage of originals, derived data and dossier versions, keyed by case number."""

from edossier.storage.store import ObjectInfo, Store, open_store

__all__ = ["ObjectInfo", "Store", "open_store"]
