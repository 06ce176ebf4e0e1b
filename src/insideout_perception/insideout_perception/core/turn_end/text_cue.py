"""Does a transcript read as a finished sentence? The recogniser's words as a second opinion on
the end of the turn, for when the audio model heard an unfinished one.

Whisper punctuates what it hears: a finished sentence ends in ".", "?" or "!". A sentence
broken off to think usually ends on a word that cannot end one in English ("... and", "... the",
"what should I"), however it was punctuated.
"""

import re

# Words after which an English sentence is not over (articles, conjunctions, prepositions,
# possessives, auxiliaries and a subject pronoun waiting for its verb).
DANGLING_WORDS = frozenset(
    """
a an the and but or nor so because if that which who whose whom when where while although though
unless until than as to of in on at by for with about from into onto over under through between
after before during without within my your his her its our their this these those some any every
each no not is are was were am be been being have has had do does did can could will would shall
should may might must i we you they he she it's i'm we're you're they're he's she's let's very
really just um uh er
""".split()
)
TERMINAL = (".", "?", "!")


def sounds_finished(text: str) -> bool | None:
    """True: reads as a finished sentence; False: broken off; None: nothing to tell by."""
    text = text.strip()
    words = re.findall(r"[a-z']+", text.lower())
    if not words:
        return None
    if words[-1] in DANGLING_WORDS or text.endswith(("...", "…", ",", "-", ":")):
        return False
    return text.endswith(TERMINAL)
