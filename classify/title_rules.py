"""Title rules: the title line names the type in most court papers.

Court papers put the type in the title (民事起诉状, 授权委托书, 民事判决书).  A
title word found on one of the first lines, in a line short enough to be a title,
is strong evidence; how strong is measured per type at training time and applied
as a bonus to the model's score, so the rule and the model share one calibrated
confidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from edossier.classify.doctypes import load_doctypes
from edossier.classify.text_features import normalize_text, title_lines

RULE_LINES = 3
MAX_EXTRA_CHARS = 14


@dataclass(frozen=True)
class TitleMatch:
    label: str
    title: str
    line: int


def match_title(text: str) -> TitleMatch | None:
    """The type named on the earliest title line (the longest title word there wins)."""
    for line_no, line in enumerate(title_lines(normalize_text(text), RULE_LINES)):
        best: tuple[int, str] | None = None
        for doctype in load_doctypes():
            for word in doctype.titles:
                if word in line and len(line) <= len(word) + MAX_EXTRA_CHARS:
                    if best is None or len(word) > len(best[1]):
                        best = (len(word), word)
                        label = doctype.label
        if best is not None:
            return TitleMatch(label=label, title=line, line=line_no)
    return None
