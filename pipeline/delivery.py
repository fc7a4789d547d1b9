"""Electronic service (e键送达): at delivery, the 送达回证 is bound into the case's dossier as a new signed version.

A newly drafted document that was served (a 传票, say) is bound in the same
version as its receipt.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from edossier.bind.service_receipt import ServiceReceipt, render_receipt
from edossier.config import Settings
from edossier.pipeline.court_forms import publish_form
from edossier.pipeline.process import Material
from edossier.storage import Store
from edossier.types import DossierVersion

RECEIPT_TYPE = "送达回证"


def bind_receipt(
    receipt: ServiceReceipt,
    kept: Path,
    settings: Settings,
    *,
    served: Material | None = None,
    store: Store | None = None,
) -> DossierVersion:
    """Publish RECEIPT (rendered to KEPT once), after SERVED when given, as the case's next version."""
    title = f"送达回证（{receipt.document}，{receipt.recipient}）"
    return publish_form(partial(render_receipt, receipt), kept, RECEIPT_TYPE, title, receipt.case, settings,
                        before=[served] if served else [], store=store)
