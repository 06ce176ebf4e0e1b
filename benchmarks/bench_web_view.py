"""The live view's speed: DialogueTurn published -> visible in the page, and web_view_node's CPU.

    source scripts/env.sh && python benchmarks/bench_web_view.py [--turns 60] [--seconds 20]

An installed web_view_node (config/insideout.yaml, a free port) serves a real headless Chromium
(Debian's, over the DevTools protocol). This process publishes over real DDS:
  latency  DialogueTurns of a realistic size (four agent answers, a reply), one every 0.25 s, each
           stamped with the wall clock as it is published; the page notes the wall clock at the
           rendering step after it applied each (requestAnimationFrame; performance.timeOrigin
           + performance.now(), same machine and clock).
           Measured twice: with nothing else going on, and with the camera panel on.
  CPU      the node's process CPU time (/proc/<pid>/stat, all its threads) over --seconds:
           idle (page open, camera panel on, but no camera publishing) and with 640x480 bgr8
           frames published at 30/s (the node sends at most camera.max_fps = 10/s to the page),
           EmotionStates at 30/s (sent at most emotion_rate = 10/s); then the same with the page's
           camera panel off (the robot running, nobody watching the camera).
Targets (issue 12): latency p95 <= 200 ms; idle < 0.1 core; camera on < 0.3 core.
"""

import argparse
import asyncio
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "scripts"))

import numpy as np  # noqa: E402
import rclpy  # noqa: E402
import rclpy.executors  # noqa: E402
from headless_chromium import Chromium  # noqa: E402
from process_tree import cpu_seconds  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402
from support.ports import free_port  # noqa: E402
from support.ros_harness import NodeProcess  # noqa: E402

from insideout_common.emotions import LABELS  # noqa: E402
from insideout_common.ros.qos import RELIABLE_EVENTS  # noqa: E402
from insideout_msgs.msg import AgentReply, DialogueTurn, EmotionState  # noqa: E402

CONFIG = ROOT / "config" / "insideout.yaml"
ANSWER = (
    "I am so happy to hear that you passed your exam, that is wonderful news and you "
    "really deserve a fun evening with your friends tonight."
)


def turn_message(turn_id: int) -> DialogueTurn:
    msg = DialogueTurn(
        turn_id=turn_id,
        user_text=f"Turn {turn_id}: I passed my exam today!",
        agent_replies=[
            AgentReply(
                agent=a, model="m", text=ANSWER, ok=True, latency=3.0, first_token_latency=1.0
            )
            for a in ("happiness", "sadness", "fear", "anger")
        ],
        agent_weights=[0.7, 0.1, 0.1, 0.1],
        aggregation_strategy="weighted_llm",
        reply=ANSWER,
        reply_source="aggregator",
        success=True,
        latency=5.0,
        agents_latency=3.0,
        aggregator_first_token_latency=3.5,
        first_sentence_latency=4.0,
        emotion_source="during the utterance",
    )
    msg.emotion.dominant_label = "happiness"
    now = time.time()
    msg.header.stamp.sec, msg.header.stamp.nanosec = int(now), int((now % 1) * 1e9)
    return msg


def emotion_message() -> EmotionState:
    scores = [0.02, 0.0, 0.01, 0.02, 0.8, 0.1, 0.03, 0.02]
    msg = EmotionState(
        face_detected=True,
        track_id=1,
        labels=list(LABELS),
        scores=scores,
        raw_scores=scores,
        dominant_label="happiness",
        confidence=0.8,
        valence=0.6,
        arousal=0.3,
        model_name="bench",
    )
    msg.face_roi.x_offset, msg.face_roi.y_offset, msg.face_roi.width, msg.face_roi.height = (
        250,
        120,
        140,
        160,
    )
    return msg


class Feeds:
    """Camera frames and EmotionStates at 30/s from a thread, while `on`."""

    def __init__(self, node):
        self.camera = node.create_publisher(Image, "/camera/image_raw", 1)
        self.emotion = node.create_publisher(EmotionState, "/insideout/emotion", RELIABLE_EVENTS)
        frame = np.random.default_rng(0).integers(0, 255, (480, 640, 3), np.uint8)
        frame[120:280, 250:390] = (60, 180, 60)
        self.frame = Image(
            height=480, width=640, encoding="bgr8", step=640 * 3, data=frame.tobytes()
        )
        self.on = threading.Event()
        self._stop = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        next_at = time.monotonic()
        while not self._stop.is_set():
            if self.on.is_set():
                self.camera.publish(self.frame)
                self.emotion.publish(emotion_message())
            next_at += 1 / 30
            time.sleep(max(0.0, next_at - time.monotonic()))

    def stop(self):
        self._stop.set()


async def measure_latency(page, publisher, first_id: int, turns: int) -> list:
    await page.evaluate("window.insideoutLive.turnsShown.length = 0")
    for turn_id in range(first_id, first_id + turns):
        publisher.publish(turn_message(turn_id))
        await asyncio.sleep(0.25)
    await page.wait_for(f"window.insideoutLive.turnsShown.length >= {turns}", 30)
    shown = await page.evaluate("window.insideoutLive.turnsShown")
    return [s["shownAt"] / 1000.0 - s["stamp"] for s in shown]


async def measure_cpu(pid: int, seconds: float) -> float:
    start_cpu, start = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(seconds)
    return (cpu_seconds(pid) - start_cpu) / (time.monotonic() - start)


def summary(name: str, latencies: list) -> str:
    ms = sorted(1000 * v for v in latencies)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return (
        f"{name}: {len(ms)} turns, median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, "
        f"max {ms[-1]:.1f} ms"
    )


async def run(args, node, web):
    publisher = node.create_publisher(DialogueTurn, "/insideout/dialogue", RELIABLE_EVENTS)
    feeds = Feeds(node)
    url = web.output().split("live view on ", 1)[1].split()[0]
    async with Chromium() as browser:
        page = await browser.new_page()
        await page.goto(url)
        await page.wait_for("document.body.dataset.connected === 'yes'", 20)
        while node.count_subscribers("/insideout/dialogue") < 1:
            await asyncio.sleep(0.1)
        await asyncio.sleep(2.0)  # discovery settles
        idle_cpu = await measure_cpu(web.process.pid, args.seconds)
        quiet = await measure_latency(page, publisher, 1, args.turns)
        feeds.on.set()
        await page.wait_for("window.insideoutLive.framesShown > 10", 30)
        frames_before = await page.evaluate("window.insideoutLive.framesShown")
        camera_cpu = await measure_cpu(web.process.pid, args.seconds)
        frames = (
            await page.evaluate("window.insideoutLive.framesShown") - frames_before
        ) / args.seconds
        busy = await measure_latency(page, publisher, 1000, args.turns)
        # The robot running but nobody watching the camera: the panel off, the node unsubscribes.
        await page.evaluate("document.getElementById('camera-toggle').click()")
        await asyncio.sleep(2.0)
        panel_off_cpu = await measure_cpu(web.process.pid, args.seconds)
        feeds.on.clear()
        errors = list(page.errors)
    feeds.stop()
    print(f"uptime before: {args.uptime}")
    print(f"web_view_node CPU, page open, nothing published: {idle_cpu:.3f} cores (target < 0.1)")
    print(
        f"web_view_node CPU, camera 640x480 at 30/s in, {frames:.1f} frames/s drawn by the page, "
        f"EmotionStates at 30/s: {camera_cpu:.3f} cores (target < 0.3)"
    )
    print(
        f"web_view_node CPU, camera panel off, the same frames and EmotionStates published: "
        f"{panel_off_cpu:.3f} cores (target < 0.1)"
    )
    print("DialogueTurn published -> drawn in the page (target p95 <= 200 ms):")
    print("  " + summary("quiet", quiet))
    print("  " + summary("camera panel on", busy))
    print(f"JavaScript errors: {errors or 'none'}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--node-param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a web_view_node parameter (YAML value), e.g. camera.max_fps=5",
    )
    args = parser.parse_args(argv)
    args.uptime = os.popen("uptime").read().strip()
    rclpy.init()
    node = rclpy.create_node("bench_web_view")
    executor = rclpy.executors.SingleThreadedExecutor()
    executor.add_node(node)
    spin = threading.Thread(target=executor.spin, daemon=True)
    spin.start()
    import yaml

    overrides = {
        name: yaml.safe_load(value)
        for name, _, value in (item.partition("=") for item in args.node_param)
    }
    web = NodeProcess(
        "insideout_dialogue",
        "web_view_node",
        params_file=CONFIG,
        params={"port": free_port(), **overrides},
    )
    try:
        deadline = time.monotonic() + 30
        while "live view on http" not in web.output():
            if time.monotonic() > deadline or not web.running():
                print(web.output())
                return 1
            time.sleep(0.1)
        asyncio.run(run(args, node, web))
    finally:
        web.stop()
        executor.shutdown()
        spin.join(5)
        node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
