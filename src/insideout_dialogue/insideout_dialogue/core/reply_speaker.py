"""A turn's reply as it goes out: each sentence checked by the speech guard, then spoken.

After a refused sentence nothing more of the same source is spoken (the rest of a reply whose
sentence leaked scaffolding reads as a fragment); `allow_more` starts a new source. A reply is
`full` once a sentence would take it past `max_words`: nothing more is spoken.
"""

import re
import time

from insideout_dialogue.core.speech_guard import SpeechGuard

_ENDS_SENTENCE = re.compile(r"[.!?\u2026][\"')\]]*\s*$")


class ReplySpeaker:
    def __init__(
        self, guard: SpeechGuard, result, hooks, stage_reply_partial: str, max_words: int = 0
    ):
        """`result`: the TurnResult (first_sentence_latency is set on the first sentence);
        `hooks`: the TurnHooks a sentence and the reply so far go to; `max_words`: the reply's
        length limit (0: none)."""
        self._guard = guard
        self._result = result
        self._hooks = hooks
        self._stage = stage_reply_partial
        self.spoken: list[str] = []
        self.refused: list[str] = []  # why a source stopped being spoken
        self._max_words = max_words
        self.full = False

    def emit(self, sentence: str) -> None:
        """Speak a sentence that passes the guard; after a refused one, speak no more of it."""
        if self.refused or self.full:
            return
        verdict = self._guard.check(sentence)
        if verdict.problem:
            self.refused.append(verdict.problem)
            return
        if not verdict.text:
            return
        if (
            self._max_words
            and self.whole_sentence_spoken()
            and len(self.text.split()) + len(verdict.text.split()) > self._max_words
        ):
            self.full = True
            return
        if not self.spoken:
            self._result.first_sentence_latency = time.monotonic() - self._result.started_at
        self.spoken.append(verdict.text)
        self._hooks.on_sentence(verdict.text)
        self._hooks.on_stage(self._stage, "", self.text)

    def refuse(self, why: str) -> None:
        """Refuse the current source for a reason found outside the guard."""
        self.refused.append(why)

    def allow_more(self) -> None:
        """A new source follows (another answer): a refusal before it does not silence it."""
        self.refused.clear()

    def whole_sentence_spoken(self) -> bool:
        """Whether a complete sentence went out (a first clause alone is not one)."""
        return any(ends_sentence(piece) for piece in self.spoken)

    @property
    def text(self) -> str:
        return " ".join(self.spoken)


def ends_sentence(text: str) -> bool:
    return bool(_ENDS_SENTENCE.search(text))
