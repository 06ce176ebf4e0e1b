"""Answers of an emotion agent that are no thought of its own.

A 1.5B model slips out of its persona on harmless turns:
- into an assistant's stock refusal ("I'm sorry, but I can't assist with that.": the anger agent
  answered "Hi there!" so in 5 of 32 turns of eval_dialogue), or a help desk's request for
  context ("I'm sorry, but I don't have any information about what you said.", the anger agent to
  "Hi there!"; "I'm not sure what you're looking for." to "Tell me something to cheer me up.");
- or into the user's own words ("My dog died last week and I can't stop crying." from the
  sadness agent; "The low robot, I passed my exam today." from the anger agent in the demo),
  which spoken by the robot say the opposite of what it means.
Such an answer is no thought to blend, and no first reaction to speak.
"""

import re

_I_CANNOT = r"I(?:'m| am) (?:unable|not able) to|I (?:can(?:'|no)?t|cannot|won't)"
_REFUSAL = re.compile(
    r"\bas an ai\b|\blanguage model\b|\bI(?:'m| am) (?:just )?an? (?:AI|artificial)"
    rf"|\b(?:{_I_CANNOT}) (?:help (?:you|with)|assist|do that|provide|comply|engage|discuss|answer)"
    rf"|\bsorry, but (?:{_I_CANNOT}|I (?:don't|do not) (?:have|know|understand)"
    r"|I(?:'m| am) not sure)"
    r"|\bI(?:'m| am) not sure what you(?:'re| are) "
    r"(?:looking for|asking|referring to|talking about)"
    r"|\bprovide (?:me with )?more (?:information|context|details)|\bclarify (?:your|the) question",
    re.IGNORECASE,
)
# This many of the user's words in a row, in the answer: the user's words, not the agent's.
REPEATED_RUN_WORDS = 6


def refusal(text: str) -> str:
    """The words that make `text` a stock refusal, or "" when it is none."""
    found = _REFUSAL.search(text or "")
    return found.group(0) if found else ""


def repeated_words(text: str, utterance: str) -> str:
    """The longest run of the utterance's words that `text` repeats, when it is
    REPEATED_RUN_WORDS long or the whole utterance (of three words or more); else ""."""
    said, heard = _words(text), _words(utterance)
    longest: list[str] = []
    for start in range(len(said)):
        for other in range(len(heard)):
            length = 0
            while (
                start + length < len(said)
                and other + length < len(heard)
                and said[start + length] == heard[other + length]
            ):
                length += 1
            if length > len(longest):
                longest = said[start : start + length]
    whole = len(heard) >= 3 and len(longest) == len(heard)
    return " ".join(longest) if len(longest) >= REPEATED_RUN_WORDS or whole else ""


def _words(text: str) -> list[str]:
    return re.findall(r"[\w']+", (text or "").lower().replace("\u2019", "'"))
