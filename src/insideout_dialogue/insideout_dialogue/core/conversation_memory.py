"""The last N turns of the conversation, forgotten after a silence or on request."""

from collections import deque
from typing import Callable, List, Tuple
import time


class ConversationMemory:
    def __init__(self, max_turns: int, expiry: float, clock: Callable[[], float] = time.monotonic):
        """`max_turns` 0 disables memory; `expiry` [s] 0 means never expire."""
        self._turns: deque = deque(maxlen=max(max_turns, 0) or None)
        self._max_turns = max_turns
        self._expiry = expiry
        self._clock = clock
        self._last_activity = clock()

    def _expire(self) -> None:
        if self._expiry > 0 and self._clock() - self._last_activity > self._expiry:
            self._turns.clear()

    def history(self) -> List[Tuple[str, str]]:
        """(user text, reply) pairs, oldest first; empty after the expiry silence."""
        self._expire()
        return list(self._turns) if self._max_turns > 0 else []

    def add(self, user_text: str, reply: str) -> None:
        self._expire()
        if self._max_turns > 0:
            self._turns.append((user_text, reply))
        self._last_activity = self._clock()

    def reset(self) -> int:
        """Forget everything; returns how many turns were forgotten."""
        count = len(self._turns)
        self._turns.clear()
        self._last_activity = self._clock()
        return count

    def __len__(self) -> int:
        self._expire()
        return len(self._turns)
