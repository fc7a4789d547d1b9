"""Training the document-type model: corpus + synthetic examples + clerks' corrections.

scikit-learn is used here only; what comes out is the plain arrays of
``DoctypeModel``.  Rare and missing types are topped up with synthetic examples
(see ``synthetic``), and every example keeps its origin so the evaluation can
score real texts only.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edossier.classify.doctypes import load_doctypes
from edossier.classify.model import FORMAT, DoctypeModel
from edossier.classify.text_features import features
from edossier.classify.title_rules import match_title

MAX_FEATURES = 30_000
MIN_DF = 2
SVM_C = 0.5
FOLDS = 5


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    origin: str  # "corpus", "synthetic" or "correction"
    name: str = ""


def read_corpus(corpus_dir: Path) -> list[Example]:
    """Labelled texts: ``labels.tsv`` when present, else ``docs/<label>/*.txt``."""
    corpus_dir = Path(corpus_dir)
    known = {t.label for t in load_doctypes()}
    examples = []
    tsv = corpus_dir / "labels.tsv"
    if tsv.exists():
        with tsv.open(encoding="utf-8", newline="") as handle:
            rows = [(row["path"], row["label"]) for row in csv.DictReader(handle, delimiter="\t")]
    else:
        rows = [(str(p.relative_to(corpus_dir)), p.parent.name) for p in sorted(corpus_dir.glob("docs/*/*.txt"))]
    for rel, label in rows:
        if label not in known:
            raise ValueError(f"{corpus_dir / rel}: label {label!r} is not a configured document type")
        text = (corpus_dir / rel).read_text("utf-8")
        examples.append(Example(text=text, label=label, origin="corpus", name=rel))
    if not examples:
        raise ValueError(f"{corpus_dir}: no labelled texts (expected labels.tsv or docs/<label>/*.txt)")
    return examples


Counts = Any  # a scipy.sparse matrix of term counts: scipy ships no type hints


@dataclass
class _Fitted:
    vocabulary: list[str]
    idf: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    classes: list[str]
    columns: np.ndarray  # the kept columns of the full count matrix
    tfidf: Any  # a fitted sklearn TfidfTransformer: sklearn has no type hints


def count_matrix(examples: Sequence[Example]) -> tuple[Counts, np.ndarray]:
    """One sparse n-gram count matrix for all examples (folds select rows from it)."""
    from sklearn.feature_extraction import DictVectorizer

    vectorizer = DictVectorizer(dtype=np.float64)
    matrix = vectorizer.fit_transform(features(e.text) for e in examples).tocsr()
    return matrix, np.asarray(vectorizer.feature_names_)


def _fit(counts: Counts, names: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> _Fitted:
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.feature_selection import chi2
    from sklearn.svm import LinearSVC

    df = np.asarray((counts > 0).sum(axis=0)).ravel()
    keep = np.flatnonzero(df >= MIN_DF)
    if keep.size > MAX_FEATURES:
        score, _ = chi2(counts[:, keep], labels)
        keep = np.sort(keep[np.argsort(np.nan_to_num(score))[::-1][:MAX_FEATURES]])
    tfidf = TfidfTransformer(sublinear_tf=True)
    matrix = tfidf.fit_transform(counts[:, keep])
    svm = LinearSVC(C=SVM_C, class_weight="balanced")
    svm.fit(matrix, labels, sample_weight=weights)
    return _Fitted(list(names[keep]), tfidf.idf_, svm.coef_, svm.intercept_, [str(c) for c in svm.classes_],
                   keep, tfidf)


def _decision(fitted: _Fitted, counts: Counts, classes: list[str]) -> np.ndarray:
    """Linear scores of rows of COUNTS in the order of CLASSES (absent classes score very low)."""
    matrix = fitted.tfidf.transform(counts[:, fitted.columns])
    raw = matrix @ fitted.coef.T + fitted.intercept
    out = np.full((counts.shape[0], len(classes)), -10.0)
    for j, label in enumerate(classes):
        if label in fitted.classes:
            out[:, j] = raw[:, fitted.classes.index(label)]
    return out


def rule_bonus(examples: Sequence[Example], classes: Sequence[str]) -> dict[str, float]:
    """log likelihood ratio of "the title names L" between documents of type L and the rest."""
    bonus = {}
    matches = [match_title(e.text) for e in examples]
    for label in classes:
        inside = [m for m, e in zip(matches, examples) if e.label == label]
        outside = [m for m, e in zip(matches, examples) if e.label != label]
        hit_in = sum(1 for m in inside if m is not None and m.label == label)
        hit_out = sum(1 for m in outside if m is not None and m.label == label)
        if hit_in == 0:
            continue
        ratio = ((hit_in + 0.5) / (len(inside) + 1)) / ((hit_out + 0.5) / (len(outside) + 1))
        bonus[label] = float(np.log(ratio))
    return bonus


def rule_matrix(examples: Sequence[Example], classes: Sequence[str], bonus: dict[str, float]) -> np.ndarray:
    """Per example, the bonus of the type its title names (zeros elsewhere)."""
    out = np.zeros((len(examples), len(classes)))
    for i, example in enumerate(examples):
        rule = match_title(example.text)
        if rule is not None and rule.label in classes:
            out[i, list(classes).index(rule.label)] = bonus.get(rule.label, 0.0)
    return out


def _oof_scores(counts: Counts, names: np.ndarray, labels: np.ndarray, weights: np.ndarray,
                classes: list[str]) -> np.ndarray:
    """Out-of-fold linear scores, the honest input for calibration."""
    from sklearn.model_selection import StratifiedKFold

    scores = np.zeros((len(labels), len(classes)))
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # types with fewer members than folds
        splits = list(folds.split(np.zeros(len(labels)), labels))
    for train_rows, test_rows in splits:
        fitted = _fit(counts[train_rows], names, labels[train_rows], weights[train_rows])
        scores[test_rows] = _decision(fitted, counts[test_rows], classes)
    return scores


def _calibrate(scores: np.ndarray, rules: np.ndarray, labels: Sequence[str], classes: list[str]) -> tuple[float, float]:
    """Temperature T and rule weight A minimising the log loss of softmax(scores / T + A * rules)."""
    from scipy.optimize import minimize

    target = np.asarray([classes.index(label) for label in labels])
    rows = np.arange(len(target))

    def nll(params: np.ndarray) -> float:
        temperature, weight = np.exp(params)
        logits = scores / temperature + weight * rules
        logits = logits - logits.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(logits).sum(axis=1))
        return float(np.mean(log_norm - logits[rows, target]))

    result = minimize(nll, x0=np.log([0.3, 0.5]), method="Nelder-Mead")
    temperature, weight = np.exp(result.x)
    return float(temperature), float(weight)


def _as_model(fitted: _Fitted, temperature: float, bonus: dict[str, float], meta: dict[str, Any] | None = None) -> DoctypeModel:
    return DoctypeModel(
        classes=tuple(fitted.classes),
        vocabulary=tuple(fitted.vocabulary),
        idf=np.asarray(fitted.idf, dtype=np.float64),
        coef=np.asarray(fitted.coef, dtype=np.float32),
        intercept=np.asarray(fitted.intercept, dtype=np.float64),
        temperature=temperature,
        rule_bonus=bonus,
        meta=meta or {},
    )


def _weights(examples: Sequence[Example]) -> np.ndarray:
    """A clerk's correction counts double: it is a real document, checked by a person."""
    return np.asarray([2.0 if e.origin == "correction" else 1.0 for e in examples])


def train(examples: Sequence[Example], calibrate: bool = True) -> DoctypeModel:
    """Fit the model on EXAMPLES; CALIBRATE fits temperature and rule weight on out-of-fold scores."""
    import sklearn

    weights = _weights(examples)
    labels = np.asarray([e.label for e in examples])
    counts, names = count_matrix(examples)
    fitted = _fit(counts, names, labels, weights)
    bonus = rule_bonus(examples, fitted.classes)
    temperature, weight = 1.0, 1.0
    if calibrate:
        oof = _oof_scores(counts, names, labels, weights, fitted.classes)
        rules = rule_matrix(examples, fitted.classes, bonus)
        temperature, weight = _calibrate(oof, rules, list(labels), fitted.classes)
    origins: dict[str, int] = {}
    for example in examples:
        origins[example.origin] = origins.get(example.origin, 0) + 1
    meta = {
        "trained": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "sklearn": sklearn.__version__,
        "examples": origins,
        "per_class": {c: int((labels == c).sum()) for c in fitted.classes},
        "data_sha256": training_data_hash(examples),
    }
    return _as_model(fitted, temperature, {k: v * weight for k, v in bonus.items()}, meta)


def training_data_hash(examples: Iterable[Example]) -> str:
    digest = hashlib.sha256()
    for example in sorted(examples, key=lambda e: (e.label, e.text)):
        digest.update(json.dumps([example.label, example.text], ensure_ascii=False).encode())
    return digest.hexdigest()


def model_file_name(model: DoctypeModel) -> str:
    """doctype-<format>.<UTC date-time>-<data hash>.npz: names sort by training time."""
    stamp = dt.datetime.fromisoformat(str(model.meta["trained"])).strftime("%Y%m%d%H%M%S")
    return f"doctype-{FORMAT}.{stamp}-{str(model.meta['data_sha256'])[:8]}.npz"
