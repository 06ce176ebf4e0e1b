"""The facts and preferences a user states about themselves, noted by the LLM after a turn and
checked before they are kept.

The LLM gets a short structured prompt (NOTE_PROMPT) and answers one "The user ..." statement per
line, or NONE. A small model invents and paraphrases, so a note is kept only when it is a plain
statement about the user, short, not a question or an instruction, and shares a content word
with what the user actually said: "The user is vegetarian." for "I'm vegetarian", never "The user
likes pasta." for "what should I cook?".
"""

import re
from dataclasses import dataclass

from insideout_dialogue.core.person_memory.store import MAX_TEXT_CHARS

NOTE_PROMPT = (
    "You take notes for a robot about the person it talks with. From the person's message, write "
    "each fact or preference they state about themselves that is worth remembering next time "
    "(their name, what they eat or avoid, likes and dislikes, family, pets, work, health, plans "
    'with their day). One per line, each a short sentence starting with "The user". Write only '
    "what the message says, nothing guessed. If it states nothing about the person, write NONE."
)
MAX_NOTES_PER_TURN = 3
MIN_WORDS = 3
# Words that carry no content of their own (a note must share another word with the message).
_FUNCTION_WORDS = frozenset(
    "the user user's users a an and or but is are was were be been am i i'm my me mine to of in "
    "on at for with by from it its this that these those they them their he she his her we our "
    "you your do does did has have had not no yes so as very really also just like likes liked "
    "wants want would will can could should about".split()
)
_NAME = re.compile(
    r"^the user(?:'s name is| is called| wants to be called| likes to be called| goes by)\s+(.+?)"
    r"\.?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Note:
    text: str  # "The user is vegetarian."
    kind: str  # "name" or "fact"


def note_messages(utterance: str) -> list[dict]:
    """The chat messages asking the LLM for notes on one user message."""
    return [
        {"role": "system", "content": NOTE_PROMPT},
        {"role": "user", "content": utterance},
    ]


def _words(text: str) -> set[str]:
    return {w.rstrip("s") for w in re.findall(r"[a-z0-9']+", text.lower())} - _FUNCTION_WORDS


def parse_notes(answer: str, utterance: str) -> list[Note]:
    """The notes worth keeping from the LLM's answer to `note_messages(utterance)`."""
    said = _words(utterance)
    notes: list[Note] = []
    for line in answer.splitlines():
        text = re.sub(r"^\s*(?:[-*\u2022]|\d+[.)])\s*", "", line).strip().strip('"')
        if not text or text.upper().startswith("NONE"):
            continue
        if not text.lower().startswith("the user") or "?" in text:
            continue
        words = text.split()
        if len(words) < MIN_WORDS or len(text) > MAX_TEXT_CHARS:
            continue
        if not _words(text) & said:
            continue  # nothing the user said: guessed or invented
        text = text if text.endswith((".", "!")) else text + "."
        name = _NAME.match(text)
        notes.append(Note(text, "name" if name else "fact"))
        if len(notes) == MAX_NOTES_PER_TURN:
            break
    return notes
