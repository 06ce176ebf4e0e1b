"""Echo cancellation on a simulated room: how much of the robot's voice is removed, what is left
of the user's, and the CPU it costs.

    source scripts/env.sh && python benchmarks/bench_echo_cancellation.py [--cancellers webrtc,off]
        [--delays 20,80,150] [--levels -6,0] [--no-wer]

The room (benchmarks/simulated_room.py): the robot's voice (hibari, tts_node's default) delayed,
scaled relative to the user's voice, reverberated (RT60 0.3 s) and over noise (40 dB below the
user); the user is LibriVox read speech (data/librivox, `scripts/fetch_test_data.sh`). Each
canceller is fed as asr_node feeds it (simulated_room.play_through: 20 ms microphone chunks,
0.04 s reference chunks 0.1 s ahead of their play time, as tts_node sends them).

Per delay and echo level:
- robot alone: ERLE [dB] where only the robot speaks (whole, and after its first second), and the
  share of those 32 ms frames Silero VAD calls speech (raw -> cleaned);
- CPU: milliseconds per second of audio while the canceller runs;
- double talk: the user reads two clips while the robot speaks on (the worst case), and while it
  stops 0.6 s after the user begins (as barge-in stops it); Whisper tiny.en's word error rate on
  the user's clips (user alone / raw microphone / cleaned; its sampling fallback seeded).

`speexdsp` (Speex's linear echo canceller, 256 ms filter) is measured when importable; it is not
a project dependency (it needs the Debian packages libspeexdsp-dev and swig to build).
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from asr.multi_sentence_speech import _librivox  # noqa: E402
from asr.robot_voice import ROBOT_SENTENCES, robot_says  # noqa: E402
from simulated_room import SAMPLE_RATE, RoomSettings, erle_db, play_through, simulate_room  # noqa: E402
from support.word_error_rate import word_error_rate  # noqa: E402

from insideout_perception.core.echo_cancellation import (  # noqa: E402
    FRAME_SAMPLES,
    NoEchoCanceller,
    ReferenceAlignedCanceller,
    WebRtcEchoCanceller,
)
from insideout_perception.core.vad.silero import FRAME_SAMPLES as VAD_FRAME  # noqa: E402
from insideout_perception.core.vad.silero import SileroVad  # noqa: E402

GAP_S = 1.0


class SpeexEchoCanceller(ReferenceAlignedCanceller):
    """For comparison only: speexdsp's linear (MDF) canceller, no residual echo suppression in
    these bindings; its filter must span the delay and the reverberation."""

    name = "speexdsp"

    def __init__(self, capture_stamps: bool, filter_ms: int = 256):
        super().__init__(capture_stamps)
        from speexdsp import EchoCanceller

        self._ec = EchoCanceller.create(FRAME_SAMPLES, filter_ms * SAMPLE_RATE // 1000, SAMPLE_RATE)

    def _cancel_frames(self, microphone, reference):
        mic16 = np.round(np.clip(microphone, -1, 0.99997) * 32768).astype("<i2")
        ref16 = np.round(np.clip(reference, -1, 0.99997) * 32768).astype("<i2")
        out = np.empty_like(mic16)
        for i in range(len(mic16)):
            out[i] = np.frombuffer(self._ec.process(mic16[i].tobytes(), ref16[i].tobytes()), "<i2")
        return out.astype(np.float32) / 32768.0


CANCELLERS = {
    "off": lambda: NoEchoCanceller(),
    "webrtc": lambda: WebRtcEchoCanceller(capture_stamps=True),
    "speexdsp": lambda: SpeexEchoCanceller(capture_stamps=True),
}


class TimedCanceller:
    """Wraps a canceller and times its process() calls."""

    def __init__(self, canceller):
        self.canceller, self.seconds = canceller, 0.0

    def add_reference(self, pcm, play_time):
        started = time.perf_counter()
        self.canceller.add_reference(pcm, play_time)
        self.seconds += time.perf_counter() - started

    def process(self, samples, chunk_time):
        started = time.perf_counter()
        out = self.canceller.process(samples, chunk_time)
        self.seconds += time.perf_counter() - started
        return out


def robot_alone(settings):
    parts, t = [], 0.5
    for text in ROBOT_SENTENCES:
        audio = robot_says(text)
        parts.append((t, audio))
        t += len(audio) / SAMPLE_RATE + GAP_S
    return simulate_room(t + 1.0, robot=parts, settings=settings)


def double_talk(settings, robot_stops_after_s=None):
    """The user reads two clips, 1.5 s into the robot's speech and 1 s apart. The robot speaks
    on under both, or (`robot_stops_after_s`) stops that long after each clip begins and starts
    a new sentence 0.5 s after it ends."""
    sentences = [robot_says(text) for text in ROBOT_SENTENCES]
    clips = [_librivox(i) for i in ("0880", "0930")]
    user, texts, robot, t = [], [], [], 2.0
    for audio, text in clips:
        user.append((t, audio))
        texts.append(text)
        t += len(audio) / SAMPLE_RATE + 1.0
    if robot_stops_after_s is None:
        robot = [(0.5, np.concatenate(sentences))]
    else:
        robot_start = 0.5
        for (start, audio), sentence in zip(user, sentences):
            robot.append(
                (
                    robot_start,
                    sentence[: int((start - robot_start + robot_stops_after_s) * SAMPLE_RATE)],
                )
            )
            robot_start = start + len(audio) / SAMPLE_RATE + 0.5
    end = max(t, max(s + len(a) / SAMPLE_RATE for s, a in robot)) + 1.0
    return simulate_room(end, robot=robot, user=user, settings=settings), texts


def vad_speech_share(vad, audio, spans, threshold=0.5):
    """Share of the 32 ms frames inside `spans` that Silero VAD calls speech."""
    vad.reset()
    voiced = total = 0
    marks = np.zeros(len(audio), bool)
    for start, end in spans:
        marks[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)] = True
    for first in range(0, len(audio) - VAD_FRAME + 1, VAD_FRAME):
        p = vad.probability(audio[first : first + VAD_FRAME])
        if marks[first : first + VAD_FRAME].all():
            total += 1
            voiced += p >= threshold
    return voiced / max(total, 1)


def user_wer(backend, audio, room, texts):
    import ctranslate2

    errors = []
    for (start, end), text in zip(room.user_spans, texts):
        piece = audio[int((start - 0.3) * SAMPLE_RATE) : int((end + 0.3) * SAMPLE_RATE)]
        ctranslate2.set_random_seed(0)  # Whisper's temperature fallback samples
        errors.append(word_error_rate(text, backend.transcribe(piece).text))
    return float(np.mean(errors))


def wer_row(backend, name, room, texts):
    cleaned = play_through(CANCELLERS[name](), room)
    return (
        f"{user_wer(backend, room.user + room.noise, room, texts):.2f} / "
        f"{user_wer(backend, room.mic, room, texts):.2f} / "
        f"{user_wer(backend, cleaned, room, texts):.2f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cancellers", default="off,webrtc,speexdsp")
    parser.add_argument("--delays", default="20,80,150")
    parser.add_argument("--levels", default="-6,0")
    parser.add_argument("--no-wer", action="store_true", help="skip the double-talk recognition")
    args = parser.parse_args()
    names = [n for n in args.cancellers.split(",") if n]
    vad = SileroVad()
    backend = None
    if not args.no_wer:
        from insideout_perception.core.asr_backends import BackendOptions, create_backend

        backend = create_backend("faster_whisper", BackendOptions())
    print(
        "| canceller | delay ms | echo dB | ERLE dB | ERLE after 1 s | VAD speech raw -> cleaned | "
        "CPU ms per s | user WER alone / raw / cleaned, robot speaking on | same, robot stopping "
        "0.6 s in |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for delay in [float(d) for d in args.delays.split(",")]:
        for level in [float(v) for v in args.levels.split(",")]:
            settings = RoomSettings(echo_delay_ms=delay, echo_level_db=level)
            room = robot_alone(settings)
            spans = room.echo_only_spans()
            raw_vad = vad_speech_share(vad, room.mic, spans)
            if backend:
                talk, texts = double_talk(settings)
                interrupted, _ = double_talk(settings, robot_stops_after_s=0.6)
            for name in names:
                try:
                    canceller = TimedCanceller(CANCELLERS[name]())
                except ImportError as error:
                    print(f"| {name} | not importable: {error} |")
                    continue
                cleaned = play_through(canceller, room)
                active_s = len(room.mic) / SAMPLE_RATE
                wer = (
                    f"{wer_row(backend, name, talk, texts)} | "
                    f"{wer_row(backend, name, interrupted, texts)}"
                    if backend
                    else " | "
                )
                print(
                    f"| {name} | {delay:.0f} | {level:+.0f} | {erle_db(room, cleaned):.1f} | "
                    f"{erle_db(room, cleaned, skip_s=1.5):.1f} | {raw_vad:.2f} -> "
                    f"{vad_speech_share(vad, cleaned, spans):.2f} | "
                    f"{1000 * canceller.seconds / active_s:.2f} | {wer} |",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
