"""Turn a microphone byte stream (audio_common AudioData chunks) into 16 kHz mono float32.

The stream's format comes from AudioInfo (or node parameters when no AudioInfo is published).
audio_common's capture node sends MP3 by default; only raw PCM ("wave") can be decoded here, and
a compressed stream is rejected with an error that says how to fix it.
"""

from dataclasses import dataclass

import numpy as np

from insideout_common.pcm import PcmDecoder, StreamingResampler, sample_format, to_mono

# What the VAD and every recogniser expect.
MODEL_SAMPLE_RATE = 16000

# coding_format values that mean raw PCM ("" when the publisher leaves it unset).
PCM_CODINGS = ("", "wave", "wav", "pcm", "raw", "s16le")

MIN_SAMPLE_RATE = 4000
MAX_SAMPLE_RATE = 192000
MAX_CHANNELS = 32


class AudioFormatError(ValueError):
    """The audio stream's format cannot be decoded; the message says how to fix it."""


@dataclass(frozen=True)
class AudioFormat:
    sample_rate: int = MODEL_SAMPLE_RATE
    channels: int = 1
    sample_format: str = "S16LE"

    def describe(self) -> str:
        return f"{self.sample_rate} Hz, {self.channels} ch, {self.sample_format}"


def check_coding_format(coding_format: str) -> None:
    """Raise AudioFormatError for compressed audio (MP3, Opus, ...)."""
    if (coding_format or "").strip().lower() not in PCM_CODINGS:
        raise AudioFormatError(
            f"audio coding_format {coding_format!r} is compressed and cannot be decoded; "
            "send raw PCM instead: run audio_capture with format:=wave "
            "(e.g. `ros2 run audio_capture audio_capture_node --ros-args -p format:=wave "
            "-p sample_format:=S16LE -p channels:=1 -p sample_rate:=16000`)"
        )


def validate_format(fmt: AudioFormat) -> AudioFormat:
    """Check a format is decodable; returns it with the sample format name normalised."""
    if not MIN_SAMPLE_RATE <= fmt.sample_rate <= MAX_SAMPLE_RATE:
        raise AudioFormatError(
            f"sample rate {fmt.sample_rate} Hz is outside {MIN_SAMPLE_RATE}-{MAX_SAMPLE_RATE} Hz"
        )
    if not 1 <= fmt.channels <= MAX_CHANNELS:
        raise AudioFormatError(f"channel count {fmt.channels} is outside 1-{MAX_CHANNELS}")
    try:
        name = sample_format(fmt.sample_format).name
    except ValueError as error:
        raise AudioFormatError(str(error)) from None
    return AudioFormat(int(fmt.sample_rate), int(fmt.channels), name)


def format_from_audio_info(
    channels: int, sample_rate: int, sample_format_name: str, coding_format: str
) -> AudioFormat:
    """The AudioFormat an AudioInfo message describes; AudioFormatError when unusable."""
    check_coding_format(coding_format)
    return validate_format(AudioFormat(int(sample_rate), int(channels), sample_format_name))


class AudioStream:
    """Decode, downmix and resample chunks of one stream to MODEL_SAMPLE_RATE mono float32."""

    def __init__(self, fmt: AudioFormat):
        self.format = validate_format(fmt)
        self._decoder = PcmDecoder(self.format.sample_format, self.format.channels)
        self._resampler = StreamingResampler(self.format.sample_rate, MODEL_SAMPLE_RATE)

    @property
    def pending_bytes(self) -> int:
        return self._decoder.pending_bytes

    @property
    def frame_bytes(self) -> int:
        """Bytes of one interleaved frame (all channels of one sample instant)."""
        return self._decoder.frame_bytes

    def feed(self, chunk: bytes) -> np.ndarray:
        frames = self._decoder.decode(chunk)
        return self._resampler.process(to_mono(frames))

    def reset(self) -> None:
        """Forget partial frames and filter state (after a gap in the stream)."""
        self._decoder.reset()
        self._resampler.reset()


class StreamClock:
    """Maps a position in the 16 kHz stream (samples fed so far) to wall or message time.

    Anchored on the time of a chunk and re-anchored when the samples fed since no longer account
    for a chunk's time within `max_drift` seconds (audio ignored while the robot spoke, a paused
    publisher, a format change). With capture stamps (AudioDataStamped headers) any drift counts.
    With arrival times only a late chunk does: a backlog delivered faster than real time keeps
    the anchor, so times never go backwards.
    """

    def __init__(
        self,
        sample_rate: int = MODEL_SAMPLE_RATE,
        max_drift: float = 0.5,
        capture_stamps: bool = False,
    ):
        self.sample_rate = sample_rate
        self.max_drift = max_drift
        self.capture_stamps = capture_stamps
        self._anchor_time: float | None = None
        self._anchor_sample = 0

    def observe(self, chunk_time: float, first_sample: int) -> None:
        """`chunk_time` is when the chunk whose first sample is `first_sample` was captured."""
        if self._anchor_time is None:
            drift = float("inf")
        else:
            drift = chunk_time - self.time_of(first_sample)
            if self.capture_stamps:
                drift = abs(drift)
        if drift > self.max_drift:
            self._anchor_time = chunk_time
            self._anchor_sample = first_sample

    def time_of(self, sample: int) -> float:
        if self._anchor_time is None:
            return 0.0
        return self._anchor_time + (sample - self._anchor_sample) / self.sample_rate
