"""Training the boundary model from stacks whose document starts are known.

The stacks come from outside this stage (bench/stacks.py lays corpus documents
out as printed pages); here they are only OCR pages and the set of pages that
start a document.  Calibration is honest: the isotonic map is fitted on
out-of-fold scores, folds grouped by stack, so no page is scored by a model
that saw it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np
from edossier.classify.boundaries import FEATURES, FORMAT, BoundaryModel, stack_features
from edossier.classify.model import DoctypeModel, load_model
from edossier.classify.page_reading import read_page

from edossier.types import OcrPage

FOLDS = 5
C = 1.0

Sample = tuple[Sequence[OcrPage], set[int]]


def feature_table(samples: Sequence[Sample], doctypes: DoctypeModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, labels (1 = starts a document) and the stack each row came from."""
    rows: list[np.ndarray] = []
    labels: list[int] = []
    groups: list[int] = []
    for n, (pages, starts) in enumerate(samples):
        table = stack_features([read_page(p) for p in pages], doctypes, starts)
        rows.append(table)
        labels.extend(int(i in starts) for i in range(1, len(pages)))
        groups.extend([n] * len(table))
    return np.vstack(rows), np.asarray(labels), np.asarray(groups)


def train_boundary_model(samples: Sequence[Sample], seed: int = 0, doctypes: DoctypeModel | None = None) -> BoundaryModel:
    """Logistic regression on the page features, isotonic calibration on out-of-fold scores."""
    import sklearn
    from sklearn.isotonic import IsotonicRegression
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    doctypes = doctypes or load_model()
    x, y, groups = feature_table(samples, doctypes)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    oof = np.zeros(len(y))
    for train_rows, test_rows in GroupKFold(n_splits=FOLDS).split(z, y, groups):
        fold = LogisticRegression(C=C, max_iter=2000, random_state=seed).fit(z[train_rows], y[train_rows])
        oof[test_rows] = fold.decision_function(z[test_rows])
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(oof, y)
    final = LogisticRegression(C=C, max_iter=2000, random_state=seed).fit(z, y)
    predicted = iso.predict(oof) >= 0.5
    tp = int((predicted & (y == 1)).sum())
    meta = {
        "trained": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sklearn": sklearn.__version__,
        "stacks": len(samples),
        "pages": int(len(y) + len(samples)),
        "boundaries": int(y.sum()),
        "oof_precision": round(tp / max(int(predicted.sum()), 1), 4),
        "oof_recall": round(tp / max(int(y.sum()), 1), 4),
        "data_sha256": hashlib.sha256(x.tobytes() + y.tobytes()).hexdigest(),
        "weights": {name: round(float(w), 3) for name, w in zip(FEATURES, final.coef_[0])},
    }
    return BoundaryModel(mean, scale, final.coef_[0].astype(np.float64), float(final.intercept_[0]),
                         np.asarray(iso.X_thresholds_, dtype=np.float64), np.asarray(iso.y_thresholds_, dtype=np.float64),
                         meta)


def save_packaged(model: BoundaryModel, folder: Path | None = None) -> Path:
    """Write MODEL as boundary-<format>.<time>-<data hash>.npz into the package (or FOLDER)."""
    folder = folder or Path(str(resources.files("edossier.classify").joinpath("models")))
    stamp = dt.datetime.fromisoformat(str(model.meta["trained"])).strftime("%Y%m%d%H%M%S")
    return model.save(folder / f"boundary-{FORMAT}.{stamp}-{str(model.meta['data_sha256'])[:8]}.npz")
