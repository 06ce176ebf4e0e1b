"""The `max_rate` limit on processed frames: a token bucket, so a camera running at the limit is
never delayed by its own jitter.

A plain "at least 1/max_rate since the last frame" rule makes a 30 frames/s camera wait up to a
whole period whenever a frame arrives a millisecond early, which at a 30 frames/s limit doubles the
latency. With a bucket of two tokens refilled at max_rate, early frames use the spare token; the
long-run rate still never exceeds max_rate (plus the burst of two).
"""


class FrameRateLimiter:
    BURST = 2.0

    def __init__(self, max_rate: float, now: float):
        # max_rate 0 (or less): no limit.
        self.period = 1.0 / max_rate if max_rate > 0 else 0.0
        self._tokens = self.BURST
        self._updated = now

    def wait_time(self, now: float) -> float:
        """Seconds to wait before the next frame may be processed (0: go ahead)."""
        if self.period == 0.0:
            return 0.0
        self._refill(now)
        return 0.0 if self._tokens >= 1.0 else (1.0 - self._tokens) * self.period

    def take(self, now: float) -> None:
        """Count one processed frame."""
        if self.period:
            self._refill(now)
            self._tokens = max(self._tokens - 1.0, 0.0)

    def _refill(self, now: float) -> None:
        self._tokens = min(self.BURST, self._tokens + max(now - self._updated, 0.0) / self.period)
        self._updated = now
