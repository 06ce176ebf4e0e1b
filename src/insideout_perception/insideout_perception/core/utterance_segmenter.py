"""Cut a continuous 16 kHz stream into utterances using a per-frame speech probability (VAD).

Speech starts at the first frame whose probability reaches `threshold` and is confirmed once its
voiced span lasts `min_speech_s` (shorter bursts - a cough, a door - are dropped). A pause begins
when the probability falls below `threshold - 0.15` (hysteresis, as Silero recommends). Once it
has lasted `end_silence_s`, the end-of-turn judge (`turn_complete`, given the utterance so far)
decides: a finished turn ends the utterance there; an unfinished one ("so what should I ...")
keeps it open until the speaker goes on or the pause reaches `max_end_silence_s`. Without a
judge every pause of `end_silence_s` ends the utterance. The utterance handed to the recogniser
includes `pre_roll_s` of audio before the start (soft onsets the VAD misses) and as much after the
last voiced frame. Continuous speech is cut every `max_utterance_s`. Memory is bounded: one
preallocated buffer of the maximum utterance length plus a pre-roll ring.

Once a pause has lasted `speculate_after_s` (default 0.1 s), a `PauseSnapshot` of
the utterance so far is emitted: recognising it while the rest of the end-of-utterance silence
elapses hides most of the recognition time. If the utterance then ends without more speech, its
`Utterance` has the same `end_sample` and the snapshot's text stands for it.
"""

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from insideout_perception.core.vad.base import VadAnalyzer

HYSTERESIS = 0.15
# Voiced frames closer than this [s] belong to one span of speech.
SPAN_GAP_S = 0.3
# A pause this long [s] is worth recognising the utterance so far (a dip between words is not).
SNAPSHOT_AFTER_S = 0.1

Spans = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class SegmenterConfig:
    threshold: float = 0.5
    min_speech_s: float = 0.25
    end_silence_s: float = 0.5
    # A pause this long ends the utterance even when the judge said the turn was unfinished.
    max_end_silence_s: float = 2.0
    pre_roll_s: float = 0.3
    max_utterance_s: float = 15.0
    # Pause length before a PauseSnapshot; None: SNAPSHOT_AFTER_S or half of end_silence_s,
    # whichever is shorter (Whisper tiny takes longer than end_silence_s, so it starts early, with
    # a little of the pause after the last word); <= 0 disables snapshots.
    speculate_after_s: float | None = None

    @property
    def release_threshold(self) -> float:
        return max(self.threshold - HYSTERESIS, 0.01)

    def validate(self) -> None:
        problems = []
        if not 0.0 < self.threshold < 1.0:
            problems.append(f"threshold must be in (0, 1), got {self.threshold}")
        if self.min_speech_s < 0:
            problems.append(f"min_speech_s must be >= 0, got {self.min_speech_s}")
        if self.end_silence_s <= 0:
            problems.append(f"end_silence_s must be > 0, got {self.end_silence_s}")
        if self.max_end_silence_s < self.end_silence_s:
            problems.append(
                f"max_end_silence_s ({self.max_end_silence_s}) must be >= end_silence_s "
                f"({self.end_silence_s})"
            )
        if self.pre_roll_s < 0:
            problems.append(f"pre_roll_s must be >= 0, got {self.pre_roll_s}")
        if self.max_utterance_s <= max(self.min_speech_s, 0.5):
            problems.append(
                f"max_utterance_s must exceed min_speech_s and 0.5 s, got {self.max_utterance_s}"
            )
        if problems:
            raise ValueError("; ".join(problems))


@dataclass(frozen=True)
class SpeechStarted:
    start_sample: int


@dataclass(frozen=True)
class SpeechEnded:
    end_sample: int


@dataclass(frozen=True)
class Utterance:
    """One stretch of speech. start/end are the voiced span (no pre-roll) in stream samples."""

    audio: np.ndarray
    start_sample: int
    end_sample: int
    cut_at_max_length: bool = False
    # Where in `audio` the VAD heard voice, [start, end) in seconds: words elsewhere are invented.
    speech_spans: Spans = ()


@dataclass(frozen=True)
class PauseSnapshot:
    """The utterance so far, taken in a pause that may turn out to be its end."""

    audio: np.ndarray
    start_sample: int
    end_sample: int
    speech_spans: Spans = ()


@dataclass(frozen=True)
class TurnJudged:
    """The end-of-turn judge's verdict on a pause (complete: the utterance ends with it)."""

    complete: bool
    probability: float
    seconds: float  # what the decision cost
    pause_sample: int  # where the pause began


@dataclass(frozen=True)
class SpeechDiscarded:
    """Voice activity too short to be speech."""

    start_sample: int
    end_sample: int


Event = SpeechStarted | SpeechEnded | Utterance | SpeechDiscarded | PauseSnapshot | TurnJudged


class UtteranceSegmenter:
    def __init__(
        self,
        vad: Callable[[np.ndarray], float],
        config: SegmenterConfig = SegmenterConfig(),
        sample_rate: int = 16000,
        frame_samples: int = 512,
        reset_vad: Callable[[], None] | None = None,
        turn_complete: Callable[[np.ndarray], object] | None = None,
        on_frame: Callable[[bool, int, int], None] | None = None,
    ):
        """`turn_complete(audio)`: the end-of-turn judge (an object with .complete,
        .probability, .seconds, as turn_end.TurnVerdict); None: every pause ends the turn.
        `on_frame(voiced, frame_start, frame_end)`: told every frame's decision (barge-in)."""
        config.validate()
        self.config = config
        self.sample_rate = sample_rate
        self.frame_samples = frame_samples
        self._vad = vad
        self._reset_vad = reset_vad
        self._turn_complete = turn_complete
        self._on_frame = on_frame
        self._pre_roll_frames = int(np.ceil(config.pre_roll_s * sample_rate / frame_samples))
        self._max_samples = int(config.max_utterance_s * sample_rate)
        self._min_speech = int(config.min_speech_s * sample_rate)
        self._end_silence = int(config.end_silence_s * sample_rate)
        self._max_end_silence = int(config.max_end_silence_s * sample_rate)
        self._tail = int(config.pre_roll_s * sample_rate)
        speculate = config.speculate_after_s
        if speculate is None:
            speculate = min(SNAPSHOT_AFTER_S, config.end_silence_s / 2)
        self._speculate_after = (
            int(speculate * sample_rate) if 0 < speculate < config.end_silence_s else None
        )
        capacity = self._max_samples + (self._pre_roll_frames + 1) * frame_samples
        self._buffer = np.zeros(capacity, dtype=np.float32)
        self.samples_seen = 0
        self.last_probability = 0.0
        self.reset()

    @classmethod
    def with_analyzer(
        cls,
        analyzer: VadAnalyzer,
        config: SegmenterConfig = SegmenterConfig(),
        turn_complete: Callable[[np.ndarray], object] | None = None,
        on_frame: Callable[[bool, int, int], None] | None = None,
    ) -> "UtteranceSegmenter":
        """A segmenter reading `analyzer`: its frame size, its sample rate, its reset."""
        return cls(
            analyzer.probability,
            config,
            analyzer.sample_rate,
            analyzer.frame_samples,
            reset_vad=analyzer.reset,
            turn_complete=turn_complete,
            on_frame=on_frame,
        )

    # -- public -------------------------------------------------------------------------------
    @property
    def speaking(self) -> bool:
        """True between SpeechStarted and SpeechEnded."""
        return self._confirmed

    @property
    def in_utterance(self) -> bool:
        """Voice activity started and has not ended yet (confirmed or not)."""
        return self._active

    @property
    def in_pause(self) -> bool:
        """The speaker has gone quiet and the utterance may be about to end."""
        return self._silence_start is not None

    @property
    def judged_unfinished(self) -> bool:
        """In a pause the end-of-turn judge heard as a thinking pause (the utterance is open)."""
        return self._active and self._judged_unfinished and self._silence_start is not None

    @property
    def last_voiced_end(self) -> int:
        return self._last_voiced_end

    def end_turn_now(self) -> list[Event]:
        """Another opinion (the words) says the turn is over: end a judged-unfinished pause now."""
        events: list[Event] = []
        if self.judged_unfinished:
            self._finish(events)
        return events

    @property
    def buffered_samples(self) -> int:
        return self._buffer_len + len(self._rest) + sum(len(f) for f in self._pre_roll)

    def reset(self) -> None:
        """Drop any utterance in progress (e.g. when the robot starts speaking)."""
        self._rest = np.zeros(0, dtype=np.float32)
        self._pre_roll: deque[np.ndarray] = deque(maxlen=max(self._pre_roll_frames, 1))
        self._active = False
        self._confirmed = False
        self._buffer_len = 0
        self._buffer_start = 0
        self._start = 0
        self._last_voiced_end = 0
        self._spans: list[list[int]] = []  # voiced spans of the utterance, stream samples
        self._silence_start: int | None = None
        self._snapshot_taken = False
        self._judged_unfinished = False
        if self._reset_vad is not None:
            self._reset_vad()

    def feed(self, samples: np.ndarray) -> list[Event]:
        events: list[Event] = []
        data = np.concatenate([self._rest, samples.astype(np.float32, copy=False)])
        whole = len(data) - len(data) % self.frame_samples
        for offset in range(0, whole, self.frame_samples):
            self._frame(data[offset : offset + self.frame_samples], events)
        self._rest = data[whole:].copy()
        return events

    def flush(self) -> list[Event]:
        """End of stream: close the utterance in progress, if any."""
        events: list[Event] = []
        if self._active:
            self._finish(events)
        return events

    def current_audio(self) -> np.ndarray | None:
        """A copy of the confirmed utterance so far (for partial transcripts), else None."""
        if not self._confirmed:
            return None
        return self._buffer[: self._buffer_len].copy()

    # -- per frame ----------------------------------------------------------------------------
    def _frame(self, frame: np.ndarray, events: list[Event]) -> None:
        frame_start = self.samples_seen
        frame_end = frame_start + len(frame)
        self.samples_seen = frame_end
        probability = self._vad(frame)
        self.last_probability = probability
        voiced = probability >= self.config.threshold
        if self._on_frame is not None:
            self._on_frame(voiced, frame_start, frame_end)

        if not self._active:
            if voiced:
                self._begin(frame_start)
                self._append(frame)
                self._voiced(frame_start, frame_end)
                self._check_confirmed(events)
            elif self._pre_roll_frames:
                self._pre_roll.append(frame.copy())
            return

        self._append(frame)
        if voiced:
            self._voiced(frame_start, frame_end)
            self._silence_start = None
            self._snapshot_taken = False
            self._judged_unfinished = False
            self._check_confirmed(events)
        elif probability < self.config.release_threshold and self._silence_start is None:
            self._silence_start = frame_start
        paused = frame_end - self._silence_start if self._silence_start is not None else -1
        if paused >= self._max_end_silence or (
            paused >= self._end_silence
            and not self._judged_unfinished
            and self._turn_is_over(events)
        ):
            self._finish(events)
            return
        if (
            self._speculate_after is not None
            and paused >= self._speculate_after
            and self._confirmed
            and not self._snapshot_taken
        ):
            self._snapshot_taken = True
            stop = min(self._last_voiced_end + self._tail - self._buffer_start, self._buffer_len)
            events.append(
                PauseSnapshot(
                    self._buffer[:stop].copy(),
                    self._start,
                    self._last_voiced_end,
                    self._spans_in_audio(),
                )
            )
        if self._buffer_len >= self._max_samples:
            if self._silence_start is not None:
                self._finish(events)  # full in a pause: the utterance ends at its last word
            else:
                self._cut(frame_end, events)

    def _voiced(self, frame_start: int, frame_end: int) -> None:
        self._last_voiced_end = frame_end
        if self._spans and frame_start - self._spans[-1][1] <= SPAN_GAP_S * self.sample_rate:
            self._spans[-1][1] = frame_end
        else:
            self._spans.append([frame_start, frame_end])

    def _spans_in_audio(self) -> Spans:
        """The voiced spans in seconds from the start of the audio handed over."""
        return tuple(
            (
                (start - self._buffer_start) / self.sample_rate,
                (end - self._buffer_start) / self.sample_rate,
            )
            for start, end in self._spans
        )

    def _turn_is_over(self, events: list[Event]) -> bool:
        """Ask the judge once per pause (an unconfirmed burst needs no judge: it is discarded)."""
        if self._turn_complete is None or not self._confirmed:
            return True
        verdict = self._turn_complete(self._buffer[: self._buffer_len])
        events.append(
            TurnJudged(verdict.complete, verdict.probability, verdict.seconds, self._silence_start)
        )
        self._judged_unfinished = not verdict.complete
        return verdict.complete

    def _begin(self, start: int) -> None:
        self._active = True
        self._start = start
        self._silence_start = None
        self._snapshot_taken = False
        self._judged_unfinished = False
        self._buffer_len = 0
        self._spans = []
        pre = list(self._pre_roll)
        self._pre_roll.clear()
        self._buffer_start = start - sum(len(f) for f in pre)
        for frame in pre:
            self._append(frame)

    def _append(self, frame: np.ndarray) -> None:
        self._buffer[self._buffer_len : self._buffer_len + len(frame)] = frame
        self._buffer_len += len(frame)

    def _check_confirmed(self, events: list[Event]) -> None:
        if not self._confirmed and self._last_voiced_end - self._start >= self._min_speech:
            self._confirmed = True
            events.append(SpeechStarted(self._start))

    def _finish(self, events: list[Event]) -> None:
        end = self._last_voiced_end
        if self._confirmed:
            stop = min(end + self._tail - self._buffer_start, self._buffer_len)
            events.append(
                Utterance(
                    self._buffer[:stop].copy(),
                    self._start,
                    end,
                    speech_spans=self._spans_in_audio(),
                )
            )
            events.append(SpeechEnded(end))
        else:
            events.append(SpeechDiscarded(self._start, end))
        self._active = False
        self._confirmed = False
        self._buffer_len = 0
        self._silence_start = None
        self._snapshot_taken = False
        self._judged_unfinished = False

    def _cut(self, now: int, events: list[Event]) -> None:
        """Maximum length reached mid-speech: hand over what we have and keep listening."""
        if self._confirmed:
            events.append(
                Utterance(
                    self._buffer[: self._buffer_len].copy(),
                    self._start,
                    now,
                    cut_at_max_length=True,
                    speech_spans=self._spans_in_audio(),
                )
            )
        else:
            events.append(SpeechDiscarded(self._start, now))
        self._buffer_len = 0
        self._buffer_start = now
        self._spans = [[now, now]]
        self._start = now
        self._last_voiced_end = now
        self._silence_start = None
        self._snapshot_taken = False
        self._judged_unfinished = False
