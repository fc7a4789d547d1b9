"""Where things live in a store, keyed by the normalised case number.

cases/<案号>/originals/<sha256><ext>       originals, byte for byte
cases/<案号>/pages/<sha256>.png            kept page images
cases/<案号>/ocr/<page sha256>.<engine>-<hash of engine, version, models, options>.json
cases/<案号>/versions/<NNNNNN>/dossier-<sha256>.pdf  a bound version, named by content so a
                                           rerun after a crash never collides with a half-published attempt
cases/<案号>/versions/<NNNNNN>/manifest.json  written last: its presence publishes the version
cases/<案号>/corrections/<UTC time>-<source sha256>.json  a clerk's type correction (relabel)
"""

from __future__ import annotations

import hashlib
import re

from edossier.casenumber import CaseNumber

CASES = "cases"
MANIFEST = "manifest.json"


def case_prefix(case: CaseNumber) -> str:
    return f"{CASES}/{case.key}"


def original_key(case: CaseNumber, sha256: str, suffix: str) -> str:
    known = (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".heic", ".heif", ".ofd", ".docx", ".doc", ".wps",
             ".rtf", ".odt")
    ext = suffix.lower() if suffix.lower() in known else ""
    return f"{case_prefix(case)}/originals/{sha256}{ext}"


def page_key(case: CaseNumber, sha256: str) -> str:
    return f"{case_prefix(case)}/pages/{sha256}.png"


def ocr_key(case: CaseNumber, page_sha256: str, engine_key: str) -> str:
    """The OCR result of a page by an engine, named by the engine and a hash of its whole key.

    A whole key (engine, version, models, runtime, options) runs to 150 characters;
    with the case and page hash that is past the 255 bytes an S3 server (RGW)
    takes as one name.
    """
    name = re.split(r"[^A-Za-z0-9]", engine_key, maxsplit=1)[0] or "ocr"
    return f"{case_prefix(case)}/ocr/{page_sha256}.{name}-{hashlib.sha256(engine_key.encode()).hexdigest()[:16]}.json"


def version_prefix(case: CaseNumber, version: int) -> str:
    return f"{case_prefix(case)}/versions/{version:06d}"


def dossier_key(case: CaseNumber, version: int, sha256: str) -> str:
    return f"{version_prefix(case, version)}/dossier-{sha256}.pdf"


def version_key(case: CaseNumber, version: int, name: str) -> str:
    return f"{version_prefix(case, version)}/{name}"


def correction_key(case: CaseNumber, stamp: str, source_sha256: str) -> str:
    return f"{case_prefix(case)}/corrections/{stamp}-{source_sha256}.json"


def manifest_key(case: CaseNumber, version: int) -> str:
    return version_key(case, version, MANIFEST)
