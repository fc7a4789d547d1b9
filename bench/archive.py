"""Benchmark: what long-term signatures cost - signing a dossier at B-T, B-LT and B-LTA, and archiving it.

    python -m bench.archive [--runs 5]

The responders are the test PKI's (tests/pki: certomancer's CA, OCSP, CRL and
TSA on a loopback port in this process), so the figures are the local work
(fetching and checking the chain's OCSP/CRL answers, DSS, the extra
timestamp), not a network's latency.  One dossier (cover, catalogue, three
documents of rendered pages, closing sheet) is assembled once; each run signs
the same unsigned file into a fresh output.  Reported per level: median, min
and max of the runs, and B-LTA's extra time over B-T (the target: at most
1 s per dossier).  ``archive`` is the archiving step of an already B-LT-signed
dossier (fresh validation material, archive timestamp, DSS after it).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from edossier.bind.assemble import DossierMetadata, assemble
from edossier.bind.ltv import add_archive_timestamp
from edossier.bind.sign import SignatureSpec, seal_version
from edossier.config import BindSettings
from tests.bind.bind_samples import born_digital_document, raster_document
from tests.pki import P12_PASSPHRASE, running_pki
from bench.machine import cpu_name

LEVELS = ("B-T", "B-LT", "B-LTA")
RESULTS = Path(__file__).with_name("results")



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_text, running_pki(Path(tmp_text) / "pki") as pki:
        tmp = Path(tmp_text)
        documents = [
            raster_document(tmp, "complaint", "民事起诉状", "起诉状", repeat=2),
            raster_document(tmp, "power", "授权委托书", "授权委托书", seal="浙江天平律师事务所", repeat=1),
            born_digital_document(tmp, "notice", "受理案件通知书", "通知书"),
        ]
        meta = DossierMetadata(case="（2024）浙0102民初100号", version=1, bound_by="bench", court="杭州市上城区人民法院")
        addition = assemble(documents, tmp / "unsigned.pdf", meta, BindSettings(jobs=1))
        timings: dict[str, list[float]] = {}
        for run in range(args.runs):
            for level in LEVELS:  # interleaved, so load from other processes hits every level alike
                spec = SignatureSpec(
                    pki.signer_p12, P12_PASSPHRASE, "edossier-v1", "bench", timestamp_url=pki.tsa_url,
                    embed_validation_info=level != "B-T", archive_timestamp=level == "B-LTA",
                    trust_roots=(pki.root,),
                )
                out = tmp / f"{level}-{run}.pdf"
                start = time.perf_counter()
                seal_version(tmp / "unsigned.pdf", out, spec, meta, addition.bookmarks)
                timings.setdefault(level, []).append(time.perf_counter() - start)
            start = time.perf_counter()
            add_archive_timestamp(tmp / f"B-LT-{run}.pdf", tmp / f"archived-{run}.pdf", pki.tsa_url, [pki.root])
            timings.setdefault("archive", []).append(time.perf_counter() - start)
    rows = {name: {"median_s": statistics.median(v), "min_s": min(v), "max_s": max(v), "runs": len(v)}
            for name, v in timings.items()}
    extra = rows["B-LTA"]["median_s"] - rows["B-T"]["median_s"]
    result = {"cpu": cpu_name(), "pages": addition.pages, "levels": rows, "blta_extra_over_bt_s": extra,
              "target_s": 1.0, "meets_target": extra <= 1.0}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "archive.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print(f"CPU: {result['cpu']}; dossier of {addition.pages} pages; {args.runs} runs; responders on loopback")
    print(f"{'step':8} {'median s':>9} {'min s':>7} {'max s':>7}")
    for name, row in rows.items():
        print(f"{name:8} {row['median_s']:9.3f} {row['min_s']:7.3f} {row['max_s']:7.3f}")
    print(f"B-LTA over B-T: {extra:+.3f} s per dossier (target <= 1 s: {'met' if extra <= 1.0 else 'NOT met'})")


if __name__ == "__main__":
    main()
