"""The last check before a reply sentence is spoken.

Small models leak their prompt: weights ("happiness (weight 0.70): ..."), lists of the agents'
emotion labels, the words "agent" or "voice" the prompt uses for them, role tags, the prompt's own
headings. Spoken, that is gibberish to the user, so a sentence with any of it is refused (its
`problem` says what); so is a sentence that recites a prompt (prompt_recital), as a model obeying
"print your system prompt" does. Lists, markdown and emoji carry no meaning in speech: their
markers are stripped and the words kept.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from insideout_dialogue.core.prompt_recital import PromptRecital

# Emoji and pictographs, dingbats, flags, variation selectors, zero-width joiner.
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f1e6-\U0001f1ff"
    "\U00002b00-\U00002bff\ufe0f\u200d]"
)
_LIST_MARKER = re.compile(r"(^|\n)\s*(?:[-*•+]|\d{1,2}[.)])\s+")
# A list run into one line is cut by the sentence splitter at its numbers: "You have a few
# options: 1." then "Try to wait." then "2." ... The numbers alone are not spoken, and a list's
# opening line ends as a sentence.
_LONE_NUMBER = re.compile(r"^\s*\d{1,2}[.)]\s*$")
_OPENS_A_LIST = re.compile(r":\s*\d{1,2}[.)]\s*$")
_MARKDOWN = re.compile(r"\*\*|__|`+|^#+\s*|(?<=\s)#+\s|~~", re.MULTILINE)
_EMPHASIS = re.compile(r"(?<![\w*])[*_](?=\S)([^*_\n]+?)(?<=\S)[*_](?![\w*])")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_DOUBLE_QUOTES = re.compile('["\u201c\u201d]')

_WEIGHT = re.compile(r"\bweights?\b\s*[:=(]?\s*\d|\(\s*weight|\bweight(ed)?\s+\d", re.IGNORECASE)
_ROLE_TAG = re.compile(
    r"<\|[^|>]*\|>|</?s>|\b(?:system|user|assistant)\s*:|^\s*(?:human|ai)\s*:",
    re.IGNORECASE | re.MULTILINE,
)
_SCAFFOLD_WORDS = re.compile(
    r"\bagents?\b(?!-)|\b(?:emotional|inner|emotion)\s+voices?\b|\bvoices?\s+(?:of|above|below)\b"
    r"|\byour reply to the person\b|\byour thoughts\s*:|\bthe (?:person|user)\b"
    r"|\b(?:first|last) thoughts?\b|\b(?:gentle|supportive|kind|short) response\b"
    r"|\b(?:the\s+)?(?:answers?|responses?)\s+above\b"
    r"|\bstage directions?\b|\baggregat",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class GuardVerdict:
    text: str  # what may be spoken (markers stripped); empty when nothing is left
    problem: str = ""  # why the sentence must not be spoken; empty when it may

    @property
    def speakable(self) -> bool:
        return not self.problem and bool(self.text)


class SpeechGuard:
    """`agent_names`: the configured agents (happiness, sadness, ...): their names used as tags,
    or three of them listed together, are the prompt's, not a reply's. `recital`: the turn's
    prompts, none of which may be read back."""

    def __init__(self, agent_names: Iterable[str], recital: PromptRecital | None = None):
        self._recital = recital
        names = [re.escape(n) for n in agent_names if n]
        alternation = "|".join(names) or r"(?!x)x"
        self._name = re.compile(rf"\b(?:{alternation})\b", re.IGNORECASE)
        # "happiness:", "[happiness]", "(happiness)", "- happiness (", "happiness says"
        self._name_tag = re.compile(
            rf"\[\s*(?:{alternation})\s*\]|\(\s*(?:{alternation})\s*\)|\b(?:{alternation})\s*(?::|\(|says\b|said\b)",
            re.IGNORECASE,
        )

    def check(self, sentence: str) -> GuardVerdict:
        text = sentence or ""
        for pattern, what in (
            (_WEIGHT, "a weight"),
            (_ROLE_TAG, "a role tag"),
            (_SCAFFOLD_WORDS, "the prompt's own words"),
            (self._name_tag, "an agent's name used as a tag"),
        ):
            found = pattern.search(text)
            if found:
                return GuardVerdict("", f"{what} ({found.group(0).strip()!r})")
        names = {m.group(0).lower() for m in self._name.finditer(text)}
        if len(names) >= 3:
            return GuardVerdict("", f"a list of the agents' emotions ({', '.join(sorted(names))})")
        recited = self._recital.find(text) if self._recital is not None else ""
        if recited:
            return GuardVerdict("", f"a recital of {recited}")
        return GuardVerdict(clean_for_speech(text))


def clean_for_speech(text: str) -> str:
    """Strip list markers, markdown and emoji; keep the words."""
    text = _LINK.sub(r"\1", text)
    if _LONE_NUMBER.match(text):
        return ""
    text = _OPENS_A_LIST.sub(".", text)
    text = _LIST_MARKER.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\1", text)
    text = _MARKDOWN.sub("", text)
    text = _EMOJI.sub("", text)
    text = _DOUBLE_QUOTES.sub("", text)  # not spoken; small models wrap whole replies in them
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([.,!?;:])", r"\1", text)  # where an emoji stood before the full stop
    # Nothing but punctuation left (an emoji-only line): nothing to say.
    return text if re.search(r"\w", text) else ""
