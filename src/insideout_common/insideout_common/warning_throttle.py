"""The one warning throttle of every node: per kind of problem, counting what was held back so
nothing goes unmentioned.

ROS loggers throttle per call site, so one flood (say, empty replies) would hide a different
problem logged from the same place; here each kind of warning has its own budget. A message's
kind defaults to its text with the numbers masked (same problem, different numbers).
"""

import re
import threading
import time
from collections.abc import Callable

# How often one kind of warning may be logged [s]: bad input at camera or audio rate stays readable.
WARNING_PERIOD_S = 5.0


def kind_of(message: str) -> str:
    return re.sub(r"\d+(\.\d+)?", "#", message)


class WarningThrottle:
    def __init__(self, period: float = WARNING_PERIOD_S, now: Callable[[], float] = time.monotonic):
        self.period = period
        self._now = now
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}
        self._lock = threading.Lock()  # warnings come from the executor and the speech threads

    def filter(self, kind: str, message: str, period: float | None = None) -> str | None:
        """The message to log now (with a count of the ones held back), or None to hold it back.
        `kind` "" means kind_of(message); `period` overrides the throttle's for this kind."""
        kind = kind or kind_of(message)
        period = self.period if period is None else period
        now = self._now()
        with self._lock:
            if now - self._last.get(kind, float("-inf")) < period:
                self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
                return None
            self._last[kind] = now
            held = self._suppressed.pop(kind, 0)
        return f"{message} ({held} more like this since the last one logged)" if held else message
