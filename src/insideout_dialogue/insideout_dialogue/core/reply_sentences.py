"""Cut a streamed reply into sentences as it arrives, so speech can start before the LLM ends."""

import re

# A sentence ends at . ! ? (or …) followed by whitespace; a few abbreviations do not end one.
_END = re.compile(r"[.!?…]+[\"')\]]*\s+")
_ABBREVIATIONS = ("mr.", "mrs.", "ms.", "dr.", "e.g.", "i.e.", "etc.", "vs.", "st.")
# A clause ends at a comma, semicolon or dash followed by whitespace.
_CLAUSE_END = re.compile(r"[,;\u2014\u2013]\s+")
# Or, for a phrase break, before one of these words (a new clause or phrase starts there:
# "You could have a nice dinner | with your friends"); not "to", "that", "in", which more often
# continue the phrase ("try | to relax" sounds broken).
_PHRASE_STARTS = re.compile(
    r"\s+(?=(?:and|or|but|so|because|while|when|with|by|for|since|after|before|until|unless|"
    r"although|though|where|which|like)\s)",
    re.IGNORECASE,
)


class SentenceStream:
    """Feed text pieces; get back the sentences they completed."""

    def __init__(self, min_chars: int = 2):
        self._buffer = ""
        self._min_chars = min_chars

    def feed(self, piece: str) -> list[str]:
        self._buffer += piece
        sentences = []
        start = 0
        for match in _END.finditer(self._buffer):
            candidate = self._buffer[start : match.end()].strip()
            if candidate.lower().endswith(_ABBREVIATIONS) or len(candidate) < self._min_chars:
                continue
            sentences.append(candidate)
            start = match.end()
        self._buffer = self._buffer[start:]
        return sentences

    @property
    def pending(self) -> str:
        """The unfinished sentence so far."""
        return self._buffer

    def take_rest(self) -> str:
        """The unfinished sentence, taken out of the stream (an answer stopped mid-sentence)."""
        rest, self._buffer = self._buffer.strip(), ""
        return rest

    def take_clause(self, min_words: int, phrase_breaks: bool = False) -> str | None:
        """The leading clause of the unfinished sentence, once it has `min_words` words, taken
        out of the stream: a long first sentence can start being spoken at its first pause.
        With `phrase_breaks`, a clause also ends before a word that starts a new phrase
        ("and", "with", "because", ...)."""
        ends = [(m.start(), m.end()) for m in _CLAUSE_END.finditer(self._buffer)]
        if phrase_breaks:
            ends += [(m.start(), m.end()) for m in _PHRASE_STARTS.finditer(self._buffer)]
        for _start, end in sorted(ends):
            clause = self._buffer[:end].strip()
            if len(clause.split()) >= min_words:
                self._buffer = self._buffer[end:]
                return clause
        return None

    def flush(self) -> list[str]:
        """The rest (a last sentence without trailing space or punctuation)."""
        rest, self._buffer = self._buffer.strip(), ""
        return [rest] if rest else []


def split_sentences(text: str) -> list[str]:
    stream = SentenceStream()
    return stream.feed(text) + stream.flush()
