"""When the user talks over the robot: hold its speech at once, stop it if the user goes on.

Fed every VAD frame while the robot speaks. `pause_after_frames` voiced frames in a row (64 ms)
pause the robot's audio: one frame alone is too often a click. If the voice then lasts
`min_speech_s` (short gaps between words included) the robot stops for good (STOP); if it ends
first - a cough, an "mm-hm" - and `resume_after_s` of quiet follows, the robot goes on (RESUME).
So the audio stops within a few frames of the user's first word, yet a short noise costs only a
brief hold (LiveKit Agents resumes after a "false interruption" the same way). Times are counted
in samples of the 16 kHz stream, so the decision does not depend on how the audio was chunked.
"""

from dataclasses import dataclass
from typing import Optional

# As BargeIn.msg's constants.
PAUSE, RESUME, STOP = 0, 1, 2
ACTION_NAMES = {PAUSE: "pause", RESUME: "resume", STOP: "stop"}
# Voiced frames closer than this [s] are one voice (the gaps between words).
VOICE_GAP_S = 0.3


@dataclass(frozen=True)
class BargeInSettings:
    min_speech_s: float = 0.5
    resume_after_s: float = 0.3
    pause_after_frames: int = 2

    def validate(self) -> None:
        if self.min_speech_s <= 0 or self.resume_after_s <= 0 or self.pause_after_frames < 1:
            raise ValueError(f"barge-in settings must be positive, got {self}")


@dataclass(frozen=True)
class BargeInEvent:
    action: int  # PAUSE, RESUME or STOP
    onset_sample: int  # stream sample where the user's voice began
    voiced_s: float  # voice heard since then


class BargeInDetector:
    def __init__(self, settings: BargeInSettings = BargeInSettings(), sample_rate: int = 16000):
        settings.validate()
        self.settings = settings
        self.sample_rate = sample_rate
        self._min_speech = int(settings.min_speech_s * sample_rate)
        self._resume_after = int(settings.resume_after_s * sample_rate)
        self._gap = int(VOICE_GAP_S * sample_rate)
        self.robot_is_speaking = False
        self._reset()

    def _reset(self) -> None:
        self._onset: Optional[int] = None  # first voiced sample of the current voice
        self._last_voiced_end = 0
        self._voiced_in_a_row = 0
        self.paused = False
        self.stopped = False  # the robot was stopped: nothing more until it speaks again

    def robot_speaking(self, speaking: bool) -> None:
        """A new reply, or the robot went quiet (its reply ended, or it obeyed a STOP): start over."""
        if speaking != self.robot_is_speaking:
            self.robot_is_speaking = speaking
            self._reset()

    def frame(self, voiced: bool, frame_start: int, frame_end: int) -> Optional[BargeInEvent]:
        """One VAD frame of the stream; returns what the robot's speech should do, if anything."""
        if not self.robot_is_speaking or self.stopped:
            return None
        if voiced:
            if self._onset is None or frame_start - self._last_voiced_end > self._gap:
                self._onset = frame_start
            self._last_voiced_end = frame_end
            self._voiced_in_a_row += 1
            if not self.paused and self._voiced_in_a_row >= self.settings.pause_after_frames:
                self.paused = True
                return self._event(PAUSE)
            if self.paused and self._last_voiced_end - self._onset >= self._min_speech:
                self.stopped = True
                return self._event(STOP)
            return None
        self._voiced_in_a_row = 0
        if self._onset is not None and frame_end - self._last_voiced_end >= self._resume_after:
            was_paused = self.paused
            event = self._event(RESUME) if was_paused else None
            self._onset, self.paused = None, False
            return event
        return None

    def _event(self, action: int) -> BargeInEvent:
        return BargeInEvent(action, self._onset,
                            (self._last_voiced_end - self._onset) / self.sample_rate)
