"""Where each document of a scanned stack starts: a calibrated probability per page.

Every page after the first gets a feature vector from its own reading and its
predecessor's (see ``page_reading``): a title at the top, footers that restart
or continue, the previous page ending short with a sign-off, a sentence cut at
the page break, a change of document type or case number.  A logistic
regression over these, trained on corpus documents rendered into random stacks
(``boundary_training``), scores the page; an isotonic map fitted on held-out
scores makes the score a calibrated probability.  The model file is a NumPy
archive read without pickle, so it loads whatever scikit-learn trained it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
from edossier.classify.metadata import find_case_numbers
from edossier.classify.model import DoctypeModel, ModelFileError
from edossier.classify.page_reading import (
    PageReading,
    centred,
    ends_sentence,
    has_date,
    is_closing,
    is_signoff,
    right_set,
)
from edossier.classify.title_rules import match_title
from edossier.types import OcrLine

FORMAT = 1
MODEL_GLOB = "boundary-*.npz"
THRESHOLD = 0.5
# A "line" more than this many body lines tall is not a title but a seal or a picture that OCR read as text
# (RapidOCR may read a seal's ring together with the sign-off beside it as one tall box).
MAX_TITLE_HEIGHT = 3.0
_HEADING = re.compile(r"^(第[一二三四五六七八九十百零〇]+[章节编条]|[一二三四五六七八九十]+、|本院认为|经审理查明|判决如下|裁定如下)")
_COURT_LINE = re.compile(r"^.{2,20}(人民法院|仲裁委员会|人民检察院|公证处|律师事务所)$")

FEATURES = (
    "title_rule", "top_centred", "top_big", "top_y", "court_top", "first_indent", "first_heading",
    "prev_fill", "prev_ends_sentence", "prev_last_full", "prev_signoff", "prev_date_tail", "prev_right_tail",
    "prev_blank", "blank", "foot_one", "foot_cont", "foot_break", "prev_foot_last", "foot_mismatch",
    "type_change", "case_new", "case_same",
    "title_and_short_prev", "title_and_signoff", "top_closing", "closing_page",
)
CLOSING_PAGE_LINES = 8


@dataclass(frozen=True)
class BoundaryModel:
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    calibration_x: np.ndarray  # isotonic map: raw score -> probability
    calibration_y: np.ndarray
    meta: dict[str, object]

    def probability(self, features: np.ndarray) -> np.ndarray:
        """Calibrated probability that each row's page starts a new document."""
        raw = ((np.atleast_2d(features) - self.mean) / self.scale) @ self.coef + self.intercept
        probability: np.ndarray = np.interp(raw, self.calibration_x, self.calibration_y)
        return probability

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = dict(self.meta, format=FORMAT, features=list(FEATURES), intercept=self.intercept)
        tmp = path.with_name(path.name + ".part.npz")
        np.savez_compressed(tmp, meta=np.array(json.dumps(meta, ensure_ascii=False)), mean=self.mean,
                            scale=self.scale, coef=self.coef, calibration_x=self.calibration_x,
                            calibration_y=self.calibration_y)
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path) -> BoundaryModel:
        try:
            with np.load(path, allow_pickle=False) as archive:
                meta = json.loads(str(archive["meta"]))
                if meta.get("format") != FORMAT or meta.get("features") != list(FEATURES):
                    raise ModelFileError(f"{path}: boundary model of another format or feature set; "
                                         "rebuild it with `python -m bench.stacks train`")
                return cls(archive["mean"], archive["scale"], archive["coef"], float(meta["intercept"]),
                           archive["calibration_x"], archive["calibration_y"], meta)
        except ModelFileError:
            raise
        except (OSError, KeyError, ValueError) as exc:
            raise ModelFileError(f"{path}: not a readable boundary model ({exc})") from exc


def packaged_boundary_path() -> Path:
    """The newest packaged boundary model (names sort by training time)."""
    folder = Path(str(resources.files("edossier.classify").joinpath("models")))
    found = sorted(folder.glob(MODEL_GLOB))
    if not found:
        raise ModelFileError(f"no boundary model in {folder}; run `python -m bench.stacks train`")
    return found[-1]


@lru_cache(maxsize=4)
def load_boundary_model(path: Path | None = None) -> BoundaryModel:
    return BoundaryModel.load(path or packaged_boundary_path())


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(" ", "").strip()


def _tail(reading: PageReading, count: int = 6) -> tuple[OcrLine, ...]:
    return reading.lines[-count:]


def page_features(prev: PageReading, page: PageReading, type_change: float, case_numbers: set[str]) -> np.ndarray:
    """The feature vector of PAGE following PREV (order as in FEATURES)."""
    geometry = bool(page.width and prev.width)
    top = page.top_lines(3)
    title = match_title("\n".join(line.text for line in top))
    first = page.lines[0] if page.lines else None
    last = prev.lines[-1] if prev.lines else None
    unit = page.line_height or 1.0
    heights = [(ln.box[3] - ln.box[1]) / unit for ln in top]
    top_big = max((h for h in heights if h <= MAX_TITLE_HEIGHT), default=1.0) - 1.0 if geometry else 0.0
    top_numbers = {n.normalized for n in find_case_numbers("\n".join(ln.text for ln in page.lines[:6]))}
    prev_tail = _tail(prev)
    foot, prev_foot = page.footer, prev.footer
    foot_cont = bool(foot and prev_foot and foot[0] == prev_foot[0] + 1 and (
        foot[1] is None or prev_foot[1] is None or foot[1] == prev_foot[1]))
    prev_signoff = sum(is_signoff(ln) for ln in prev_tail)
    title_rule = float(title is not None)
    short_prev = float(geometry and last is not None and last.box[3] / prev.height < 0.75)
    values = {
        "title_rule": title_rule,
        "top_centred": float(geometry and any(centred(page, ln) for ln in top[:2])),
        "top_big": float(np.clip(top_big, -0.5, 2.5)),
        "top_y": (first.box[1] / page.height) if geometry and first is not None else 0.0,
        # a court heading is centred; the court's name read off a seal (set over the sign-off, to the right) is not
        "court_top": float(any(_COURT_LINE.match(_fold(ln.text)) and (not geometry or centred(page, ln))
                               for ln in top[:2])),
        "first_indent": float(np.clip((first.box[0] - page.left) / unit, 0, 6)) if geometry and first else 0.0,
        "first_heading": float(first is not None and bool(_HEADING.match(_fold(first.text)))),
        "prev_fill": (last.box[3] / prev.height) if geometry and last is not None else 0.0,
        "prev_ends_sentence": float(last is not None and ends_sentence(last)),
        "prev_last_full": (float(np.clip((last.box[2] - last.box[0]) / max(prev.right - prev.left, 1.0), 0, 1.2))
                           if geometry and last is not None else 0.0),
        "prev_signoff": min(prev_signoff, 3) / 3,
        "prev_date_tail": float(any(has_date(ln) for ln in prev_tail)),
        "prev_right_tail": sum(right_set(prev, ln) for ln in prev_tail[-5:]) / 5 if geometry else 0.0,
        "prev_blank": float(prev.blank),
        "blank": float(page.blank),
        "foot_one": float(bool(foot and foot[0] == 1)),
        "foot_cont": float(foot_cont),
        "foot_break": float(bool(foot and prev_foot) and not foot_cont),
        "prev_foot_last": float(bool(prev_foot and prev_foot[1] is not None and prev_foot[0] == prev_foot[1])),
        "foot_mismatch": float(bool(foot) != bool(prev_foot)),
        "type_change": type_change,
        "case_new": float(bool(top_numbers - case_numbers) and bool(case_numbers)),
        "case_same": float(bool(top_numbers & case_numbers)),
        "title_and_short_prev": title_rule * short_prev,
        "title_and_signoff": title_rule * float(prev_signoff > 0),
        "top_closing": float(any(is_closing(ln) for ln in top[:2])),
        "closing_page": float(geometry and _closing_page(prev, page)),
    }
    return np.asarray([values[name] for name in FEATURES], dtype=np.float64)


def _closing_page(prev: PageReading, page: PageReading) -> bool:
    """PAGE holds only a sign-off that ran over from PREV: a few lines, each a sign-off or date line or set right.

    "Set right" (centred right of the middle: a sign-off line, a seal's text; a
    centred title is not) is measured against the previous page's text block: on a
    page of right-set lines alone, the page's own block is those lines.
    """
    span = prev.right - prev.left
    if not page.lines or len(page.lines) > CLOSING_PAGE_LINES or span <= 0:
        return False
    return all(is_signoff(ln) or has_date(ln)
               or (ln.box[0] + ln.box[2]) / 2 > prev.left + 0.55 * span
               for ln in page.lines)


def type_vectors(readings: Sequence[PageReading], doctypes: DoctypeModel) -> np.ndarray:
    """Per page, the document-type probabilities of its text alone (what kind of paper it looks like)."""
    return np.vstack([doctypes.probabilities(r.text) for r in readings]) if readings else np.zeros((0, 0))


def _walk(readings: Sequence[PageReading], doctypes: DoctypeModel,
          decide: Callable[[int, np.ndarray], bool]) -> None:
    """Features of pages 1..n-1 in order, each handed to DECIDE (True: the page starts a document).

    The case numbers a page is compared with are those of the document it would
    continue, so a start resets them: the walk is sequential.
    """
    vectors = type_vectors(readings, doctypes)
    numbers: set[str] = set()
    for i in range(1, len(readings)):
        numbers |= {n.normalized for n in find_case_numbers(readings[i - 1].text)}
        norm = max(float(np.linalg.norm(vectors[i]) * np.linalg.norm(vectors[i - 1])), 1e-9)
        change = 1.0 - float(np.dot(vectors[i], vectors[i - 1])) / norm
        if decide(i, page_features(readings[i - 1], readings[i], change, numbers)):
            numbers = set()


def stack_features(readings: Sequence[PageReading], doctypes: DoctypeModel, starts: set[int]) -> np.ndarray:
    """Training rows for pages 1..n-1 of a stack whose true document STARTS are known."""
    rows: list[np.ndarray] = []

    def keep(i: int, row: np.ndarray) -> bool:
        rows.append(row)
        return i in starts

    _walk(readings, doctypes, keep)
    return np.vstack(rows) if rows else np.zeros((0, len(FEATURES)))


def boundary_probabilities(readings: Sequence[PageReading], doctypes: DoctypeModel,
                           model: BoundaryModel) -> list[float]:
    """P(page starts a document) per page; the first page always does (1.0)."""
    probabilities = [1.0] if readings else []

    def score(i: int, row: np.ndarray) -> bool:
        # Text without line boxes (a born-digital page) has no layout to judge: it is cut only
        # at cover sheets or by a 卷内目录, never by content.
        laid_out = bool(readings[i].width and readings[i - 1].width)
        probabilities.append(float(model.probability(row)[0]) if laid_out else 0.0)
        return probabilities[-1] >= THRESHOLD

    _walk(readings, doctypes, score)
    return probabilities
