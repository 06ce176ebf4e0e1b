"""An utterance cleaned of characters that are not text, before it reaches a prompt or a log.

Terminal escape sequences recolour or clear the console a log is read on; bidi overrides and
isolates reorder what a reader sees; zero-width and other invisible format characters (Unicode
category Cf, the tag characters among them) hide words from a reader and from filters while the
model still reads them; a line break starts a fake log line. So escape sequences and control and
format characters are removed, line breaks and tabs become spaces, and what was removed is named
(as ASCII, so saying it in a log is safe). A NUL is removed here too, but a ROS string field
usually never carries one: rclpy cuts the string at the NUL when the message is published.
"""

import re
import unicodedata
from collections import Counter
from typing import NamedTuple

# ECMA-48 escape sequences: CSI (ESC [ ... final byte); OSC and the other strings (ESC ] ... BEL
# or ESC \; unterminated, only their ESC ] goes, not the rest of the utterance); the others
# (ESC, intermediate bytes, final byte).
_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)|[ -/]*[0-~])")
_SPACES = re.compile(r"[\t\n\v\f\r\x1c-\x1f\x85\u2028\u2029]")
_NOT_TEXT = ("Cc", "Cf", "Cs")
_NAMED_AT_MOST = 6  # distinct characters named in `removed`; the rest are counted


class Sanitized(NamedTuple):
    text: str
    removed: str  # what was removed, e.g. "U+202E RIGHT-TO-LEFT OVERRIDE"; "" when nothing


def sanitize(text: str) -> Sanitized:
    """`text` without escape sequences and control or format characters (see module doc)."""
    parts = []
    text, escapes = _ESCAPE.subn("", text)
    if escapes:
        parts.append(f"{escapes} ANSI escape sequence{'s' if escapes > 1 else ''}")
    text, spaces = _SPACES.subn(" ", text)
    if spaces:
        parts.append(
            f"{spaces} line break{'s' if spaces > 1 else ''} or tab"
            f"{'s' if spaces > 1 else ''} (made {'spaces' if spaces > 1 else 'a space'})"
        )
    dropped = Counter(c for c in text if unicodedata.category(c) in _NOT_TEXT)
    if dropped:
        text = "".join(c for c in text if c not in dropped)
        named = [_describe(c, count) for c, count in dropped.most_common(_NAMED_AT_MOST)]
        others = sum(dropped.values()) - sum(n for _, n in dropped.most_common(_NAMED_AT_MOST))
        parts.append(", ".join(named + ([f"{others} more"] if others else [])))
    return Sanitized(text, "; ".join(parts))


def _describe(character: str, count: int) -> str:
    name = unicodedata.name(character, "")
    return f"U+{ord(character):04X}{' ' + name if name else ''}{f' x{count}' if count > 1 else ''}"
