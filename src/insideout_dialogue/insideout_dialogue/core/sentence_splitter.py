"""Cut a reply into speakable pieces, lazily, so speech can start after the first sentence.

A reply is spoken sentence by sentence: the first sentence is synthesised and playing while the
next one is synthesised. A sentence longer than `max_chars` (an LLM that never puts a full stop)
is cut at clause punctuation, then at a space, then hard, so no single synthesis call (and no audio
buffer) grows with the reply's length.
"""

import re
import unicodedata
from collections.abc import Iterator

# End of a sentence: terminal punctuation, optional closing quotes/brackets, then whitespace;
# or a line break (LLMs put list items and paragraphs on their own lines).
_SENTENCE_END = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*\s+|\n+")
_CLAUSE_END = re.compile(r"[,;:\u2014\u2013]\s+")
# A full stop after these does not end a sentence ("Dr. Smith", "e.g. this").
_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "st",
    "jr",
    "sr",
    "vs",
    "etc",
    "e.g",
    "i.e",
    "no",
    "fig",
    "approx",
    "mt",
}
# Markdown and markup an LLM reply may carry, which a voice would read out as "asterisk".
_MARKUP = re.compile(r"[*_#`~|<>\[\]{}^\\]+")
_WHITESPACE = re.compile(r"[ \t\r\f\v]+")
_SPEAKABLE = re.compile(r"\w")


def clean_for_speech(text: str) -> str:
    """Drop control characters and markup symbols; keep line breaks as sentence boundaries."""
    kept = []
    for char in text:
        if char == "\n" or not unicodedata.category(char).startswith("C"):
            kept.append(char)
        else:
            kept.append(" ")
    cleaned = _MARKUP.sub(" ", "".join(kept))
    return _WHITESPACE.sub(" ", cleaned).strip()


def is_speakable(text: str) -> bool:
    """True when the text has at least one letter or digit (punctuation alone makes no speech)."""
    return bool(_SPEAKABLE.search(text))


def _ends_with_abbreviation(piece: str) -> bool:
    words = piece.rstrip().rstrip(".").split()
    return bool(words) and words[-1].lower().lstrip("(\"'") in _ABBREVIATIONS


def _cut_point(text: str, limit: int) -> int:
    """Where to cut text longer than limit: after the last clause mark, else at the last space,
    else (one endless "word") hard at the limit."""
    window = text[: limit + 1]
    cut = -1
    for match in _CLAUSE_END.finditer(window):
        cut = match.end()
    if cut <= 0:
        cut = window.rfind(" ")
    return cut if cut > 0 else limit


def _cut_long(sentence: str, max_chars: int) -> Iterator[str]:
    """Cut one over-long sentence into pieces of at most max_chars."""
    rest = sentence
    while len(rest) > max_chars:
        cut = _cut_point(rest, max_chars)
        piece = rest[:cut].strip()
        if piece:
            yield piece
        rest = rest[cut:].lstrip()
    if rest.strip():
        yield rest.strip()


def split_sentences(text: str, max_chars: int = 250, first_max_chars: int = 0) -> Iterator[str]:
    """Yield the speakable pieces of `text` in order, each at most `max_chars` characters.

    `first_max_chars` (when set) bounds the first piece more tightly: speech starts once the first
    piece is synthesised, so a long first sentence is cut at a comma (or space) to start sooner.
    """
    if max_chars < 20 or (first_max_chars and first_max_chars < 20):
        raise ValueError(
            f"max_chars and first_max_chars must be at least 20, got {max_chars}, {first_max_chars}"
        )
    pieces = _split(text, max_chars)
    if first_max_chars:
        first = next(pieces, None)
        if first is None:
            return
        if len(first) > first_max_chars:
            cut = _cut_point(first, first_max_chars)
            yield first[:cut].strip()
            first = first[cut:].strip()
        if first:
            yield first
    yield from pieces


def _split(text: str, max_chars: int) -> Iterator[str]:
    text = clean_for_speech(text)
    start = 0
    pending = ""
    for match in _SENTENCE_END.finditer(text):
        piece = text[start : match.end()]
        start = match.end()
        if "\n" not in match.group() and _ends_with_abbreviation(piece):
            pending += piece
            continue
        sentence = (pending + piece).strip()
        pending = ""
        if is_speakable(sentence):
            yield from _cut_long(sentence, max_chars)
    sentence = (pending + text[start:]).strip()
    if is_speakable(sentence):
        yield from _cut_long(sentence, max_chars)


def truncate_reply(text: str, max_chars: int) -> str:
    """The reply cut to at most max_chars, at the last sentence end (or space) before the limit."""
    if len(text) <= max_chars:
        return text
    window = text[:max_chars]
    cut = -1
    for match in _SENTENCE_END.finditer(window):
        cut = match.end()
    if cut <= 0:
        cut = window.rfind(" ")
    if cut <= 0:
        cut = max_chars
    return window[:cut].rstrip()
