"""When the user talks over the robot: hold its speech at once, stop it if the user goes on.

Fed every VAD frame while the robot speaks. `pause_after_frames` voiced frames in a row (64 ms)
pause the robot's audio: one frame alone is too often a click. A voice that lasts `stop_after_s`
(short gaps between words included) stops the robot for good (STOP). A shorter one is judged by
its words once recognised (`words_decided`): a word that asks for the floor ("Stop.", "Wait,
what?", "Sorry?") stops the robot; anything else lets it go on (RESUME): a backchannel ("mm-hm",
"okay"), a cough, and what Whisper makes of a hum ("and then them." was measured for "Mm-hmm."),
which is why a list of words that interrupt is safer than a list of those that do not. A voice
too short to be an utterance at all resumes after `resume_after_s` of quiet. So the audio stops
within a few frames of the user's first word, yet a short noise costs only a brief hold (LiveKit
Agents resumes after a "false interruption" the same way). Times are counted in samples of the
16 kHz stream, so the decision does not depend on how the audio was chunked.
"""

import re
from dataclasses import dataclass

# As BargeIn.msg's constants.
PAUSE, RESUME, STOP = 0, 1, 2
ACTION_NAMES = {PAUSE: "pause", RESUME: "resume", STOP: "stop"}
# Voiced frames closer than this [s] are one voice (the gaps between words).
VOICE_GAP_S = 0.3
# After a resume, voice this soon [s] does not pause again: the echo canceller adapts while the
# user and the robot both speak, and lets the robot's next words through for a moment.
REPAUSE_AFTER_S = 0.5
# Words with which a short voice over the robot asks for the floor.
INTERRUPTING_WORDS = {
    "stop",
    "wait",
    "hold",
    "hang",
    "no",
    "nope",
    "sorry",
    "pardon",
    "excuse",
    "what",
    "pause",
    "quiet",
    "hey",
    "enough",
    "actually",
    "but",
    "listen",
    "moment",
    "shut",
    "hush",
}


def asks_for_the_floor(text: str) -> bool:
    """A short utterance over the robot that interrupts it ("Stop.", "Hold on.", "What?")."""
    return any(word in INTERRUPTING_WORDS for word in re.findall(r"[a-z]+", text.lower()))


@dataclass(frozen=True)
class BargeInSettings:
    stop_after_s: float = 0.7
    resume_after_s: float = 0.3
    pause_after_frames: int = 2

    def validate(self) -> None:
        if self.stop_after_s <= 0 or self.resume_after_s <= 0 or self.pause_after_frames < 1:
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
        self._stop_after = int(settings.stop_after_s * sample_rate)
        self._resume_after = int(settings.resume_after_s * sample_rate)
        self._gap = int(VOICE_GAP_S * sample_rate)
        self._repause_after = int(REPAUSE_AFTER_S * sample_rate)
        self._last_frame_end = 0
        self.robot_is_speaking = False
        # False while the echo canceller learns the room: its leaks would pause the robot.
        self.trusted = True
        self._reset()

    def _reset(self) -> None:
        self._onset: int | None = None  # first voiced sample of the current voice
        self._last_voiced_end = 0
        self._voiced_in_a_row = 0
        self._resumed_at: int | None = None
        self.paused = False
        self.stopped = False  # the robot was stopped: nothing more until it speaks again
        # The voice became an utterance: its words decide (words_decided), not the quiet after it.
        self.hold_for_words = False

    def robot_speaking(self, speaking: bool) -> None:
        """A new reply, or the robot went quiet (its reply ended, or it obeyed a STOP): start
        over."""
        if speaking != self.robot_is_speaking:
            self.robot_is_speaking = speaking
            self._reset()

    def frame(self, voiced: bool, frame_start: int, frame_end: int) -> BargeInEvent | None:
        """One VAD frame of the stream; returns what the robot's speech should do, if anything."""
        self._last_frame_end = frame_end
        if not self.robot_is_speaking or self.stopped or not self.trusted:
            return None
        if (
            voiced
            and not self.paused
            and self._resumed_at is not None
            and frame_start - self._resumed_at < self._repause_after
        ):
            return None
        if voiced:
            if self._onset is None or frame_start - self._last_voiced_end > self._gap:
                self._onset = frame_start
            self._last_voiced_end = frame_end
            self._voiced_in_a_row += 1
            if not self.paused and self._voiced_in_a_row >= self.settings.pause_after_frames:
                self.paused = True
                return self._event(PAUSE)
            if self.paused and self._last_voiced_end - self._onset >= self._stop_after:
                self.stopped = True
                return self._event(STOP)
            return None
        self._voiced_in_a_row = 0
        if (
            self._onset is not None
            and not self.hold_for_words
            and frame_end - self._last_voiced_end >= self._resume_after
        ):
            was_paused = self.paused
            event = self._event(RESUME) if was_paused else None
            self._onset, self.paused = None, False
            self._resumed_at = frame_end if was_paused else self._resumed_at
            return event
        return None

    def words_decided(self, stop: bool) -> BargeInEvent | None:
        """The voice's words are known: stop the robot (held or not: the user's turn must not be
        spoken over), or let a held robot go on."""
        if not self.robot_is_speaking or self.stopped:
            return None
        self.hold_for_words = False
        if stop:
            self.stopped = True
            if self._onset is None:
                self._onset = self._last_voiced_end
            return self._event(STOP)
        if not self.paused:
            return None
        event = self._event(RESUME)
        self._onset, self.paused = None, False
        self._resumed_at = self._last_frame_end
        return event

    def _event(self, action: int) -> BargeInEvent:
        return BargeInEvent(
            action, self._onset, (self._last_voiced_end - self._onset) / self.sample_rate
        )
