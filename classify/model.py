"""The trained document-type model, in a file format this project controls.

A linear model over TF-IDF character n-grams needs only its vocabulary, IDF
weights, coefficients and a temperature to score a text, so that is all the file
holds (a compressed NumPy archive, read with ``allow_pickle=False``).  Scoring
is plain NumPy: the model loads the same whatever scikit-learn version trained
it, and a file from an incompatible format version is refused with a message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from edossier.classify.text_features import features
from edossier.errors import EdossierError

FORMAT = 1
MODEL_GLOB = "doctype-*.npz"


class ModelFileError(EdossierError):
    """The model file is missing, damaged or of another format version."""


@dataclass(frozen=True)
class DoctypeModel:
    classes: tuple[str, ...]
    vocabulary: tuple[str, ...]
    idf: np.ndarray  # (features,)
    coef: np.ndarray  # (classes, features)
    intercept: np.ndarray  # (classes,)
    temperature: float
    rule_bonus: dict[str, float]
    meta: dict[str, object]
    index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {gram: i for i, gram in enumerate(self.vocabulary)})

    def scores(self, text: str) -> np.ndarray:
        """Raw linear scores per class (before the rule bonus and the temperature)."""
        counts = features(text)
        index = self.index
        found = [(index[gram], count) for gram, count in counts.items() if gram in index]
        if not found:
            return self.intercept.astype(np.float64).copy()
        cols, tf = zip(*found)
        idx = np.asarray(cols)
        values = (1.0 + np.log(np.asarray(tf, dtype=np.float64))) * self.idf[idx]
        values /= np.linalg.norm(values)
        scores: np.ndarray = self.coef[:, idx].astype(np.float64) @ values + self.intercept
        return scores

    def probabilities(self, text: str, rule_label: str | None = None) -> np.ndarray:
        """Calibrated class probabilities: softmax(scores / T + the bonus of the type the title names)."""
        logits = self.scores(text) / self.temperature
        if rule_label in self.classes:
            logits[self.classes.index(rule_label)] += self.rule_bonus.get(rule_label, 0.0)
        logits = logits - logits.max()
        exp = np.exp(logits)
        probabilities: np.ndarray = exp / exp.sum()
        return probabilities

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = dict(self.meta, format=FORMAT, classes=list(self.classes), temperature=self.temperature,
                    rule_bonus=self.rule_bonus)
        tmp = path.with_name(path.name + ".part.npz")
        np.savez_compressed(
            tmp,
            meta=np.array(json.dumps(meta, ensure_ascii=False)),
            vocabulary=np.array(self.vocabulary, dtype=np.str_),
            idf=self.idf.astype(np.float32),
            coef=self.coef.astype(np.float16),
            intercept=self.intercept.astype(np.float32),
        )
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path) -> DoctypeModel:
        try:
            with np.load(path, allow_pickle=False) as archive:
                meta = json.loads(str(archive["meta"]))
                if meta.get("format") != FORMAT:
                    raise ModelFileError(
                        f"{path}: classifier model format {meta.get('format')!r}, this edossier reads "
                        f"format {FORMAT}; retrain with `edossier train-classifier`"
                    )
                return cls(
                    classes=tuple(meta["classes"]),
                    vocabulary=tuple(str(v) for v in archive["vocabulary"]),
                    idf=archive["idf"].astype(np.float64),
                    coef=archive["coef"].astype(np.float32),
                    intercept=archive["intercept"].astype(np.float64),
                    temperature=float(meta["temperature"]),
                    rule_bonus={k: float(v) for k, v in meta["rule_bonus"].items()},
                    meta=meta,
                )
        except ModelFileError:
            raise
        except (OSError, KeyError, ValueError) as exc:
            raise ModelFileError(f"{path}: not a readable classifier model ({exc})") from exc


def packaged_models_dir() -> Path:
    return Path(str(resources.files("edossier.classify").joinpath("models")))


def default_model_path() -> Path:
    """The newest packaged model: names sort by version (doctype-<format>.<date>-<hash>.npz)."""
    found = sorted(packaged_models_dir().glob(MODEL_GLOB))
    if not found:
        raise ModelFileError(
            f"no classifier model in {packaged_models_dir()}; run `edossier train-classifier CORPUS_DIR`"
        )
    return found[-1]


@lru_cache(maxsize=4)
def load_model(path: Path | None = None) -> DoctypeModel:
    return DoctypeModel.load(path or default_model_path())
