"""Synthesised audio to the wire format: S16LE mono at the output rate, cut in playback-sized
chunks.

audio_common's audio_play (format:=wave) takes its sample rate, channels and sample format from its
own parameters, not from AudioInfo, so the defaults here match its defaults (16 kHz, mono, S16LE);
AudioInfo still describes the stream for every other consumer (the ASR node reads it).
"""

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from insideout_common.pcm import encode_s16le, resample

SAMPLE_FORMAT = "S16LE"
CODING_FORMAT = "wave"
CHANNELS = 1
BYTES_PER_SAMPLE = 2


@dataclass(frozen=True)
class OutputFormat:
    sample_rate: int = 16000
    chunk_seconds: float = 0.1

    @property
    def chunk_bytes(self) -> int:
        samples = max(1, round(self.sample_rate * self.chunk_seconds))
        return samples * BYTES_PER_SAMPLE * CHANNELS

    @property
    def bitrate(self) -> int:
        """Bits per second, as AudioInfo.bitrate carries it."""
        return self.sample_rate * BYTES_PER_SAMPLE * 8 * CHANNELS

    def seconds(self, byte_count: int) -> float:
        return byte_count / (BYTES_PER_SAMPLE * CHANNELS * self.sample_rate)


def to_output_pcm(audio: np.ndarray, from_rate: int, output: OutputFormat) -> bytes:
    """float32 mono at `from_rate` -> S16LE bytes at the output rate."""
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    return encode_s16le(resample(audio, from_rate, output.sample_rate))


def split_chunks(pcm: bytes, chunk_bytes: int) -> Iterator[bytes]:
    """Whole-sample chunks of at most chunk_bytes (the last one may be shorter)."""
    chunk_bytes -= chunk_bytes % BYTES_PER_SAMPLE
    for start in range(0, len(pcm), chunk_bytes):
        yield pcm[start : start + chunk_bytes]
