"""The two things intake asks of an OFD: what it says about itself, and its pages as a PDF."""

from __future__ import annotations

from pathlib import Path

from edossier.config import LimitsSettings, SealSettings
from edossier.ingest.ofd import OfdDocument, render_pdf
from edossier.ingest.ofd_facts import invoice_fields, seal_metadata, seal_pictures, seal_remark, seals
from edossier.ingest.ofd_package import OfdPackage

SIGNED_KEY = "签章"
"""The metadata entry that marks a sealed OFD (its value is the catalogue remark)."""


def ofd_facts(path: Path, limits: LimitsSettings, seal_settings: SealSettings | None = None) -> dict[str, str]:
    """E-invoice fields and electronic seals of the OFD at PATH, as document metadata.

    SEAL_SETTINGS are the court's ``[seals]``: the CA certificates seal signers, makers and timestamp authorities
    must chain to, and the CRLs they are looked up in; without them the record says these were not checked.

    Reading them opens every part the document names, so a damaged package
    (a truncated zip, a missing page, a zip bomb) is refused here, at intake.
    """
    with OfdPackage(path, limits) as package:
        doc = OfdDocument(package)
        for index in range(len(doc.page_refs)):
            doc.page(index)  # every page and template must be there and parse
        found = seals(package, doc, seal_settings)
        facts = invoice_fields(package, doc)
    remark = seal_remark(found)
    if remark:
        facts[SIGNED_KEY] = remark
        facts.update(seal_metadata(found))
    return facts


def ofd_to_pdf(path: Path, target: Path, limits: LimitsSettings) -> list[str]:
    """Draw the OFD at PATH into the PDF TARGET, seals included; return each page's own text."""
    with OfdPackage(path, limits) as package:
        doc = OfdDocument(package)
        stamps: dict[str, list[tuple[bytes, tuple[float, float, float, float]]]] = {}
        for picture, places in seal_pictures(package, doc):
            if picture is not None:
                for page_id, boundary in places:
                    stamps.setdefault(page_id, []).append((picture, boundary))
        return render_pdf(doc, target, limits, stamps)
