"""Automatic checks of a spoken reply, independent of the node's own speech guard.

Each check returns a short reason or "" (passed). They look for what a listener must never hear:
the prompt's scaffolding, written-text formatting, rambling, loops and refusals.
"""

import re
from collections.abc import Iterable

# "voice" alone is ordinary speech ("your voice sounds tired", "hard to hear the voices" under
# loud music: both flagged before); the prompts no longer call the thoughts voices, a reply
# leaking the idea names them so: "the four voices", "inner voices", "the voices above".
_SCAFFOLDING = re.compile(
    r"\bweights?\b|\bagents?\b|\binner thoughts?\b"
    r"|\b(?:emotional|inner|emotion|four|other|different)\s+voices?\b"
    r"|\bvoices?\s+(?:of (?:happiness|sadness|fear|anger|joy)|above|below|in my head)\b"
    r"|\byour thoughts\s*:"
    r"|\bthe (?:person|user)\b|\bthoughts? fits?\b|\b(?:here'?s|here is) an? [\w ]*response\b"
    r"|\b(?:system|user|assistant)\s*:"
    r"|<\|[^|>]*\|>|\b(?:happiness|sadness|fear|anger|joy)\s*[:(\]]"
    r"|\bInside Out\b|\bexample\s*:",
    re.IGNORECASE,
)
_LIST = re.compile(r"(^|\n)\s*(?:[-*•+]|\d{1,2}[.)])\s+\S")
_MARKDOWN = re.compile(r"\*\*|__|`|^#{1,6}\s|\[[^\]]+\]\([^)]*\)|~~", re.MULTILINE)
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f1e6-\U0001f1ff"
    "\U00002b00-\U00002bff\ufe0f\u200d]"
)
_REFUSAL = re.compile(
    r"\bas an ai\b|\blanguage model\b|\bI(?:'m| am) (?:just )?an? (?:AI|artificial)"
    r"|\bI (?:can(?:'|no)?t|cannot|am unable to|am not able to) "
    r"(?:help(?! but\b)|assist|do that|provide)"
    r"|\bI(?:'m| am) sorry, but I\b",
    re.IGNORECASE,
)
MAX_WORDS = 60


def words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.lower())


def repeated_4gram(text: str) -> str:
    tokens = words(text)
    seen = set()
    for i in range(len(tokens) - 3):
        gram = tuple(tokens[i : i + 4])
        if gram in seen:
            return " ".join(gram)
        seen.add(gram)
    return ""


# This many words in a row from a prompt the turn's LLMs were given: the prompt read back.
PROMPT_RUN_WORDS = 7


def prompt_run(text: str, prompts: Iterable[str]) -> str:
    """The first PROMPT_RUN_WORDS words of `text` in a row that one of `prompts` has, or ""."""
    said = words(text)
    runs = {
        tuple(p[i : i + PROMPT_RUN_WORDS])
        for p in map(words, prompts)
        for i in range(len(p) - PROMPT_RUN_WORDS + 1)
    }
    for i in range(len(said) - PROMPT_RUN_WORDS + 1):
        if tuple(said[i : i + PROMPT_RUN_WORDS]) in runs:
            return " ".join(said[i : i + PROMPT_RUN_WORDS])
    return ""


def check_reply(text: str, prompts: Iterable[str] = ()) -> dict[str, str]:
    """{check name: reason} for every failed check (empty dict: the reply is clean).
    `prompts`: the texts the turn's LLMs were given; a reply reading one back is scaffolding."""
    problems = {}
    for name, pattern in (
        ("scaffolding", _SCAFFOLDING),
        ("list", _LIST),
        ("markdown", _MARKDOWN),
        ("emoji", _EMOJI),
        ("refusal", _REFUSAL),
    ):
        found = pattern.search(text)
        if found:
            problems[name] = found.group(0).strip()
    run = prompt_run(text, prompts)
    if run and "scaffolding" not in problems:
        problems["scaffolding"] = f"a prompt's words ({run!r})"
    count = len(words(text))
    if count > MAX_WORDS:
        problems["over 60 words"] = str(count)
    gram = repeated_4gram(text)
    if gram:
        problems["repeated 4-gram"] = gram
    if not text.strip():
        problems["empty"] = "no words"
    return problems


CHECKS = (
    "scaffolding",
    "list",
    "markdown",
    "emoji",
    "refusal",
    "over 60 words",
    "repeated 4-gram",
    "empty",
)
# The ones the "Done when" requires to be zero.
MUST_BE_ZERO = ("scaffolding", "list", "markdown", "emoji")
