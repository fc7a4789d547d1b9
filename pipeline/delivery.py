"""Electronic service (e键送达): at delivery, the 送达回证 is bound into the case's dossier as a new signed version.

The receipt page is rendered once and kept beside the service record, so a
rerun after a crash binds the same bytes (publishing is idempotent by content
hash) instead of a second receipt.  A newly drafted document that was served
(a 传票, say) is bound in the same version, ahead of its receipt.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from edossier.bind.service_receipt import ServiceReceipt, render_receipt
from edossier.config import Settings
from edossier.pipeline.page_ocr import Progress
from edossier.pipeline.process import Material, process_case
from edossier.storage import Store
from edossier.types import DossierVersion

COURT_TIME = dt.timezone(dt.timedelta(hours=8), "CST")
"""Times on a receipt are China Standard Time, as on the paper form."""
RECEIPT_TYPE = "送达回证"


def court_time(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, COURT_TIME).replace(microsecond=0)


def bind_receipt(
    receipt: ServiceReceipt,
    kept: Path,
    settings: Settings,
    *,
    served: Material | None = None,
    store: Store | None = None,
    progress: Progress | None = None,
) -> DossierVersion:
    """Render RECEIPT to KEPT (unless already there) and publish it, after SERVED when given, as the next version."""
    if not kept.exists():
        part = kept.with_name(kept.name + ".part")
        render_receipt(receipt, part)
        part.replace(kept)
    title = f"送达回证（{receipt.document}，{receipt.recipient}）"
    materials = [*([served] if served else []), Material(path=kept, declared_type=RECEIPT_TYPE, title=title)]
    return process_case(materials, receipt.case, settings, store=store, progress=progress)
