"""Document type with a calibrated confidence: the model's scores plus the title rule.

The title rule adds a per-type bonus (the log likelihood ratio measured on the
training data, weighted) to the logit of the type it names; temperature and
weight are fitted on out-of-fold scores, so the result is one calibrated
probability.  Below the review threshold a document goes to a clerk instead of
being guessed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edossier.classify.model import DoctypeModel, load_model
from edossier.classify.title_rules import TitleMatch, match_title
from edossier.config import ClassifySettings
from edossier.types import Classification


def predict(model: DoctypeModel, text: str) -> tuple[str, float, TitleMatch | None]:
    """The most probable type, its calibrated probability and the title rule that fired (if any).

    A type the model was not trained on (in doctypes.toml only: the court's own
    副卷 papers, 评议笔录 and the like, are absent from the public corpus) is
    decided by its title alone; the model's probability for its own best type
    stands as the confidence, so an unclear text still goes to a clerk.
    """
    rule = match_title(text)
    probs = model.probabilities(text, rule.label if rule is not None else None)
    best = int(np.argmax(probs))
    if rule is not None and rule.label not in model.classes:
        return rule.label, float(probs[best]), rule
    return model.classes[best], float(probs[best]), rule


def classify_text(text: str, settings: ClassifySettings) -> Classification:
    model = load_model(Path(settings.model_path) if settings.model_path else None)
    label, confidence, rule = predict(model, text)
    by_rule = rule is not None and rule.label == label
    return Classification(
        type=label,
        confidence=round(confidence, 4),
        needs_review=confidence < settings.review_threshold,
        method=("title" if label not in model.classes else "title+model") if by_rule else "model",
        title=rule.title if rule is not None else None,
    )
