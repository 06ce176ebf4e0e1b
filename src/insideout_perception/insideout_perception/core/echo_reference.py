"""What the robot's loudspeaker plays, by play time: the echo canceller's reference.

tts_node publishes its audio in chunks ahead of time, each stamped with when its first sample
plays. The chunks are kept on one 16 kHz timeline (sample index = play time x 16000) for a few
seconds, so each microphone frame can be matched with what was playing when it was captured;
where nothing was published the reference is silence.
"""

from collections import deque

import numpy as np

from insideout_common.pcm import PcmDecoder, StreamingResampler

SAMPLE_RATE = 16000
# A chunk starting within this of where the previous one ended continues it: tts_node's stamps
# jitter by a few milliseconds, and the audio itself has no gaps.
CONTINUITY_TOLERANCE_S = 0.02


class EchoReference:
    """S16LE mono chunks at the speaker's sample rate in, 16 kHz float32 by play time out."""

    def __init__(self, keep_s: float = 4.0, source_rate: int = SAMPLE_RATE):
        self.keep_samples = int(keep_s * SAMPLE_RATE)
        self._decoder = PcmDecoder("S16LE", 1)
        self._chunks: deque[tuple[int, np.ndarray]] = (
            deque()
        )  # (first index, samples), oldest first
        self._held = 0  # samples in _chunks
        self.set_source_rate(source_rate)

    @property
    def end_time(self) -> float | None:
        """When the newest audio stops playing (None before any)."""
        return None if self._next_index is None else self._next_index / SAMPLE_RATE

    def set_source_rate(self, sample_rate: int) -> None:
        self.source_rate = int(sample_rate)
        self._resampler = StreamingResampler(self.source_rate, SAMPLE_RATE)
        self._decoder.reset()
        self._next_source_time: float | None = None  # where a continuing chunk would start
        self._next_index: int | None = None  # where its resampled audio goes

    def add(self, pcm: bytes, play_time: float) -> None:
        """One chunk of the speaker's audio whose first sample plays at `play_time` [s]."""
        samples = self._decoder.decode(pcm)[:, 0]
        if not len(samples):
            return
        expected = self._next_source_time
        if expected is None or abs(play_time - expected) > CONTINUITY_TOLERANCE_S:
            # A new stretch of speech (or a clock jump): place it by its own stamp. The filter
            # tail of the previous stretch (a few samples) is not worth flushing.
            self._resampler.reset()
            self._next_index = int(round(play_time * SAMPLE_RATE))
            expected = play_time
        self._next_source_time = expected + len(samples) / self.source_rate
        resampled = self._resampler.process(samples)
        if len(resampled):
            self._cut_from(self._next_index)
            self._chunks.append((self._next_index, resampled))
            self._next_index += len(resampled)
            self._held += len(resampled)
        while self._held > self.keep_samples:  # bounded, whatever the stamps say
            _, dropped = self._chunks.popleft()
            self._held -= len(dropped)

    def _cut_from(self, index: int) -> None:
        """Forget what was to play from `index` on: newer audio replaces it (a stamp earlier than
        the audio before it: a clock jump, or a reply that replaced a stopped one). Keeps the
        chunks in play order without overlaps."""
        while self._chunks and self._chunks[-1][0] + len(self._chunks[-1][1]) > index:
            start, samples = self._chunks.pop()
            self._held -= len(samples)
            if start < index:
                self._chunks.append((start, samples[: index - start]))
                self._held += index - start

    def read(self, first_index: int, count: int) -> np.ndarray:
        """`count` samples of what plays from 16 kHz sample index `first_index` on (zeros where
        nothing does, or where it was dropped as too old)."""
        out = np.zeros(count, dtype=np.float32)
        end = first_index + count
        for start, samples in reversed(self._chunks):  # newest first: the microphone lags little
            stop = start + len(samples)
            if stop <= first_index:
                break
            if start >= end:
                continue
            lo, hi = max(start, first_index), min(stop, end)
            out[lo - first_index : hi - first_index] = samples[lo - start : hi - start]
        return out
