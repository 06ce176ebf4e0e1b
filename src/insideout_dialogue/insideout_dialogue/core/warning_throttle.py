"""Throttle warnings per kind, counting what was held back so nothing goes unmentioned.

ROS loggers throttle per call site, so one flood (say, empty replies) would hide a different
problem logged from the same place; here each kind of warning has its own budget.
"""

import threading
import time
from typing import Callable, Dict, Optional


class WarningThrottle:
    def __init__(self, period: float = 2.0, now: Callable[[], float] = time.monotonic):
        self.period = period
        self._now = now
        self._last: Dict[str, float] = {}
        self._suppressed: Dict[str, int] = {}
        self._lock = threading.Lock()  # warnings come from the executor and the speech threads

    def filter(self, kind: str, message: str) -> Optional[str]:
        """The message to log now (with a count of the ones held back), or None to hold it back."""
        now = self._now()
        with self._lock:
            if now - self._last.get(kind, float("-inf")) < self.period:
                self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
                return None
            self._last[kind] = now
            held = self._suppressed.pop(kind, 0)
        return f"{message} ({held} more like this in the last {self.period:g} s)" if held else message
