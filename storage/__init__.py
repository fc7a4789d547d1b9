"""Immutable storage of originals, derived data and dossier versions, keyed by case number."""

from edossier.storage.store import ObjectInfo, Store, file_sha256, open_store

__all__ = ["ObjectInfo", "Store", "file_sha256", "open_store"]
