"""The last N turns of the conversation, forgotten after a silence or on request.

A reply the user talked over is kept as what they heard of it, marked interrupted (the prompts
say so), so the next answer neither assumes the rest was said nor repeats what was.
"""

import time
from collections import deque
from collections.abc import Callable

from insideout_dialogue.core.prompts import PastTurn


class ConversationMemory:
    def __init__(self, max_turns: int, expiry: float, clock: Callable[[], float] = time.monotonic):
        """`max_turns` 0 disables memory; `expiry` [s] 0 means never expire."""
        # (turn id or None, PastTurn), oldest first
        self._turns: deque = deque(maxlen=max(max_turns, 0) or None)
        self._max_turns = max_turns
        self._expiry = expiry
        self._clock = clock
        self._last_activity = clock()

    def _expire(self) -> None:
        if self._expiry > 0 and self._clock() - self._last_activity > self._expiry:
            self._turns.clear()

    def history(self) -> list[PastTurn]:
        """The remembered turns, oldest first; empty after the expiry silence."""
        self._expire()
        return [turn for _, turn in self._turns] if self._max_turns > 0 else []

    def add(
        self, user_text: str, reply: str, turn_id: int | None = None, interrupted: bool = False
    ) -> None:
        self._expire()
        if self._max_turns > 0:
            self._turns.append((turn_id, PastTurn(user_text, reply, interrupted)))
        self._last_activity = self._clock()

    def interrupt(self, turn_id: int, heard: str) -> bool:
        """Turn `turn_id`, remembered with its whole reply, was cut off after `heard`: keep only
        that, marked. False when it is not remembered (failed, expired or pushed out)."""
        for index, (remembered_id, turn) in enumerate(self._turns):
            if remembered_id == turn_id:
                self._turns[index] = (turn_id, turn._replace(reply=heard, interrupted=True))
                return True
        return False

    def reset(self) -> int:
        """Forget everything; returns how many turns were forgotten."""
        count = len(self._turns)
        self._turns.clear()
        self._last_activity = self._clock()
        return count

    def __len__(self) -> int:
        self._expire()
        return len(self._turns)
