"""Raw PCM audio helpers shared by the speech nodes (pure numpy/scipy, no ROS).

Sample format names follow GStreamer / audio_common (`AudioInfo.sample_format`): S16LE, S32LE,
F32LE, U8, ... Audio arrives in chunks whose byte counts need not be whole frames, so decoding is
stateful: `PcmDecoder` carries an incomplete frame over to the next chunk instead of failing.
Float samples are float32 in [-1, 1].
"""

from dataclasses import dataclass
from math import gcd

import numpy as np
from scipy.signal import resample_poly


class UnsupportedSampleFormat(ValueError):
    """The sample format name is not one this module can decode."""


@dataclass(frozen=True)
class SampleFormat:
    name: str
    width: int  # bytes per sample
    dtype: str  # numpy dtype of one sample (S24LE is unpacked by hand)
    offset: float  # subtracted before scaling (unsigned formats)
    scale: float  # divides the integer value to land in [-1, 1]


_FORMATS: dict[str, SampleFormat] = {
    f.name: f
    for f in (
        SampleFormat("U8", 1, "u1", 128.0, 128.0),
        SampleFormat("S8", 1, "i1", 0.0, 128.0),
        SampleFormat("S16LE", 2, "<i2", 0.0, 32768.0),
        SampleFormat("S16BE", 2, ">i2", 0.0, 32768.0),
        SampleFormat("S24LE", 3, "<i4", 0.0, 8388608.0),
        SampleFormat("S32LE", 4, "<i4", 0.0, 2147483648.0),
        SampleFormat("S32BE", 4, ">i4", 0.0, 2147483648.0),
        SampleFormat("F32LE", 4, "<f4", 0.0, 1.0),
        SampleFormat("F32BE", 4, ">f4", 0.0, 1.0),
        SampleFormat("F64LE", 8, "<f8", 0.0, 1.0),
    )
}

SUPPORTED_SAMPLE_FORMATS: tuple[str, ...] = tuple(_FORMATS)


def sample_format(name: str) -> SampleFormat:
    """Look a format up by name (case-insensitive); raises UnsupportedSampleFormat."""
    key = (name or "").strip().upper()
    try:
        return _FORMATS[key]
    except KeyError:
        raise UnsupportedSampleFormat(
            f"unsupported sample format {name!r}; supported: {', '.join(SUPPORTED_SAMPLE_FORMATS)}"
        ) from None


def decode_samples(data: bytes, fmt: SampleFormat) -> np.ndarray:
    """Decode whole samples (len(data) must be a multiple of fmt.width) to float32."""
    if fmt.name == "S24LE":
        raw = np.frombuffer(data, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        values = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        values = np.where(values >= 1 << 23, values - (1 << 24), values)
    else:
        values = np.frombuffer(data, dtype=fmt.dtype)
    out = values.astype(np.float32)
    if fmt.offset:
        out -= np.float32(fmt.offset)
    if fmt.scale != 1.0:
        out /= np.float32(fmt.scale)
    if fmt.dtype.endswith("f4") or fmt.dtype.endswith("f8"):
        # Float streams may carry NaN/inf from a broken source; they would poison every model.
        out = np.nan_to_num(out, nan=0.0, posinf=1.0, neginf=-1.0)
        np.clip(out, -1.0, 1.0, out=out)
    return out


class PcmDecoder:
    """Decode a chunked interleaved PCM stream to float32 frames, carrying partial frames over."""

    def __init__(self, format_name: str = "S16LE", channels: int = 1):
        if channels < 1:
            raise ValueError(f"channels must be >= 1, got {channels}")
        self.format = sample_format(format_name)
        self.channels = int(channels)
        self.frame_bytes = self.format.width * self.channels
        self._remainder = b""

    @property
    def pending_bytes(self) -> int:
        """Bytes of an incomplete frame waiting for the next chunk."""
        return len(self._remainder)

    def reset(self) -> None:
        self._remainder = b""

    def decode(self, chunk: bytes) -> np.ndarray:
        """Return the complete frames in remainder+chunk as float32 of shape (frames, channels)."""
        data = self._remainder + bytes(chunk)
        usable = len(data) - len(data) % self.frame_bytes
        self._remainder = data[usable:]
        samples = decode_samples(data[:usable], self.format)
        return samples.reshape(-1, self.channels)


def to_mono(frames: np.ndarray) -> np.ndarray:
    """Average the channels of (frames, channels) audio; 1-D input is returned as is."""
    if frames.ndim == 1:
        return frames.astype(np.float32, copy=False)
    if frames.shape[1] == 1:
        return frames[:, 0].astype(np.float32, copy=False)
    return frames.mean(axis=1, dtype=np.float32)


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Resample a whole 1-D signal (polyphase FIR with an anti-aliasing filter)."""
    if from_rate == to_rate:
        return samples.astype(np.float32, copy=False)
    divisor = gcd(int(from_rate), int(to_rate))
    up, down = int(to_rate) // divisor, int(from_rate) // divisor
    return resample_poly(samples, up, down).astype(np.float32)


class StreamingResampler:
    """Resample a chunked 1-D stream; the concatenated output equals `resample` of the whole.

    resample_poly on each chunk alone would click at every chunk edge. Here each call filters
    the buffered input with `context` samples of real signal on both sides and keeps only the
    outputs the filter computed from real samples; the price is `context` samples of delay.
    """

    def __init__(self, from_rate: int, to_rate: int):
        divisor = gcd(int(from_rate), int(to_rate))
        self.up, self.down = int(to_rate) // divisor, int(from_rate) // divisor
        self.passthrough = self.up == self.down
        # resample_poly's default filter reaches 10*max(up, down) taps either side at the
        # upsampled rate, i.e. that divided by `up` input samples; round up to whole `down` steps.
        reach = -(-10 * max(self.up, self.down) // self.up) + 1
        self.context = -(-reach // self.down) * self.down
        self._buffer = np.zeros(self.context, dtype=np.float32)  # left context: silence

    def reset(self) -> None:
        self._buffer = np.zeros(self.context, dtype=np.float32)

    def process(self, samples: np.ndarray) -> np.ndarray:
        if self.passthrough:
            return samples.astype(np.float32, copy=False)
        self._buffer = np.concatenate([self._buffer, samples.astype(np.float32, copy=False)])
        return self._drain(final=False)

    def flush(self) -> np.ndarray:
        """Emit what is still held back (the stream's end is padded with silence)."""
        if self.passthrough:
            return np.zeros(0, dtype=np.float32)
        pending = len(self._buffer) - self.context
        pad = self.context + (-pending) % self.down
        self._buffer = np.concatenate([self._buffer, np.zeros(pad, dtype=np.float32)])
        out = self._drain(final=True)
        self.reset()
        return out

    def _drain(self, final: bool) -> np.ndarray:
        ready = len(self._buffer) - 2 * self.context
        ready -= ready % self.down
        if ready <= 0:
            return np.zeros(0, dtype=np.float32)
        window = self._buffer[: ready + 2 * self.context]
        filtered = resample_poly(window, self.up, self.down)
        start = self.context * self.up // self.down
        out = filtered[start : start + ready * self.up // self.down].astype(np.float32)
        self._buffer = self._buffer[ready:]
        return out


def encode_s16le(samples: np.ndarray) -> bytes:
    """float32 in [-1, 1] -> signed 16-bit little-endian bytes (clipped, rounded)."""
    clipped = np.clip(np.nan_to_num(samples, nan=0.0), -1.0, 1.0)
    return np.round(clipped * 32767.0).astype("<i2").tobytes()
