"""Time-based smoothing of per-frame emotion estimates, and the face-loss timeout.

The window covers the last `window` seconds of capture time (frame stamps), not the last N frames,
so it means the same at 5 or 60 frames/s. Each sample is weighted by the time it stands for: the
span since the previous sample (clipped to the window). A burst of frames after a stall therefore
does not outvote the steady stream before it, and a frame that follows dropped frames stands for
the gap. The window is emptied when the tracked person changes, so two people never mix.

After the face disappears, the last smoothed state is held for `face_loss_timeout` seconds (short
detector misses are common); past that the state is "no face": zero scores, no label.
"""

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from insideout_common.emotions import LABELS


@dataclass(frozen=True)
class SmoothedEmotion:
    face_detected: bool
    track_id: int
    stamp: float  # capture time of the newest sample in the window (or of the no-face frame)
    scores: np.ndarray = field(default_factory=lambda: np.zeros(len(LABELS)))
    valence: float = 0.0
    arousal: float = 0.0
    window_frames: int = 0

    @property
    def dominant_label(self) -> str:
        return (
            LABELS[int(np.argmax(self.scores))]
            if self.face_detected and self.scores.sum() > 0
            else ""
        )

    @property
    def confidence(self) -> float:
        return float(self.scores.max()) if self.face_detected else 0.0


@dataclass(frozen=True)
class _Sample:
    stamp: float
    scores: np.ndarray
    valence: float
    arousal: float


class EmotionSmoother:
    def __init__(self, window: float = 0.75, face_loss_timeout: float = 1.0):
        if window <= 0 or face_loss_timeout < 0:
            raise ValueError("window must be > 0 and face_loss_timeout >= 0")
        self.window = window
        self.face_loss_timeout = face_loss_timeout
        self._samples: deque[_Sample] = deque()
        self._track_id = 0
        self._last: SmoothedEmotion | None = None

    @property
    def has_face(self) -> bool:
        return self._last is not None and self._last.face_detected

    def reset(self) -> None:
        self._samples.clear()
        self._track_id = 0
        self._last = None

    def add(
        self, stamp: float, track_id: int, scores, valence: float, arousal: float
    ) -> SmoothedEmotion:
        """A frame with the attended face: returns the smoothed state including it."""
        scores = np.asarray(scores, np.float64)
        if scores.shape != (len(LABELS),):
            raise ValueError(f"expected {len(LABELS)} scores, got shape {scores.shape}")
        newest = self._samples[-1].stamp if self._samples else None
        # Another person, or time going backwards (a bag looping, a camera restart): start over.
        if track_id != self._track_id or (newest is not None and stamp < newest):
            self._samples.clear()
        self._track_id = track_id
        self._samples.append(_Sample(stamp, scores, float(valence), float(arousal)))
        self._evict(stamp)
        self._last = self._average()
        return self._last

    def no_face(self, stamp: float) -> SmoothedEmotion:
        """A frame without the attended face: the held state, or "no face" after the timeout."""
        if (
            self._last is not None
            and self._last.face_detected
            and stamp - self._last.stamp <= self.face_loss_timeout
        ):
            return self._last
        self.reset()
        self._last = SmoothedEmotion(face_detected=False, track_id=0, stamp=stamp)
        return self._last

    def _evict(self, now: float) -> None:
        # Keep one sample at or before the window start: it stands for the window's first span.
        start = now - self.window
        while len(self._samples) > 1 and self._samples[1].stamp <= start:
            self._samples.popleft()

    def _average(self) -> SmoothedEmotion:
        samples = list(self._samples)
        newest = samples[-1].stamp
        start = newest - self.window
        in_window = [s for s in samples if s.stamp > start] or samples[-1:]
        weights = []
        for index, sample in enumerate(samples):
            if sample.stamp <= start:
                continue
            if index > 0:
                weights.append(sample.stamp - max(samples[index - 1].stamp, start))
            elif len(samples) > 1:
                # The very first sample has no predecessor: let it stand for the next interval.
                weights.append(samples[1].stamp - sample.stamp)
            else:
                weights.append(1.0)
        weights = np.asarray(weights, np.float64)
        if weights.size == 0 or weights.sum() <= 0:
            weights = np.ones(len(in_window))
        weights /= weights.sum()
        scores = sum(w * s.scores for w, s in zip(weights, in_window))
        total = scores.sum()
        if total > 0:
            scores = scores / total
        return SmoothedEmotion(
            face_detected=True,
            track_id=self._track_id,
            stamp=newest,
            scores=scores,
            valence=float(sum(w * s.valence for w, s in zip(weights, in_window))),
            arousal=float(sum(w * s.arousal for w, s in zip(weights, in_window))),
            window_frames=len(in_window),
        )
