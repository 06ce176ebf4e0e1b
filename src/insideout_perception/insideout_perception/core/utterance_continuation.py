"""A question the user finishes after a pause: speech that resumes soon after an utterance's
final transcript, before the robot has begun to answer, continues that utterance.

The continued utterance keeps the earlier one's id, and its audio is the earlier audio followed by
the new, so the recogniser transcribes the whole question at once and the dialogue can drop the
turn it started on the first part (the robot never answers half a question).
"""

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Spans = tuple[tuple[float, float], ...]
SAMPLE_RATE = 16000


@dataclass(frozen=True)
class FinishedUtterance:
    utterance_id: int
    audio: np.ndarray  # as handed to the recogniser (with pre-roll and tail)
    text: str  # its final transcript, once known
    start_sample: int  # voiced span in stream samples
    end_sample: int
    start_time: float  # stream time of start_sample
    speech_spans: Spans = ()  # voice in `audio`, seconds
    finished_at: float = 0.0  # monotonic [s] when it was handed over


class UtteranceContinuation:
    def __init__(
        self,
        window_s: float,
        max_audio_s: float,
        sample_rate: int,
        now: Callable[[], float] = time.monotonic,
    ):
        """`window_s`: how soon after the end of an utterance's speech new speech continues it
        (0: never), in the stream and on the clock (a stalled stream does not stretch it);
        `max_audio_s`: an utterance this long is not continued (keeps the joined audio within
        what the recogniser reads)."""
        self._window_s = window_s
        self._window = int(window_s * sample_rate)
        self._max_samples = int(max_audio_s * sample_rate)
        self._now = now
        self._last: FinishedUtterance | None = None
        self._lock = threading.Lock()  # the feed thread and the recognition worker both use it

    def finished(self, utterance: FinishedUtterance) -> None:
        """The utterance's final was handed to the recogniser: it may be continued."""
        utterance = dataclasses.replace(utterance, finished_at=self._now())
        with self._lock:
            self._last = utterance if len(utterance.audio) < self._max_samples else None

    def recognised(self, utterance_id: int, text: str) -> None:
        with self._lock:
            if self._last is not None and self._last.utterance_id == utterance_id:
                self._last = dataclasses.replace(self._last, text=text)

    def forget(self) -> None:
        """The robot answered (or listening restarted): what follows is a new utterance."""
        with self._lock:
            self._last = None

    def continued_by(self, speech_start_sample: int) -> FinishedUtterance | None:
        """The utterance that speech starting here continues, if any (taken: asked once)."""
        with self._lock:
            last, self._last = self._last, None
        if last is None or self._window <= 0:
            return None
        if (
            speech_start_sample - last.end_sample > self._window
            or self._now() - last.finished_at > self._window_s + 1.0
        ):
            return None
        return last


def joined(
    earlier: FinishedUtterance, audio: np.ndarray, speech_spans: Spans = ()
) -> tuple[np.ndarray, Spans]:
    """The earlier utterance's audio, then the new (each keeps its own pre-roll and tail, so the
    pause between them stays audible to the recogniser as a short silence), and the voice in it."""
    shift = len(earlier.audio) / SAMPLE_RATE
    spans = tuple(earlier.speech_spans) + tuple((a + shift, b + shift) for a, b in speech_spans)
    return np.concatenate([earlier.audio, audio.astype(np.float32, copy=False)]), spans
