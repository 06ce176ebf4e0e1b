"""Echo cancellation: the robot's own voice removed from the microphone, so it never hears itself.

One base class per seam: `EchoCanceller` takes the speaker's audio (the reference: what tts_node
publishes, stamped with when it plays) and the microphone's samples (16 kHz float32 with their
capture time) and returns the microphone's samples without the robot's voice.

- `NoEchoCanceller`: passes the microphone through (echo_cancellation: off).
- `WebRtcEchoCanceller`: WebRTC's AEC3 (the `aec-audio-processing` bindings of the PulseAudio
  project's webrtc-audio-processing, BSD-3-Clause). Each 10 ms microphone frame captured at time t
  goes in with the reference that plays at t + 50 ms (REFERENCE_HEADROOM_S; silence when nothing
  does) as the far end; AEC3's own delay estimator finds the rest: the loudspeaker-to-microphone
  delay (playback latency and the sound's path), 0 to 0.45 s on the simulated room
  (tests/asr/test_asr_echo_cancellation.py), more with `delay_hint_ms`.

Only while the robot's voice can still be in the room does any of this run: with no reference
for `idle_after_s`, the microphone passes through untouched and costs nothing. AEC3 keeps what it
learned of the room across those pauses (it only stops being fed), so the next reply is
cancelled from its first word.
"""

import numpy as np

from insideout_perception.core.capture_clock import CaptureClock
from insideout_perception.core.echo_reference import SAMPLE_RATE, EchoReference

FRAME_SAMPLES = SAMPLE_RATE // 100  # AEC3 works on 10 ms frames
# The reference is fed this much ahead of the microphone: AEC3 finds delays from about 10 ms to
# 450 ms, never a negative one, and a microphone's chunk times may be a little later than its
# capture (arrival times, a driver stamping after the fact).
REFERENCE_HEADROOM_S = 0.05
# AEC3's first guess of the delay it has to find, before its estimator has one: the headroom
# plus a typical playback latency. In a sweep of 18 simulated rooms (20-150 ms, echo as loud as
# the user) the robot's very first words after start leaked at most 4 VAD frames with it, 9
# without.
INITIAL_DELAY_GUESS_MS = 80
ECHO_CANCELLERS = ("webrtc", "off")
INSTALL_HINT = (
    "install it with `pip install aec-audio-processing==1.0.1` (requirements/project.txt; "
    "it compiles WebRTC's audio processing, a few minutes), or set "
    "echo_cancellation: off"
)
# The echo_reduction_db estimate averages over about this much of the robot's voice [s].
REDUCTION_AVERAGE_S = 5.0
# A reference frame quieter than this (about -60 dBFS) is silence: no echo to measure.
AUDIBLE_REFERENCE_POWER = 1e-6
# AEC3 learns the room from the robot's first words: in simulated rooms the VAD still heard up to
# six 32 ms frames of its voice about 1.0-1.3 s into its first reply after start, none later
# (barring double talk). Until it has heard this much of the robot [s], treat it as learning.
CONVERGENCE_S = 2.0


class EchoCancellerUnavailable(RuntimeError):
    """The chosen echo canceller cannot run here; the message says what to install."""


class EchoCanceller:
    """The seam. The caller feeds the reference and the microphone from one thread (or locks)."""

    name = "off"

    def set_reference_rate(self, sample_rate: int) -> None:
        """The speaker audio's sample rate (its AudioInfo)."""

    def add_reference(self, pcm: bytes, play_time: float) -> None:
        """One chunk of the speaker's audio, S16LE mono, whose first sample plays at `play_time`."""

    def process(self, samples: np.ndarray, chunk_time: float) -> np.ndarray:
        """The microphone's next 16 kHz samples without the robot's voice. May hold back up to a
        frame (10 ms) until the next call. `chunk_time`: the chunk's capture stamp, or its
        arrival time (as the canceller was told at creation)."""
        return samples

    @property
    def learning(self) -> bool:
        """Still learning the room: some of the robot's voice may get through (see
        CONVERGENCE_S); a barge-in is not to be trusted yet."""
        return False

    def report(self) -> dict[str, object]:
        """Values for /diagnostics."""
        return {"echo_cancellation": self.name}


class NoEchoCanceller(EchoCanceller):
    """The microphone as it is."""


class ReferenceAlignedCanceller(EchoCanceller):
    """Lines the reference up with the microphone by time and feeds 10 ms frame pairs to a
    frame-by-frame canceller (`_cancel_frames`); passes the microphone through when idle."""

    def __init__(
        self,
        capture_stamps: bool,
        delay_hint_ms: float = 0.0,
        idle_after_s: float = 1.0,
        keep_reference_s: float = 4.0,
    ):
        """`delay_hint_ms`: the microphone hears the loudspeaker at least this late after the
        play stamps; the microphone at t is paired with what played `delay_hint_ms` earlier,
        leaving the canceller less delay to find (a hint above the real delay plus the headroom
        leaves it a negative one, which it cannot cancel). `idle_after_s`: how long after the
        robot's voice stops the canceller keeps running (its echo's reverberation)."""
        self.reference = EchoReference(keep_reference_s)
        self.clock = CaptureClock(SAMPLE_RATE, capture_stamps)
        # Read the reference this many samples after the microphone's capture time.
        self.reference_offset = int(
            round((REFERENCE_HEADROOM_S - delay_hint_ms / 1000) * SAMPLE_RATE)
        )
        self.idle_after_s = idle_after_s
        self._carry = np.zeros(0, dtype=np.float32)  # the start of an incomplete frame
        self._fed = 0  # microphone samples received so far
        self._input_power = self._output_power = 0.0  # averaged while the reference is audible
        self._audible_frames = 0  # frames cancelled while the robot's voice played
        self._cancelling = False  # the last audio went through the canceller (robot audible)
        self.counters: dict[str, int] = dict(
            echo_reference_chunks=0, echo_frames_cancelled=0, echo_frames_passed_through=0
        )

    def set_reference_rate(self, sample_rate: int) -> None:
        if sample_rate != self.reference.source_rate:
            self.reference.set_source_rate(sample_rate)

    def add_reference(self, pcm: bytes, play_time: float) -> None:
        self.counters["echo_reference_chunks"] += 1
        self.reference.add(pcm, play_time)

    def process(self, samples: np.ndarray, chunk_time: float) -> np.ndarray:
        if not len(samples):
            return samples
        self.clock.observe(chunk_time, self._fed, len(samples))
        self._fed += len(samples)
        pending = np.concatenate([self._carry, samples]) if len(self._carry) else samples
        first = self._fed - len(pending)  # stream index of pending[0]
        self._cancelling = self._active(self.clock.time_of(first))
        if not self._cancelling:
            self._carry = pending[:0]
            self.counters["echo_frames_passed_through"] += len(pending) // FRAME_SAMPLES
            return pending
        whole = len(pending) // FRAME_SAMPLES * FRAME_SAMPLES
        self._carry = pending[whole:]
        if not whole:
            return pending[:0]
        # The reference that played when each microphone sample was captured, on its timeline.
        reference_first = (
            int(round(self.clock.time_of(first) * SAMPLE_RATE)) + self.reference_offset
        )
        microphone = pending[:whole].reshape(-1, FRAME_SAMPLES)
        reference = self.reference.read(reference_first, whole).reshape(-1, FRAME_SAMPLES)
        cleaned = self._cancel_frames(microphone, reference)
        self.counters["echo_frames_cancelled"] += len(cleaned)
        self._measure(microphone, reference, cleaned)
        return cleaned.reshape(-1)

    def _active(self, mic_time: float) -> bool:
        """The robot's voice plays, is about to, or may still ring in the room."""
        end = self.reference.end_time
        return (
            end is not None
            and mic_time + self.reference_offset / SAMPLE_RATE < end + self.idle_after_s
        )

    def _cancel_frames(self, microphone: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """(frames, 160) microphone and reference in, (frames, 160) cleaned microphone out."""
        raise NotImplementedError

    def _measure(self, microphone: np.ndarray, reference: np.ndarray, cleaned: np.ndarray) -> None:
        """Running input/output power where the robot's voice plays: the echo reduction. Lower
        while the user talks over the robot (their voice is kept, as it should be)."""
        audible = np.mean(reference**2, axis=1) > AUDIBLE_REFERENCE_POWER
        frames = int(np.count_nonzero(audible))
        if not frames:
            return
        self._audible_frames += frames
        keep = np.exp(-frames * FRAME_SAMPLES / (REDUCTION_AVERAGE_S * SAMPLE_RATE))
        self._input_power = keep * self._input_power + (1 - keep) * float(
            np.mean(microphone[audible] ** 2)
        )
        self._output_power = keep * self._output_power + (1 - keep) * float(
            np.mean(cleaned[audible] ** 2)
        )

    @property
    def learning(self) -> bool:
        return (
            self._cancelling and self._audible_frames * FRAME_SAMPLES < CONVERGENCE_S * SAMPLE_RATE
        )

    def echo_reduction_db(self) -> float:
        if not self._input_power:
            return float("nan")
        return 10 * np.log10(self._input_power / max(self._output_power, 1e-12))

    def report(self) -> dict[str, object]:
        return dict(
            echo_cancellation=self.name,
            echo_reduction_db=f"{self.echo_reduction_db():.1f}",
            **self.counters,
        )


class WebRtcEchoCanceller(ReferenceAlignedCanceller):
    """WebRTC AEC3 through `aec-audio-processing` (echo cancellation alone: no noise
    suppression or gain control, which would change the user's voice for the recogniser)."""

    name = "webrtc"

    def __init__(
        self,
        capture_stamps: bool,
        delay_hint_ms: float = 0.0,
        idle_after_s: float = 1.0,
        keep_reference_s: float = 4.0,
    ):
        super().__init__(capture_stamps, delay_hint_ms, idle_after_s, keep_reference_s)
        try:
            from aec_audio_processing import AudioProcessor
        except (ImportError, OSError) as error:
            raise EchoCancellerUnavailable(
                f"echo_cancellation 'webrtc': aec_audio_processing is not importable ({error}); "
                f"{INSTALL_HINT}"
            ) from error
        self._apm = AudioProcessor(
            enable_aec=True, enable_ns=False, enable_agc=False, enable_vad=False
        )
        self._apm.set_stream_format(SAMPLE_RATE, 1)
        self._apm.set_reverse_stream_format(SAMPLE_RATE, 1)
        self._apm.set_stream_delay(INITIAL_DELAY_GUESS_MS)

    def _cancel_frames(self, microphone: np.ndarray, reference: np.ndarray) -> np.ndarray:
        mic16, ref16 = _to_s16(microphone), _to_s16(reference)
        out = np.empty_like(mic16)
        for i in range(len(mic16)):
            self._apm.process_reverse_stream(ref16[i].tobytes())
            out[i] = np.frombuffer(self._apm.process_stream(mic16[i].tobytes()), dtype="<i2")
        return out.astype(np.float32) / 32768.0


def _to_s16(samples: np.ndarray) -> np.ndarray:
    return np.round(np.clip(samples, -1.0, 32767 / 32768) * 32768.0).astype("<i2")


def create_echo_canceller(
    name: str, capture_stamps: bool, delay_hint_ms: float = 0.0
) -> EchoCanceller:
    """The named canceller; EchoCancellerUnavailable says what to install."""
    if name == "off":
        return NoEchoCanceller()
    if name == "webrtc":
        return WebRtcEchoCanceller(capture_stamps, delay_hint_ms)
    raise ValueError(f"unknown echo canceller {name!r}; choose one of {', '.join(ECHO_CANCELLERS)}")
