"""A simulated room for echo cancellation: what the robot's microphone hears while the robot
speaks, the user speaks, or both. Pure numpy, seeded, 16 kHz mono float32.

    mic = user speech
        + the robot's speech as its loudspeaker plays it, delayed (playback latency and the
          sound's path), scaled to a level relative to the user's and reverberated (an
          exponentially decaying noise impulse response)
        + background noise

The reference an echo canceller gets is the robot's clean audio with its play times, as tts_node
publishes it; the echo and the user's part are returned alone too, to measure with.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from math import gcd

import numpy as np
from scipy.signal import fftconvolve, resample_poly

SAMPLE_RATE = 16000
# The user's active speech level at the microphone; echo and noise are set relative to it.
SPEECH_LEVEL_DBFS = -26.0

Placed = tuple[float, np.ndarray]  # (start time [s], audio)


@dataclass(frozen=True)
class RoomSettings:
    echo_delay_ms: float = 60.0  # play time to the direct sound at the microphone
    echo_level_db: float = -6.0  # the robot's voice at the microphone relative to the user's
    rt60_s: float = 0.3  # reverberation time
    # The direct sound over the reverberation's energy: higher when the microphone is near the
    # loudspeaker (on the robot's body) and the walls are far.
    direct_to_reverb_db: float = 0.0
    snr_db: float = 40.0  # the user's speech over the background noise
    seed: int = 0


@dataclass(frozen=True)
class RoomRecording:
    mic: np.ndarray
    robot: tuple[Placed, ...]  # what the loudspeaker plays and when: the echo reference
    echo: np.ndarray  # the robot's part of `mic` alone
    user: np.ndarray  # the user's part of `mic` alone
    noise: np.ndarray
    user_spans: tuple[tuple[float, float], ...]  # [s] each user clip's voiced span
    robot_spans: tuple[tuple[float, float], ...]  # [s] each robot clip's voiced span as played
    settings: RoomSettings

    def samples(self, span: tuple[float, float]) -> slice:
        return slice(int(span[0] * SAMPLE_RATE), int(span[1] * SAMPLE_RATE))

    def echo_only_spans(self, margin_s: float = 0.05) -> tuple[tuple[float, float], ...]:
        """Where the robot's voice reaches the microphone and the user is silent."""
        delay = self.settings.echo_delay_ms / 1000.0
        spans = []
        for start, end in self.robot_spans:
            start, end = start + delay + margin_s, end + delay
            for user_start, user_end in self.user_spans:
                if user_start < end and start < user_end:
                    end = min(end, user_start - margin_s)
            if end > start:
                spans.append((start, end))
        return tuple(spans)


def active_level_dbfs(audio: np.ndarray, frame: int = 320) -> float:
    """RMS level of the voiced 20 ms frames (within 35 dB of the loudest): speech's level without
    its pauses."""
    frames = audio[: len(audio) // frame * frame].reshape(-1, frame).astype(np.float64)
    power = np.mean(frames**2, axis=1)
    active = power[power > power.max() * 10**-3.5]
    return 10 * np.log10(np.mean(active) + 1e-20)


def voiced_span(audio: np.ndarray, relative_level: float = 0.05) -> tuple[int, int]:
    """(first, end) sample of a clean clip louder than `relative_level` of its peak."""
    loud = np.flatnonzero(np.abs(audio) > relative_level * np.max(np.abs(audio)))
    return (int(loud[0]), int(loud[-1]) + 1) if len(loud) else (0, 0)


def impulse_response(
    rt60_s: float, direct_to_reverb_db: float, rng: np.random.Generator
) -> np.ndarray:
    """Loudspeaker to microphone without the delay: the direct sound, then reverberation as
    noise decaying by 60 dB in rt60_s."""
    length = max(int(rt60_s * SAMPLE_RATE), 1)
    t = np.arange(length) / SAMPLE_RATE
    tail = rng.standard_normal(length) * np.exp(-6.9 * t / rt60_s)
    tail[0] = 0.0
    tail *= np.sqrt(10 ** (-direct_to_reverb_db / 10) / np.sum(tail**2))
    tail[0] = 1.0
    return tail


def _place(parts: Sequence[Placed], length: int) -> np.ndarray:
    out = np.zeros(length, dtype=np.float64)
    for start_s, audio in parts:
        start = int(round(start_s * SAMPLE_RATE))
        piece = audio[: max(length - start, 0)]
        out[start : start + len(piece)] += piece
    return out


def simulate_room(
    duration_s: float,
    robot: Sequence[Placed] = (),
    user: Sequence[Placed] = (),
    settings: RoomSettings = RoomSettings(),
) -> RoomRecording:
    """`robot`: (play time, audio) of what the robot says, `user`: (start time, audio) of what
    the user says; 16 kHz float32, times in seconds from the recording's start."""
    rng = np.random.default_rng(settings.seed)
    length = int(duration_s * SAMPLE_RATE)
    target = 10 ** (SPEECH_LEVEL_DBFS / 20)
    user_part = _place(
        [(s, a * target / 10 ** (active_level_dbfs(a) / 20)) for s, a in user], length
    )

    played = _place(robot, length)
    delay = int(round(settings.echo_delay_ms * SAMPLE_RATE / 1000))
    echo = fftconvolve(
        np.concatenate([np.zeros(delay), played]),
        impulse_response(settings.rt60_s, settings.direct_to_reverb_db, rng),
    )[:length]
    if robot:
        voiced = np.concatenate(
            [echo[_voiced_slice(s + settings.echo_delay_ms / 1000, a)] for s, a in robot]
        )
        echo *= (
            target * 10 ** (settings.echo_level_db / 20) / 10 ** (active_level_dbfs(voiced) / 20)
        )

    noise = rng.standard_normal(length) * target * 10 ** (-settings.snr_db / 20)
    mic = user_part + echo + noise
    return RoomRecording(
        mic=mic.astype(np.float32),
        robot=tuple((s, np.asarray(a, np.float32)) for s, a in robot),
        echo=echo.astype(np.float32),
        user=user_part.astype(np.float32),
        noise=noise.astype(np.float32),
        user_spans=tuple(_voiced_seconds(s, a) for s, a in user),
        robot_spans=tuple(_voiced_seconds(s, a) for s, a in robot),
        settings=settings,
    )


def _voiced_slice(start_s: float, audio: np.ndarray) -> slice:
    first, last = voiced_span(audio)
    offset = int(round(start_s * SAMPLE_RATE))
    return slice(offset + first, offset + last)


def _voiced_seconds(start_s: float, audio: np.ndarray) -> tuple[float, float]:
    first, last = voiced_span(audio)
    return start_s + first / SAMPLE_RATE, start_s + last / SAMPLE_RATE


def power_db(audio: np.ndarray) -> float:
    return 10 * np.log10(np.mean(np.asarray(audio, np.float64) ** 2) + 1e-20)


def erle_db(recording: RoomRecording, cleaned: np.ndarray, skip_s: float = 0.0) -> float:
    """Echo return loss enhancement where only the robot speaks: how much quieter the cleaned
    signal is than the microphone's, in dB. `skip_s`: leave out the first seconds of the robot's
    voice (the canceller's convergence). The noise floor bounds it (about echo level + SNR)."""
    spans = [(s, e) for s, e in recording.echo_only_spans() if e > skip_s]
    spans = [(max(s, skip_s), e) for s, e in spans]
    mic = np.concatenate([recording.mic[recording.samples(s)] for s in spans])
    out = np.concatenate([cleaned[recording.samples(s)] for s in spans])
    return power_db(mic) - power_db(out)


def to_s16le(audio: np.ndarray) -> bytes:
    return np.round(np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def play_through(
    canceller,
    recording: RoomRecording,
    chunk_s: float = 0.02,
    reference_chunk_s: float = 0.04,
    lead_s: float = 0.1,
    start_time: float = 1000.0,
    capture_stamps: bool = True,
    arrival_delay_s=lambda chunk: 0.0,
    reference_rate: int = SAMPLE_RATE,
) -> np.ndarray:
    """Feed the recording to an echo canceller as asr_node would, and return what comes out
    (aligned with `recording.mic`). The robot's audio goes in as tts_node publishes it: chunks of
    `reference_chunk_s` stamped with their play time, each `lead_s` before it plays (tts_node's
    chunk_duration and playback_lead). The
    microphone goes in `chunk_s` at a time, stamped with its capture time, or, without
    `capture_stamps`, with its arrival time: after its last sample plus `arrival_delay_s(i)`.
    `reference_rate`: the speaker audio's sample rate (tts_node's output rate)."""
    reference = []
    step = int(reference_chunk_s * reference_rate)
    for start_s, audio in recording.robot:
        if reference_rate != SAMPLE_RATE:
            divisor = gcd(reference_rate, SAMPLE_RATE)
            audio = resample_poly(audio, reference_rate // divisor, SAMPLE_RATE // divisor)
        for offset in range(0, len(audio), step):
            reference.append(
                (
                    start_time + start_s + offset / reference_rate,
                    to_s16le(audio[offset : offset + step]),
                )
            )
    reference.sort(key=lambda item: item[0])
    out, next_reference = [], 0
    chunk = int(chunk_s * SAMPLE_RATE)
    for i, first in enumerate(range(0, len(recording.mic), chunk)):
        samples = recording.mic[first : first + chunk]
        now = start_time + (first + len(samples)) / SAMPLE_RATE
        while next_reference < len(reference) and reference[next_reference][0] - lead_s <= now:
            canceller.add_reference(reference[next_reference][1], reference[next_reference][0])
            next_reference += 1
        chunk_time = (
            start_time + first / SAMPLE_RATE if capture_stamps else now + arrival_delay_s(i)
        )
        out.append(canceller.process(samples, chunk_time))
    cleaned = np.concatenate(out)
    return np.concatenate([cleaned, np.zeros(len(recording.mic) - len(cleaned), np.float32)])
