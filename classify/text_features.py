"""What the classifier sees of a text: placeholder-free, width-folded character n-grams.

Court templates are full of blanks (××, ＿＿, ……) that filed documents never
carry, and OCR spaces out wide titles; both are folded away before counting so
the model learns words, not layout accidents.  The title lines get their own
features because the title names the type in most court papers.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

NGRAM_RANGE = (1, 3)
TITLE_LINES = 3
HEAD_CHARS = 4000
TAIL_CHARS = 1000
TITLE_MARK = "^"

# Blanks and box drawing, before and after width folding (…… folds to ......).
_PLACEHOLDER = re.compile(r"[×xX＊*＿_…．.·○□■\-—─━│┌┐└┘├┤┬┴┼]{2,}|[×＿…□│┌┐└┘]")
_SPACES = re.compile(r"[ \t\u3000\u00a0]+")
_TITLE_NOISE = re.compile(r"[\s\u3000（）()〔〕\[\]【】：:、，,。.·]")


def normalize_text(text: str) -> str:
    """Fold width (NFKC) and drop placeholder runs and inner spaces; keep line breaks."""
    text = _PLACEHOLDER.sub("", unicodedata.normalize("NFKC", _PLACEHOLDER.sub("", text)))
    lines = (_SPACES.sub("", line) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def title_lines(normalized: str, count: int = TITLE_LINES) -> list[str]:
    """The first COUNT non-empty lines, stripped of brackets and punctuation."""
    found = []
    for line in normalized.splitlines():
        squeezed = _TITLE_NOISE.sub("", line)
        if squeezed:
            found.append(squeezed)
        if len(found) >= count:
            break
    return found


def _ngrams(text: str, counts: Counter[str], prefix: str = "") -> None:
    low, high = NGRAM_RANGE
    for line in text.split("\n"):
        for n in range(low, high + 1):
            counts.update(prefix + line[i : i + n] for i in range(len(line) - n + 1))


def features(text: str) -> Counter[str]:
    """Character n-gram counts of the head and tail of the body, plus marked title n-grams."""
    normalized = normalize_text(text)
    body = normalized if len(normalized) <= HEAD_CHARS + TAIL_CHARS else (
        normalized[:HEAD_CHARS] + "\n" + normalized[-TAIL_CHARS:]
    )
    counts: Counter[str] = Counter()
    _ngrams(body, counts)
    for line in title_lines(normalized):
        _ngrams(line[:24], counts, TITLE_MARK)
    return counts
