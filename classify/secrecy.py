"""Classified material (涉密): documents marked 秘密, 机密 or 绝密 must not be processed.

The marking sits at the top of the first page, as the level, a star and the
secrecy period ("机密★1年", "绝密★长期", "秘密★6个月"), or as the level alone on
its own short line.  Only the first lines are read: the words occur in ordinary
text too (商业秘密, 保守国家秘密) and must not refuse a contract.  OCR often reads
the star as * or ☆, misreads or drops it, so "level, one character, period" counts.
"""

from __future__ import annotations

import re
import unicodedata

from edossier.errors import ClassifiedMaterialError

TOP_LINES = 5
MAX_LINE_CHARS = 24
_LEVEL = r"(?P<level>绝密|机密|秘密)"
_PERIOD = r"(?:长期|[0-9一二三四五六七八九十]+(?:年|个月|月))"
# The star, or a period after the level with the star lost or misread (Tesseract reads
# "机密★1年" as "机密广1年").
_STARRED = re.compile(_LEVEL + r"(?:[★☆*＊]+" + _PERIOD + r"?|.?" + _PERIOD + r")")
_ALONE = re.compile(r"^" + _LEVEL + r"$")


def secrecy_marking(text: str) -> str | None:
    """The marking found at the top of TEXT ("机密★1年"), or None."""
    lines = []
    for line in unicodedata.normalize("NFKC", text).splitlines():
        squeezed = re.sub(r"[\s\u3000]+", "", line)
        if squeezed:
            lines.append(squeezed)
        if len(lines) >= TOP_LINES:
            break
    for line in lines:
        if len(line) > MAX_LINE_CHARS:  # a marking stands apart, not inside prose
            continue
        if _ALONE.match(line):
            return line
        for match in _STARRED.finditer(line):
            if match.start() == 0 or match.end() == len(line):  # top left or top right
                return match.group()
    return None


def refuse_classified(text: str, name: str) -> None:
    """Raise ClassifiedMaterialError when TEXT carries a secrecy marking."""
    marking = secrecy_marking(text)
    if marking is not None:
        raise ClassifiedMaterialError(
            name,
            f"marked {marking}: classified material (涉密) must not be processed on this platform; refused",
        )
