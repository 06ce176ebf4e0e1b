"""At most one update per key per interval: a live view needs about ten updates a second, not one
per token (a fast server streams 4 x 80 tokens/s) or per camera frame (30 EmotionStates/s)."""

import time
from collections.abc import Callable, Hashable


class PerKeyThrottle:
    """`due(key)` is True at most once per `interval` seconds per key; interval 0: always."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic):
        self.interval = interval
        self._clock = clock
        self._last: dict[Hashable, float] = {}

    def due(self, key: Hashable) -> bool:
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            return False
        self._last[key] = now
        return True
