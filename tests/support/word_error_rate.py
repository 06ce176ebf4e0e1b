"""Word error rate between a reference sentence and a transcript (tests and benchmarks only)."""

import re

_WORD = re.compile(r"[a-z0-9']+")
# Whisper writes contractions that the reference may spell out (and vice versa).
_EXPANSIONS = {
    "i'm": "i am",
    "you're": "you are",
    "it's": "it is",
    "don't": "do not",
    "can't": "cannot",
    "won't": "will not",
    "that's": "that is",
    "what's": "what is",
}
# Whisper writes small numbers as digits or words, whichever the reference did not.
_NUMBERS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
}


def normalised_words(text: str) -> list[str]:
    words = []
    for word in _WORD.findall(text.lower()):
        words.extend(_NUMBERS.get(part, part) for part in _EXPANSIONS.get(word, word).split())
    return words


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, on normalised words."""
    ref, hyp = normalised_words(reference), normalised_words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, hyp_word in enumerate(hyp, 1):
            current[j] = min(
                previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word)
            )
        previous = current
    return previous[-1] / len(ref)
