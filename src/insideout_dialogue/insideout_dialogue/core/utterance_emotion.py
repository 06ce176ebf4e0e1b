"""How the user looked while they spoke: the EmotionStates between an utterance's start and end,
each weighted by the time it stood for.

The latest EmotionState alone is how the user looks when the transcript arrives, after they
stopped talking (and a frown at the end would outvote a smile through the whole question). Each
state stands from its stamp until the next one (at most `hold_seconds`: fer_node publishes one
per frame, so a longer silence means it stopped); the one before the utterance began stands for
its first moments. Stretches without a face count as no face; the scores are the mean over the
time a face was seen.
"""

from collections import deque
from dataclasses import dataclass

from insideout_dialogue.core.emotion_weights import EmotionReading


@dataclass(frozen=True)
class UtteranceEmotion:
    reading: EmotionReading  # the time-weighted mean (received_at: when it was made)
    states: int  # EmotionStates that fell in the utterance (plus the one standing at its start)
    face_seconds: float  # how long a face was seen while the user spoke
    span_seconds: float  # the utterance's length

    def describe(self) -> str:
        return (
            f"during the utterance: {self.states} EmotionStates over {self.span_seconds:.1f} s, "
            f"face seen {self.face_seconds:.1f} s"
        )


class EmotionHistory:
    """Recent EmotionStates by stamp [s, the ROS clock the stamps use], kept `keep_seconds`."""

    def __init__(
        self, keep_seconds: float = 120.0, max_states: int = 10000, hold_seconds: float = 2.0
    ):
        self.keep_seconds = keep_seconds
        self.hold_seconds = hold_seconds
        self._states: deque[tuple[float, EmotionReading, str]] = deque(maxlen=max_states)

    def add(self, stamp: float, reading: EmotionReading, face_id: str = "") -> None:
        """`face_id`: the REP-155 id of the face the state is about ("" when not known)."""
        if self._states and stamp < self._states[-1][0]:
            self._states.clear()  # time went back (a bag looped, sim time reset): start again
        self._states.append((stamp, reading, face_id))
        while self._states and self._states[0][0] < stamp - self.keep_seconds:
            self._states.popleft()

    def during(
        self, start: float, end: float, now: float, face_id: str | None = None
    ) -> UtteranceEmotion | None:
        """The time-weighted emotion over [start, end] (of face `face_id` only, when given); None
        when no state covers any of it."""
        states = [
            (stamp, reading)
            for stamp, reading, face in self._states
            if face_id is None or face == face_id
        ]
        if end <= start or not states:
            return None
        weights: dict[str, float] = {}
        face_seconds, used = 0.0, 0
        for index, (stamp, reading) in enumerate(states):
            until = states[index + 1][0] if index + 1 < len(states) else end
            until = min(until, stamp + self.hold_seconds)
            seconds = min(until, end) - max(stamp, start)
            if seconds <= 0:
                continue
            used += 1
            if not reading.face_detected or sum(reading.scores.values()) <= 0:
                continue
            face_seconds += seconds
            for label, score in reading.scores.items():
                weights[label] = weights.get(label, 0.0) + score * seconds
        if not used:
            return None
        if face_seconds <= 0:
            mean = EmotionReading(
                face_detected=False, scores={}, dominant_label="", confidence=0.0, received_at=now
            )
        else:
            scores = {label: value / face_seconds for label, value in weights.items()}
            label = max(scores, key=scores.get)
            mean = EmotionReading(
                face_detected=True,
                scores=scores,
                dominant_label=label,
                confidence=scores[label],
                received_at=now,
            )
        return UtteranceEmotion(mean, used, face_seconds, end - start)
