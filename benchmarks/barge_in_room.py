"""Barge-in and echo over DDS, in a live simulated room.

tts_node speaks a long reply for real; a room in this process feeds asr_node's microphone in real
time with the robot's own voice (tts_node's published audio, delayed, scaled to a level relative
to the user's, reverberated: benchmarks/simulated_room), the user's speech and a noise floor. The
cases, per echo delay:

  echo only    the robot speaks, the user is silent: every BargeIn is a false barge-in (a pause
               stutters the robot, a stop cuts it off), every final Transcript is the robot's
               own words. It is the first reply asr_node hears (a new node per delay: a new
               room), so the echo canceller learns the room on it.
  barge-ins    the user asks a question 1.5-3 s into the reply: from the user's first voiced
               sample to the end of the robot's last audio (its play time + duration, from
               tts_node's stamped chunks: what a player plays, the lead included).
  backchannels "Mm-hmm." / "Okay." / "Yeah." mid-reply: the robot must not stop (a brief hold is
               allowed) and no transcript may come of it.

Used by bench_turn_taking.py; needs the installed workspace (`source scripts/env.sh`).
"""

import statistics
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.signal import fftconvolve
from simulated_room import (
    SPEECH_LEVEL_DBFS,
    RoomSettings,
    active_level_dbfs,
    impulse_response,
    voiced_span,
)

# The room's reverberant energy relative to the direct sound, as simulated_room's default.
DIRECT_TO_REVERB_DB = RoomSettings().direct_to_reverb_db

SAMPLE_RATE = 16000
CHUNK = 320  # 20 ms, as audio_capture sends
ROBOT_REPLY = (
    "That sounds like a wonderful achievement, and you should be really proud of yourself. "
    "Passing an exam takes a lot of work and patience. Tonight you could invite a few friends "
    "over, cook your favourite meal, or go for a walk in the park and enjoy the evening air. "
    "Whatever you choose, make sure you take some time to rest as well."
)
QUESTIONS = [
    "Wait, what time is it?",
    "Sorry, can you say that again?",
    "Hold on, I have a question.",
    "No, I meant something else.",
    "Stop, tell me about the weather.",
]
BACKCHANNELS = ["Mm-hmm.", "Okay.", "Yeah."]
# Robot audio that resumes within this [s] of a gap was a hold, not a stop.
GAP_S = 0.25


@dataclass
class CaseResult:
    kind: str
    delay_ms: float
    stop_latency: float = float("nan")  # barge-ins: user onset -> robot audio end [s]
    pause_latency: float = float("nan")  # barge-ins: user onset -> asr_node's PAUSE received [s]
    pauses: int = 0
    stops: int = 0
    interrupted: bool = False  # tts_node reported the reply cut off
    pauses_at: list[float] = field(default_factory=list)  # PAUSE onsets after the robot began [s]
    finals: list[str] = field(default_factory=list)
    user_text: str = ""


class LiveRoom:
    """A microphone publishing 20 ms chunks in real time: user speech + the robot's echo + noise."""

    def __init__(
        self,
        harness,
        mic,
        delay_ms: float,
        echo_gain: float,
        rt60_s: float = 0.3,
        snr_db: float = 40.0,
        seed: int = 0,
    ):
        from audio_common_msgs.msg import AudioDataStamped
        from insideout_common.ros.qos import RELIABLE_EVENTS

        rng = np.random.default_rng(seed)
        self.mic = mic
        self.delay = delay_ms / 1000
        self.echo_gain = echo_gain
        self.ir = impulse_response(rt60_s, DIRECT_TO_REVERB_DB, rng)
        self.noise_rms = 10 ** ((SPEECH_LEVEL_DBFS - snr_db) / 20)
        self.rng = rng
        self.robot_chunks: list[tuple] = []  # (play start, duration) [s, wall clock]
        self.robot_pcm: list[np.ndarray] = []  # what tts_node sent, for the echo's level
        self._lock = threading.Lock()
        self._t0 = None
        harness.node.create_subscription(
            AudioDataStamped,
            "/insideout/speaker/audio_stamped",
            self._on_robot_audio,
            RELIABLE_EVENTS,
        )

    def _on_robot_audio(self, msg) -> None:
        play = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        pcm = np.frombuffer(bytes(msg.audio.data), dtype="<i2").astype(np.float32) / 32768.0
        with self._lock:
            self.robot_chunks.append((play, len(pcm) / SAMPLE_RATE))
            self.robot_pcm.append(pcm)
            if self._t0 is None:
                return
            start = int(round((play + self.delay - self._t0) * SAMPLE_RATE))
            end = min(start + len(pcm), len(self._dry))
            if 0 <= start < end:
                self._dry[start:end] += pcm[: end - start] * self.echo_gain

    def run(
        self, seconds: float, user=(), stop_when=lambda elapsed: False, linger_s: float = 0.0
    ) -> float:
        """Play up to `seconds` of microphone audio in real time (blocking), ending `linger_s`
        after `stop_when(elapsed)` first holds; `user`: (start [s from now], audio at its level)
        placed on the way. Returns the wall-clock start."""
        length = int(seconds * SAMPLE_RATE)
        self._user = np.zeros(length, np.float32)
        with self._lock:
            self._dry = np.zeros(length + len(self.ir), np.float32)
            self._t0 = t0 = time.time()
        for start_s, audio in user:
            start = int(start_s * SAMPLE_RATE)
            piece = audio[: max(length - start, 0)]
            self._user[start : start + len(piece)] += piece
        from audio_common_msgs.msg import AudioData

        tail = len(self.ir) - 1
        end_chunk = length // CHUNK
        for k in range(length // CHUNK):
            if k >= end_chunk:
                break
            if end_chunk == length // CHUNK and stop_when(k * CHUNK / SAMPLE_RATE):
                end_chunk = min(end_chunk, k + int(linger_s * SAMPLE_RATE / CHUNK))
            due = t0 + (k + 1) * CHUNK / SAMPLE_RATE
            wait = due - time.time()
            if wait > 0:
                time.sleep(wait)
            lo, hi = k * CHUNK, (k + 1) * CHUNK
            with self._lock:
                dry = self._dry[max(lo - tail, 0) : hi].copy()
            echo = (
                np.convolve(dry, self.ir)[min(lo, tail) : min(lo, tail) + CHUNK]
                if dry.any()
                else np.zeros(CHUNK, np.float32)
            )
            chunk = self._user[lo:hi] + echo + self.rng.standard_normal(CHUNK) * self.noise_rms
            pcm = (np.clip(chunk, -1, 1) * 32767).astype("<i2").tobytes()
            self.mic.audio.publish(AudioData(data=pcm))
        with self._lock:
            self._t0 = None
        return t0

    def robot_stop_after(self, onset: float) -> float:
        """End of the robot's audio after `onset` that no audio follows within GAP_S."""
        with self._lock:
            spans = sorted(c for c in self.robot_chunks if c[0] + c[1] > onset)
        if not spans:
            return onset
        end = spans[0][0] + spans[0][1]
        for start, duration in spans[1:]:
            if start > end + GAP_S:
                break
            end = max(end, start + duration)
        return end


def user_clip(text: str, voice: str, seed: int):
    """espeak speech at the user's level, and where its voice begins [s]."""
    from asr.speech_audio import speak

    audio = speak(text, voice)
    audio = audio * 10 ** (SPEECH_LEVEL_DBFS / 20) / 10 ** (active_level_dbfs(audio) / 20)
    return audio.astype(np.float32), voiced_span(audio)[0] / SAMPLE_RATE


def echo_gain_for(robot_audio: np.ndarray, level_db: float, rt60_s: float = 0.3) -> float:
    """Gain that puts the robot's reverberated voice `level_db` relative to the user's level."""
    wet = fftconvolve(
        robot_audio, impulse_response(rt60_s, DIRECT_TO_REVERB_DB, np.random.default_rng(0))
    )
    return 10 ** ((SPEECH_LEVEL_DBFS + level_db - active_level_dbfs(wet)) / 20)


class Topics:
    """What the bench watches: collectors of BargeIn, final Transcripts, ReplyInterrupted and
    robot_speaking, and the reply publisher."""

    def __init__(self, harness):
        from std_msgs.msg import Bool, String

        from insideout_common.ros.qos import LATCHED_STATE, RELIABLE_EVENTS
        from insideout_msgs.msg import BargeIn, ReplyInterrupted, Transcript

        self.barge_ins = harness.collect(BargeIn, "/insideout/barge_in", RELIABLE_EVENTS)
        self.pauses_received: list[float] = []  # wall-clock arrival of each PAUSE
        harness.node.create_subscription(
            BargeIn,
            "/insideout/barge_in",
            lambda m: (
                self.pauses_received.append(time.time()) if m.action == BargeIn.PAUSE else None
            ),
            RELIABLE_EVENTS,
        )
        self.transcripts = harness.collect(Transcript, "/insideout/transcript", RELIABLE_EVENTS)
        self.interruptions = harness.collect(
            ReplyInterrupted, "/insideout/reply/interrupted", RELIABLE_EVENTS
        )
        self.robot_speaking = harness.collect(Bool, "/insideout/robot_speaking", LATCHED_STATE)
        self.reply = harness.publisher(String, "/insideout/reply", RELIABLE_EVENTS)
        assert harness.wait_for_subscribers(self.reply, 1, 30), "tts_node never subscribed"

    def marks(self):
        return (
            len(self.barge_ins.snapshot()),
            len(self.transcripts.snapshot()),
            len(self.interruptions.snapshot()),
        )

    def since(self, marks):
        return (
            self.barge_ins.snapshot()[marks[0] :],
            [m.text for m in self.transcripts.snapshot()[marks[1] :] if m.is_final],
            self.interruptions.snapshot()[marks[2] :],
        )

    def robot_quiet(self) -> bool:
        states = self.robot_speaking.snapshot()
        return not states or not states[-1].data


def speak_reply(
    topics: Topics, room: LiveRoom, user=(), after_s: float = 2.0, max_s: float = 40.0
) -> float:
    """The robot says ROBOT_REPLY while the room plays (the user's speech on the way); the room
    goes on `after_s` after the robot went quiet and the user finished. Returns the start."""
    from std_msgs.msg import String

    deadline = time.monotonic() + 20
    while not topics.robot_quiet() and time.monotonic() < deadline:
        time.sleep(0.05)
    user_end = max((start + len(audio) / SAMPLE_RATE for start, audio in user), default=0.0)
    started = {"robot": False}

    def done(elapsed: float) -> bool:
        speaking = not topics.robot_quiet()
        started["robot"] |= speaking
        return started["robot"] and not speaking and elapsed > user_end

    topics.reply.publish(String(data=ROBOT_REPLY))
    return room.run(max_s, user, stop_when=done, linger_s=after_s)


def run_cases(
    harness, mic, delays, level_db: float, barge_ins: int, backchannels: int, seed: int = 0
) -> list[CaseResult]:
    from asr.robot_voice import robot_says  # tts_node's default voice, in this process

    topics = Topics(harness)
    rng = np.random.default_rng(seed)
    # The echo's level from the reply said here: a reply through tts_node with no echo would
    # teach the canceller a room without one.
    gain = echo_gain_for(robot_says(ROBOT_REPLY), level_db)
    results = []
    for delay in delays:
        room = LiveRoom(harness, mic, delay, gain, seed=seed + int(delay))
        marks = topics.marks()
        speak_reply(topics, room)
        result = _result("echo only", delay, topics.since(marks))
        began = min((start for start, _ in room.robot_chunks), default=0.0)
        result.pauses_at = [
            round(m.header.stamp.sec + m.header.stamp.nanosec * 1e-9 - began, 2)
            for m in topics.since(marks)[0]
            if m.action == 0
        ]
        results.append(result)
        for index in range(barge_ins):
            text = QUESTIONS[index % len(QUESTIONS)]
            audio, voice_at = user_clip(text, ("en-us", "en-gb")[index % 2], index)
            start = 2.0 + float(rng.uniform(0.0, 1.0))
            room.robot_chunks.clear()
            marks = topics.marks()
            t0 = speak_reply(topics, room, [(start, audio)], after_s=2.5)
            result = _result("barge-in", delay, topics.since(marks), text)
            onset = t0 + start + voice_at
            result.stop_latency = (
                room.robot_stop_after(onset) - onset if result.stops else float("nan")
            )
            pauses = [t for t in topics.pauses_received if t > onset - 0.5]
            result.pause_latency = pauses[0] - onset if pauses else float("nan")
            results.append(result)
        for index in range(backchannels):
            text = BACKCHANNELS[index % len(BACKCHANNELS)]
            audio, _ = user_clip(text, "en-us", index)
            marks = topics.marks()
            speak_reply(topics, room, [(2.0 + float(rng.uniform(0.0, 2.0)), audio)])
            results.append(_result("backchannel", delay, topics.since(marks), text))
    return results


def _result(kind, delay, observed, user_text="") -> CaseResult:
    from insideout_msgs.msg import BargeIn

    barge_ins, finals, interruptions = observed
    result = CaseResult(
        kind, delay, user_text=user_text, finals=finals, interrupted=bool(interruptions)
    )
    result.pauses = sum(m.action == BargeIn.PAUSE for m in barge_ins)
    result.stops = sum(m.action == BargeIn.STOP for m in barge_ins)
    return result


def summarise(results: list[CaseResult]) -> list[str]:
    lines = []
    delays = sorted({r.delay_ms for r in results})
    for delay in delays + ([None] if len(delays) > 1 else []):
        rows = [r for r in results if delay is None or r.delay_ms == delay]
        echo = [r for r in rows if r.kind == "echo only"]
        barge = [r for r in rows if r.kind == "barge-in"]
        back = [r for r in rows if r.kind == "backchannel"]
        latencies = [r.stop_latency for r in barge if r.stop_latency == r.stop_latency]
        p95 = (
            sorted(latencies)[min(len(latencies) - 1, int(0.95 * len(latencies)))]
            if latencies
            else float("nan")
        )
        lines.append(
            f"  {'all delays' if delay is None else f'delay {delay:3.0f} ms'}: barge-ins stopped "
            f"{len(latencies)}/{len(barge)}, stop "
            f"latency median {statistics.median(latencies) if latencies else float('nan'):.2f} s "
            f"p95 {p95:.2f} s; echo only: false pauses {sum(r.pauses for r in echo)}, false "
            f"stops {sum(r.stops for r in echo)}, robot's own words transcribed "
            f"{sum(len(r.finals) for r in echo)}; backchannels: stops "
            f"{sum(r.stops for r in back)}/{len(back)}, transcribed "
            f"{sum(len(r.finals) for r in back)}"
        )
    return lines
