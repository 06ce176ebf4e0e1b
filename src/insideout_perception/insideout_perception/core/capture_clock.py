"""When each microphone sample was captured, steady enough to line up with the speaker's audio.

Chunk times jitter (arrival times more so: a busy executor delivers chunks late, then in a
burst), but the samples themselves come at a steady rate. So each chunk gives a candidate for the
time of sample 0 (its time minus the samples before it), and the clock takes the earliest
candidate of the last few seconds: the chunk that was least delayed. That follows a slow drift
between the sound card's clock and the system's, and ignores late chunks. Time that jumps ahead
by more than `gap_s` (samples that never arrived: a muted or restarted stream) starts afresh.
"""

from collections import deque


class CaptureClock:
    def __init__(
        self, sample_rate: int, capture_stamps: bool, window_s: float = 5.0, gap_s: float = 0.5
    ):
        """`capture_stamps`: chunk times are when their first sample was captured (stamped
        audio); otherwise they are arrival times, after the chunk's last sample."""
        self.sample_rate = sample_rate
        self.capture_stamps = capture_stamps
        self.window = int(window_s * sample_rate)
        self.gap_s = gap_s
        # (first sample, candidate time of sample 0), candidates increasing: a monotonic queue
        # whose front is the window's minimum.
        self._candidates: deque[tuple[int, float]] = deque()

    @property
    def started(self) -> bool:
        return bool(self._candidates)

    def observe(self, chunk_time: float, first_sample: int, samples: int) -> None:
        first_time = chunk_time if self.capture_stamps else chunk_time - samples / self.sample_rate
        candidate = first_time - first_sample / self.sample_rate
        zero = self.zero_time()
        if zero is not None and candidate - zero > self.gap_s:
            self._candidates.clear()
        while self._candidates and self._candidates[-1][1] >= candidate:
            self._candidates.pop()
        self._candidates.append((first_sample, candidate))
        while self._candidates[0][0] < first_sample - self.window:
            self._candidates.popleft()

    def zero_time(self) -> float | None:
        return self._candidates[0][1] if self._candidates else None

    def time_of(self, sample: int) -> float:
        return self._candidates[0][1] + sample / self.sample_rate
