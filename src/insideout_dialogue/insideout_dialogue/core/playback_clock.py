"""When to send each audio chunk so it goes out at playback speed, and when the audio ends.

Chunks are sent `lead_seconds` before they are due to play, so a player's buffer never runs dry on
transport jitter, yet never more than that ahead: robot_speaking then tracks the sound itself, and a
stop takes effect within `lead_seconds`.
"""

import time
from collections.abc import Callable


class PlaybackClock:
    def __init__(self, lead_seconds: float = 0.2, now: Callable[[], float] = time.monotonic):
        if lead_seconds < 0:
            raise ValueError(f"lead_seconds must be >= 0, got {lead_seconds}")
        self.lead_seconds = lead_seconds
        self._now = now
        self._end = float("-inf")  # when the audio sent so far has finished playing

    @property
    def end_time(self) -> float:
        return self._end

    def playing(self) -> bool:
        return self._now() < self._end

    def next_play_start(self) -> float:
        """Play-out time of the next chunk: right after the audio sent so far, or now after a
        gap."""
        return max(self._end, self._now())

    def send_delay(self) -> float:
        """Seconds to wait before sending the next chunk."""
        return max(0.0, self.next_play_start() - self.lead_seconds - self._now())

    def advance(self, duration: float) -> float:
        """Account for a chunk of `duration` seconds just sent; returns its play-out start time."""
        start = self.next_play_start()
        self._end = start + duration
        return start
