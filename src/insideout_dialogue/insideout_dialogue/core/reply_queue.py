"""Replies waiting to be spoken: bounded, in order, with a reason for every reply refused or cut.

Nothing is dropped silently: `offer` returns an Admission whose `warning` the node logs.
"""

import threading
import time
from collections import deque
from dataclasses import dataclass

from .sentence_splitter import clean_for_speech, is_speakable, truncate_reply


@dataclass(frozen=True)
class QueuedReply:
    text: str
    received_at: float  # time.monotonic() when it arrived


@dataclass(frozen=True)
class Admission:
    accepted: bool
    warning: str | None = None  # set when the reply was refused or shortened
    kind: str = ""  # what was wrong: not_text, empty, unspeakable, too_long, queue_full


def preview(text: str, length: int = 60) -> str:
    """The start of a text, on one line, for a log message."""
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= length else flat[:length] + "...")


class ReplyQueue:
    def __init__(self, max_replies: int = 10, max_chars: int = 2000):
        if max_replies < 1 or max_chars < 1:
            raise ValueError("max_replies and max_chars must be >= 1")
        self.max_replies = max_replies
        self.max_chars = max_chars
        self._items: deque[QueuedReply] = deque()
        self._ready = threading.Condition()

    def __len__(self) -> int:
        with self._ready:
            return len(self._items)

    def offer(self, text: object, now: float | None = None) -> Admission:
        if not isinstance(text, str):
            return Admission(
                False, f"reply is not text ({type(text).__name__}); not spoken", "not_text"
            )
        if not text.strip():
            return Admission(False, "empty reply; nothing to speak", "empty")
        if not is_speakable(clean_for_speech(text[: self.max_chars])):
            return Admission(
                False,
                f"reply {preview(text)} has no letters or digits; nothing to speak",
                "unspeakable",
            )
        warning = None
        if len(text) > self.max_chars:
            kept = truncate_reply(text, self.max_chars)
            warning = (
                f"reply of {len(text)} characters is longer than max_reply_chars={self.max_chars}; "
                f"speaking the first {len(kept)} and dropping the rest (from "
                f"{preview(text[len(kept) :])})"
            )
            text = kept
        with self._ready:
            if len(self._items) >= self.max_replies:
                return Admission(
                    False,
                    f"{len(self._items)} replies already waiting "
                    f"(max_queued_replies={self.max_replies}); dropping {preview(text)}",
                    "queue_full",
                )
            self._items.append(QueuedReply(text, time.monotonic() if now is None else now))
            self._ready.notify()
        return Admission(True, warning, "too_long" if warning else "")

    def take(self, timeout: float) -> QueuedReply | None:
        """The oldest reply, or None when none arrives within `timeout` seconds."""
        with self._ready:
            if not self._items:
                self._ready.wait(timeout)
            return self._items.popleft() if self._items else None

    def clear(self) -> int:
        """Drop every waiting reply; returns how many."""
        with self._ready:
            count = len(self._items)
            self._items.clear()
            return count
