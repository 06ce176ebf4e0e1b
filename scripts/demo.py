#!/usr/bin/env python3
"""`make demo`: replay the demo bag through the whole InsideOut pipeline and show what happens.

Every node runs as its own process (the installed executables, parameters from
config/insideout.yaml and config/prompts.yaml: the embedded defaults), the bag_player replays
data/demo_bag (a face on /camera/image_raw, a spoken question on /audio + /audio_info), and this
script listens over DDS. It prints the emotion over time, the transcript, each agent's answer, the
aggregated reply and the time from the end of the question to the first reply audio; it writes the
spoken reply (out/demo_reply.wav), a timeline (out/demo_timeline.png) and the node logs
(out/logs/). The live view (web_view_node) runs beside it: the URL is printed, so a person can
watch the turn unfold in a browser, and a headless Chromium watching it too writes
out/demo_live.png at the end of the turn. It exits 0 only when a reply was produced and spoken;
otherwise it says what is missing and exits 1.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# The colcon install/ of the wheels in use (scripts/ros_wheels.sh: install-jazzy/ for Jazzy).
INSTALL_DIR = Path(os.environ.get("INSIDEOUT_INSTALL", REPO_ROOT / "install"))
CONFIG_DIR = REPO_ROOT / "config"


def load_pipeline() -> dict[str, tuple[str, str, str, str]]:
    """config/pipeline.yaml (the launch file's nodes too) as {node name: (package, executable,
    the topic it subscribes to that proves it is ready, topic it publishes)}. The demo runs
    without a namespace, so relative names resolve at the root."""
    import yaml

    absolute = lambda topic: topic if topic.startswith("/") else "/" + topic  # noqa: E731
    nodes = yaml.safe_load((CONFIG_DIR / "pipeline.yaml").read_text())
    return {
        n["name"]: (
            n["package"],
            n["executable"],
            absolute(n["ready_topic"]),
            absolute(n["output_topic"]),
        )
        for n in nodes.values()
    }


PIPELINE = load_pipeline()
# Colours people expect for each emotion on the timeline.
EMOTION_COLOURS = {
    "anger": "tab:red",
    "contempt": "tab:brown",
    "disgust": "tab:olive",
    "fear": "tab:purple",
    "happiness": "gold",
    "neutral": "tab:gray",
    "sadness": "tab:blue",
    "surprise": "tab:cyan",
}
# Every node gets both files, as from the launch file; sections `/**/<node>` pick the node's.
PARAM_FILES = [CONFIG_DIR / "insideout.yaml", CONFIG_DIR / "prompts.yaml"]


def log(text: str) -> None:
    print(f"[demo] {text}", flush=True)


# --- node processes ---------------------------------------------------------------------------


class Process:
    """A pipeline executable in its own process and session, output to a log file."""

    def __init__(
        self, name: str, command: list[str], log_path: Path, env: dict[str, str] | None = None
    ):
        self.name, self.command, self.log_path = name, command, log_path
        self._log = open(log_path, "wb")
        self.popen = subprocess.Popen(
            command,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )

    def running(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 15) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join("    " + line for line in text[-lines:])

    def stop(self) -> None:
        if self.running():
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        self._log.close()


def node_command(package: str, executable: str, overrides: dict[str, str]) -> list[str]:
    path = INSTALL_DIR / package / "lib" / package / executable
    command = [str(path), "--ros-args"]
    for params_file in PARAM_FILES:
        command += ["--params-file", str(params_file)]
    for parameter, value in overrides.items():
        command += ["-p", f"{parameter}:={value}"]
    return command


# --- what the demo hears over DDS ---------------------------------------------------------------


@dataclass
class Observations:
    """Everything received, with monotonic receive times."""

    t0: float | None = None  # first camera frame seen
    emotions: list[tuple[float, object]] = field(default_factory=list)
    transcripts: list[tuple[float, object]] = field(default_factory=list)
    turns: list[tuple[float, object]] = field(default_factory=list)
    replies: list[tuple[float, str]] = field(default_factory=list)
    speaker_chunks: list[tuple[float, bytes]] = field(default_factory=list)
    speaker_info: object | None = None
    speaking: list[tuple[float, bool]] = field(default_factory=list)
    audio_bytes: int = 0
    speech_start: float | None = None  # when the question's first/last sample went by
    speech_end: float | None = None
    # When the publishers SENT them (DDS source timestamps, wall clock [s]): the latency is taken
    # from these, so a moment when this listener falls behind does not shorten or stretch it.
    speech_end_sent: float | None = None
    transcript_sent: float | None = None
    first_reply_audio_sent: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class Listener:
    """An rclpy node in a background thread that records the pipeline's outputs."""

    def __init__(
        self,
        obs: Observations,
        speech_start_byte: int,
        speech_end_byte: int,
        speech_end_chunk: bytes,
    ):
        import rclpy
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
        from sensor_msgs.msg import Image
        from std_msgs.msg import Bool, String

        from audio_common_msgs.msg import AudioData, AudioInfo
        from insideout_msgs.msg import DialogueTurn, EmotionState, Transcript

        self.rclpy = rclpy
        self.obs = obs
        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node("insideout_demo", context=self.context)
        # Deep enough that a busy moment here never overwrites audio not yet counted (the
        # question's end is found by counting audio bytes).
        reliable = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
        latched = QoSProfile(
            depth=1,
            reliability=ReliabilityPolicy.RELIABLE,
            durability=DurabilityPolicy.TRANSIENT_LOCAL,
        )
        best_effort = QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT)
        self._speech_bytes = (speech_start_byte, speech_end_byte)
        self._speech_end_chunk = speech_end_chunk
        sub = self.node.create_subscription
        # rclpy passes message info (the DDS source timestamp) to two-argument callbacks from
        # Iron on; before that, arrival times stand in (see _sent_at).
        from rclpy.subscription import Subscription

        with_info = (
            (lambda method: method)
            if hasattr(Subscription, "CallbackType")
            else (lambda method: lambda message: method(message, None))
        )
        # raw: only the arrival matters, and deserializing 900 KB frames in Python is slow.
        sub(Image, "/camera/image_raw", self._on_frame, best_effort, raw=True)
        sub(AudioData, "/audio", with_info(self._on_mic_audio), reliable)
        sub(EmotionState, "/insideout/emotion", self._stamp(obs.emotions), reliable)
        sub(Transcript, "/insideout/transcript", with_info(self._on_transcript), reliable)
        sub(DialogueTurn, "/insideout/dialogue", self._stamp(obs.turns), reliable)
        sub(String, "/insideout/reply", lambda m: self._add(obs.replies, m.data), reliable)
        sub(AudioData, "/insideout/speaker/audio", with_info(self._on_speaker_audio), reliable)
        sub(AudioInfo, "/insideout/speaker/audio_info", self._on_speaker_info, latched)
        sub(Bool, "/insideout/robot_speaking", lambda m: self._add(obs.speaking, m.data), latched)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self._spin, daemon=True)
        self.thread.start()

    def _spin(self):
        try:
            self.executor.spin()
        except Exception:  # context shut down
            pass

    def _add(self, items, value):
        with self.obs.lock:
            items.append((time.monotonic(), value))

    def _stamp(self, items):
        return lambda message: self._add(items, message)

    def _on_frame(self, _message):
        if self.obs.t0 is None:
            self.obs.t0 = time.monotonic()

    def _on_speaker_info(self, message):
        self.obs.speaker_info = message

    @staticmethod
    def _sent_at(info) -> float:
        """When the publisher sent it (DDS source timestamp, wall clock); rclpy before Iron passes
        no message info, and then the arrival time stands in."""
        return info["source_timestamp"] * 1e-9 if info is not None else time.time()

    def _on_transcript(self, message, info):
        if message.is_final and self.obs.transcript_sent is None:
            self.obs.transcript_sent = self._sent_at(info)
        self._add(self.obs.transcripts, message)

    def _on_speaker_audio(self, message, info):
        if self.obs.first_reply_audio_sent is None:
            self.obs.first_reply_audio_sent = self._sent_at(info)
        self._add(self.obs.speaker_chunks, bytes(message.data))

    def _on_mic_audio(self, message, info):
        # The question's end is when its last sample has been played to the pipeline.
        now = time.monotonic()
        before = self.obs.audio_bytes
        self.obs.audio_bytes += len(message.data)
        start, _end = self._speech_bytes
        if before <= start < self.obs.audio_bytes:
            self.obs.speech_start = now
        if bytes(message.data) == self._speech_end_chunk and self.obs.speech_end_sent is None:
            self.obs.speech_end = now
            self.obs.speech_end_sent = self._sent_at(info)

    def subscribers(self, topic: str) -> list[str]:
        return [info.node_name for info in self.node.get_subscriptions_info_by_topic(topic)]

    def publishers(self, topic: str) -> list[str]:
        return [info.node_name for info in self.node.get_publishers_info_by_topic(topic)]

    def close(self):
        self.executor.shutdown(timeout_sec=2.0)
        self.thread.join(timeout=2.0)
        self.node.destroy_node()
        self.rclpy.try_shutdown(context=self.context)


# --- the run ----------------------------------------------------------------------------------


def wait_until(predicate, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def read_bag_facts(bag: Path) -> dict[str, str]:
    from insideout_common.bags import BagReader

    with BagReader(bag) as reader:
        facts = reader.custom_data
        facts["duration_s"] = f"{reader.duration_s:.2f}"
    return facts


def audio_chunk_holding(bag: Path, byte_index: int) -> bytes:
    """The payload of the bag's /audio message that holds the given byte of the recording: the
    listener recognises it by content, so a chunk it missed cannot shift the question's end."""
    from insideout_common.bags import BagReader

    seen = 0
    with BagReader(bag) as reader:
        for message in reader.messages(["/audio"]):
            data = bytes(reader.deserialize(message).data)
            if seen <= byte_index < seen + len(data):
                return data
            seen += len(data)
    return b""


def missing_executables() -> list[str]:
    missing = []
    for name, (package, executable, _, _) in PIPELINE.items():
        if not (INSTALL_DIR / package / "lib" / package / executable).exists():
            missing.append(f"{name} ({package}/{executable}) is not built: run `make setup`")
    for executable in ("bag_player",):
        if not (
            INSTALL_DIR / "insideout_common" / "lib" / "insideout_common" / executable
        ).exists():
            missing.append(f"insideout_common/{executable} is not built: run `make setup`")
    return missing


def emotion_line(t: float, message) -> str:
    if not message.face_detected:
        return f"  t={t:5.1f} s  no face"
    top = sorted(zip(message.labels, message.scores), key=lambda p: -p[1])[:3]
    others = ", ".join(f"{label} {score:.2f}" for label, score in top[1:])
    return (
        f"  t={t:5.1f} s  {message.dominant_label:<9} {message.confidence:.2f}"
        f"  (then {others}; valence {message.valence:+.2f}, track {message.track_id})"
    )


def print_emotions(obs: Observations, period: float = 1.0) -> None:
    last = -1e9
    for received, message in obs.emotions:
        t = received - obs.t0
        if t - last >= period:
            print(emotion_line(t, message))
            last = t


def write_wav(path: Path, chunks: list[bytes], info) -> float:
    rate = info.sample_rate if info is not None else 16000
    channels = info.channels if info is not None else 1
    data = b"".join(chunks)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)  # S16LE, what tts_node sends
        wav.setframerate(rate)
        wav.writeframes(data)
    return len(data) / 2 / channels / rate


def write_timeline(
    path: Path, obs: Observations, marks: dict[str, float | None], question: str, reply: str
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from insideout_common.emotions import LABELS

    fig, ax = plt.subplots(figsize=(12, 5.5), dpi=100)
    if obs.emotions:
        times = np.array([t - obs.t0 for t, _ in obs.emotions])
        scores = np.array(
            [list(m.scores) if m.face_detected else [0.0] * len(LABELS) for _, m in obs.emotions]
        )
        for index, label in enumerate(LABELS):
            if scores[:, index].max() > 0.02:
                ax.plot(
                    times,
                    scores[:, index],
                    label=label,
                    linewidth=1.8,
                    color=EMOTION_COLOURS.get(label),
                )
    rel = {name: (t - obs.t0 if t is not None else None) for name, t in marks.items()}
    if rel.get("speech_start") is not None and rel.get("speech_end") is not None:
        ax.axvspan(
            rel["speech_start"],
            rel["speech_end"],
            color="tab:blue",
            alpha=0.10,
            label="question (audio)",
        )
    if rel.get("reply_audio_start") is not None:
        end = rel.get("reply_audio_end") or rel["reply_audio_start"]
        ax.axvspan(
            rel["reply_audio_start"],
            max(end, rel["reply_audio_start"] + 0.1),
            color="tab:green",
            alpha=0.12,
            label="reply (speaker audio)",
        )
    for name, style in (("transcript", "tab:blue"), ("dialogue_turn", "tab:green")):
        if rel.get(name) is not None:
            ax.axvline(
                rel[name],
                color=style,
                linestyle="--",
                linewidth=1.2,
                label={"transcript": "transcript", "dialogue_turn": "DialogueTurn"}[name],
            )
    ax.set_xlabel("time since the first camera frame [s]")
    ax.set_ylabel("smoothed emotion score")
    ax.set_ylim(-0.02, 1.05)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    wrap = lambda text: text if len(text) < 110 else text[:107] + "..."  # noqa: E731
    ax.set_title(f"InsideOut demo\nQ: {wrap(question)}\nA: {wrap(reply)}", fontsize=9, loc="left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--bag",
        default=str(REPO_ROOT / "data" / "demo_bag"),
        help="bag to replay (default: data/demo_bag, made by `make setup`)",
    )
    parser.add_argument("--out", default=str(REPO_ROOT / "out"), help="output directory")
    parser.add_argument(
        "--timeout",
        type=float,
        default=420.0,
        help="give up this many seconds after playback starts",
    )
    parser.add_argument(
        "--startup-timeout",
        type=float,
        default=180.0,
        help="how long the nodes may take to come up (models, LLM server)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NODE.PARAM=VALUE",
        help="override one node parameter, e.g. dialogue_node.aggregation."
        "strategy=select (repeatable)",
    )
    parser.add_argument(
        "--llm-preset",
        default="",
        help="embedded LLM: qwen2.5-coder-1.5b (default), qwen2.5-coder-0.5b, smollm2-135m",
    )
    parser.add_argument(
        "--web-port", type=int, default=8080, help="port of the live view (0: any free port)"
    )
    parser.add_argument(
        "--no-web", action="store_true", help="no live view (and no out/demo_live.png)"
    )
    parser.add_argument(
        "--max-tokens",
        type=int,
        default=0,
        help="cap every agent's and the aggregator's answer length (0: as configured)",
    )
    return parser.parse_args(argv)


def overrides_from(args) -> dict[str, dict[str, str]]:
    overrides: dict[str, dict[str, str]] = {name: {} for name in PIPELINE}
    if args.llm_preset:
        overrides["dialogue_node"]["local_llm.preset"] = args.llm_preset
    if args.max_tokens:
        import yaml

        config = yaml.safe_load((CONFIG_DIR / "insideout.yaml").read_text())
        agents = config["/**/dialogue_node"]["ros__parameters"]["agents"]["names"]
        for prefix in [f"agents.{a}." for a in agents] + ["aggregator."]:
            overrides["dialogue_node"][prefix + "max_tokens"] = str(args.max_tokens)
    for item in args.set:
        target, _, value = item.partition("=")
        node, _, parameter = target.partition(".")
        if node not in PIPELINE or not parameter or not _:
            raise SystemExit(
                f"--set {item!r}: expected NODE.PARAM=VALUE with NODE one of {', '.join(PIPELINE)}"
            )
        overrides[node][parameter] = value
    return overrides


def run(args) -> int:
    out = Path(args.out)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    bag = Path(args.bag)
    missing = missing_executables()
    if not (bag / "metadata.yaml").exists():
        missing.append(
            f"the demo bag {bag} does not exist: run `make setup` "
            "(scripts/setup.d/50-demo-bag.sh generates it)"
        )
    if missing:
        for item in missing:
            log(f"missing: {item}")
        log("no reply can be produced; the demo fails")
        return 1

    facts = read_bag_facts(bag)
    question = facts.get("insideout.question", "")
    speech_start = int(facts.get("insideout.speech_start_sample", 0))
    speech_end = int(facts.get("insideout.speech_end_sample", 0))
    log(
        f"bag {bag} ({facts['duration_s']} s): a face on /camera/image_raw and the spoken "
        f"question {question!r} on /audio"
    )

    overrides = overrides_from(args)
    obs = Observations()
    # S16LE mono: 2 bytes a sample; the chunk holding the last voiced sample's last byte.
    listener = Listener(
        obs, 2 * speech_start, 2 * speech_end, audio_chunk_holding(bag, 2 * speech_end - 1)
    )
    processes: list[Process] = []
    try:
        for name, (package, executable, _, _) in PIPELINE.items():
            command = node_command(package, executable, overrides[name])
            processes.append(Process(name, command, out / "logs" / f"{name}.log"))
        web = (
            None
            if args.no_web
            else Process(
                "web_view_node",
                node_command("insideout_dialogue", "web_view_node", {"port": str(args.web_port)}),
                out / "logs" / "web_view_node.log",
            )
        )
        if web is not None:
            processes.append(web)
        log(
            "started " + ", ".join(p.name for p in processes) + " (each its own process; "
            f"logs in {out / 'logs'}); waiting for them to come up"
        )

        def not_ready() -> list[str]:
            lacking = []
            for name, (_, _, listens, publishes) in PIPELINE.items():
                if name not in listener.subscribers(listens) or name not in listener.publishers(
                    publishes
                ):
                    lacking.append(f"{name} (subscribed to {listens} and publishing {publishes})")
            # A robot talks long after its start: let the embedded LLM fill its prompt caches
            # first, so this turn is timed as any later one would be.
            dialogue_log = out / "logs" / "dialogue_node.log"
            text = dialogue_log.read_text(errors="replace") if dialogue_log.exists() else ""
            if (
                "starting the embedded LLM server" in text
                and "prompts warmed" not in text
                and "cannot start the embedded LLM server" not in text
            ):
                lacking.append("dialogue_node (warming the embedded LLM's prompts)")
            return lacking

        started = time.monotonic()
        while not_ready() and time.monotonic() - started < args.startup_timeout:
            dead = [p for p in processes if not p.running() and p is not web]
            if dead:
                for process in dead:
                    log(
                        f"{process.name} exited with code {process.popen.returncode}:\n"
                        f"{process.tail()}"
                    )
                return 1
            time.sleep(0.5)
        lacking = not_ready()
        if lacking:
            for item in lacking:
                log(f"not ready after {args.startup_timeout:.0f} s: {item}")
            return 1
        log(f"pipeline ready after {time.monotonic() - started:.1f} s; replaying the bag")
        watcher = start_live_view(web, out) if web is not None else None

        player = Process(
            "bag_player",
            [
                str(INSTALL_DIR / "insideout_common" / "lib" / "insideout_common" / "bag_player"),
                "--ros-args",
                "-p",
                f"bag:={bag}",
                "-p",
                "restamp_headers:=true",
                "-p",
                "start_delay:=1.0",
            ],
            out / "logs" / "bag_player.log",
            # 900 KB camera frames need Fast DDS's large shared-memory segment, as a camera
            # driver does (see the file); other RMWs ignore the variable.
            env={"FASTDDS_DEFAULT_PROFILES_FILE": str(CONFIG_DIR / "fastdds_large_frames.xml")},
        )
        processes.append(player)

        # A turn is done once it was published and the robot has stopped speaking it. The
        # robot may start speaking before the turn is published (leading_voice speaks the
        # first sentence while the rest is written), so the speech counted is any that
        # started after the final transcript.
        def spoken() -> bool:
            with obs.lock:
                finals = [t for t, m in obs.transcripts if m.is_final]
                if not obs.turns or not obs.speaker_chunks or not finals:
                    return False
                now = time.monotonic()
                quiet = now - max(obs.speaker_chunks[-1][0], obs.turns[0][0]) > 1.5
                started = any(on and t >= finals[0] for t, on in obs.speaking)
                stopped = bool(obs.speaking) and obs.speaking[-1][1] is False
                return quiet and started and stopped

        # Give up early when the bag is over and no final transcript came for a minute and a
        # half: nothing will be answered then.
        def hopeless() -> bool:
            if player.running() or any(m.is_final for _, m in obs.transcripts):
                return False
            return time.monotonic() - player_ended.setdefault("t", time.monotonic()) > 90.0

        player_ended: dict[str, float] = {}
        finished = wait_until(
            lambda: (
                spoken()
                or hopeless()
                or not all(p.running() for p in processes if p not in (player, web))
            ),
            args.timeout + float(facts["duration_s"]),
        )
        crashed = [p for p in processes if p not in (player, web) and not p.running()]
        for process in crashed:
            log(f"{process.name} exited with code {process.popen.returncode}:\n{process.tail()}")
        live = finish_live_view(watcher, out) if watcher is not None else None
        return report(out, obs, question, finished and not crashed, live)
    finally:
        for process in reversed(processes):
            process.stop()
        listener.close()


def start_live_view(web: Process, out: Path):
    """The live view's URL, printed for a person to open, and a headless browser on it."""
    from demo_live_view import LiveViewWatcher

    if (
        not wait_until(
            lambda: (
                "live view on http" in web.log_path.read_text(errors="replace") or not web.running()
            ),
            30.0,
        )
        or not web.running()
    ):
        log(f"the live view did not start (out/logs/web_view_node.log):\n{web.tail()}")
        return None
    url = web.log_path.read_text(errors="replace").split("live view on ", 1)[1].split()[0]
    log(f"live view: {url}  (open it in a browser to watch the turn unfold)")
    watcher = LiveViewWatcher(url, out / "demo_live.png")
    if not watcher.start():
        watcher.finish(timeout=10)
        log(f"no headless browser for out/demo_live.png: {watcher.error}")
        return None
    return watcher


def finish_live_view(watcher, out: Path) -> dict:
    facts = watcher.finish()
    if watcher.error:
        log(f"live view screenshot: {watcher.error}")
    else:
        log(f"live view screenshot: {out / 'demo_live.png'}")
    return {**facts, "error": watcher.error}


def report(
    out: Path, obs: Observations, question: str, finished: bool, live: dict | None = None
) -> int:
    if obs.t0 is None:
        log("no camera frame was seen: the bag player did not play (see out/logs/bag_player.log)")
        return 1
    rel = lambda t: None if t is None else t - obs.t0  # noqa: E731
    print("\nEmotion over time (fer_node, /insideout/emotion):")
    if obs.emotions:
        print_emotions(obs)
    else:
        print("  none received")

    finals = [(t, m) for t, m in obs.transcripts if m.is_final]
    print("\nTranscript (asr_node, /insideout/transcript):")
    for t, message in finals:
        print(
            f"  t={rel(t):5.1f} s  #{message.utterance_id} {message.text!r} "
            f"(confidence {message.confidence:.2f})"
        )
    if not finals:
        print("  none received")
    print(f"  (the bag says: {question!r})")

    turn_time, turn = obs.turns[0] if obs.turns else (None, None)
    if turn is not None:
        print(
            f"\nAgents (dialogue_node, user emotion {turn.emotion.dominant_label or 'none'} "
            f"{turn.emotion.confidence:.2f}):"
        )
        for index, agent in enumerate(turn.agent_replies):
            weight = turn.agent_weights[index] if index < len(turn.agent_weights) else float("nan")
            body = agent.text if agent.ok else f"FAILED: {agent.error}"
            print(f"  [{agent.agent}] weight {weight:.2f}, {agent.latency:.1f} s: {body}")
        print(
            f"\nReply ({turn.aggregation_strategy}, {turn.latency:.1f} s after the transcript):"
            f"\n  {turn.reply}"
        )
        if not turn.success:
            print(f"  (fallback reply: error {turn.error_code}: {turn.error_message})")
    else:
        print("\nNo DialogueTurn received.")

    first_audio = obs.speaker_chunks[0][0] if obs.speaker_chunks else None
    last_audio = obs.speaker_chunks[-1][0] if obs.speaker_chunks else None
    latency = None
    if obs.first_reply_audio_sent is not None and obs.speech_end_sent is not None:
        # From when the bag player sent the question's last audio to when tts_node sent the
        # first reply audio (both DDS source timestamps).
        latency = obs.first_reply_audio_sent - obs.speech_end_sent
        print(f"\nEnd of the question -> first reply audio: {latency:.2f} s")

    summary = {
        "question": question,
        "transcript": finals[0][1].text if finals else None,
        "reply": turn.reply if turn is not None else None,
        "success": bool(turn is not None and turn.success),
        "agents": [
            {
                "agent": a.agent,
                "ok": a.ok,
                "text": a.text,
                "error": a.error,
                "latency_s": round(a.latency, 3),
                "first_token_s": round(a.first_token_latency, 3),
            }
            for a in (turn.agent_replies if turn is not None else [])
        ],
        "question_end_to_first_reply_audio_s": None if latency is None else round(latency, 3),
    }
    summary["mic_audio_bytes_received"] = obs.audio_bytes
    if latency is not None and obs.transcript_sent is not None:
        # Where the time went: question end -> transcript -> (dialogue stages) -> first audio.
        summary["stages_s"] = {
            "question_end_to_transcript": round(obs.transcript_sent - obs.speech_end_sent, 3)
        }
        if turn is not None:
            summary["stages_s"].update(
                {
                    "transcript_to_agents_done": round(turn.agents_latency, 3),
                    "transcript_to_aggregator_first_token": round(
                        turn.aggregator_first_token_latency, 3
                    ),
                    "transcript_to_first_sentence": round(turn.first_sentence_latency, 3),
                }
            )
        print("Stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in summary["stages_s"].items()))
    marks = {
        "speech_start": obs.speech_start,
        "speech_end": obs.speech_end,
        "transcript": finals[0][0] if finals else None,
        "dialogue_turn": turn_time,
        "reply_audio_start": first_audio,
        "reply_audio_end": last_audio,
    }
    timeline = out / "demo_timeline.png"
    write_timeline(timeline, obs, marks, question, turn.reply if turn is not None else "(none)")
    print(f"\nTimeline: {timeline}")
    if obs.speaker_chunks:
        wav = out / "demo_reply.wav"
        seconds = write_wav(wav, [c for _, c in obs.speaker_chunks], obs.speaker_info)
        print(f"Spoken reply: {wav} ({seconds:.1f} s)")
        summary["reply_audio_s"] = round(seconds, 2)
    if live is not None:
        summary["live_view"] = live
    (out / "demo_summary.json").write_text(json.dumps(summary, indent=2))

    problems = []
    if not finals:
        problems.append("no final transcript")
    if turn is None:
        problems.append("no DialogueTurn")
    elif not turn.success or not turn.reply.strip():
        problems.append("the dialogue produced no reply of its own (fallback)")
    if not obs.speaker_chunks:
        problems.append("no reply audio on /insideout/speaker/audio")
    if not finished and not problems:
        problems.append("the pipeline did not finish speaking in time")
    if problems:
        log("FAILED: " + "; ".join(problems) + " (node logs in out/logs/)")
        return 1
    log("OK: a reply was produced and spoken")
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    # Keep the demo's DDS traffic on this machine unless the user chose otherwise.
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    try:
        return run(args)
    except KeyboardInterrupt:  # the nodes were stopped on the way out (run's finally)
        log("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
