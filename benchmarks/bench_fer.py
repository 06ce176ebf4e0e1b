"""Facial emotion speed: the installed fer_node fed 640x480 frames with one face over DDS.

    source scripts/env.sh && python benchmarks/bench_fer.py [--seconds 15] [--models all]

This process is the camera: it publishes 640x480 rgb8 frames (scikit-image's astronaut on a grey
background) to a fer_node process and subscribes to /insideout/emotion. Each frame carries its
publish time as header.stamp, which the node copies into the EmotionState, so
  latency = EmotionState received by this process's DDS reader - frame published
(both DDS hops included; this process's own executor wake-up is printed but not counted)
and the node's own receive-to-publish latency is read from its /diagnostics.
Per available model:
  saturated   max_rate 0, the next frame is published as soon as fewer than 2 are in flight:
              the frames/s the node sustains (target with the embedded model: >= 60).
  steady 30   frames published at a steady 30 frames/s with the node's default parameters:
              latency p50/p95 (target p95 < 20 ms) and the node's CPU use in cores, from
              /proc/<pid>/stat of the node and its children (target < 1 core).
Plus, in this process, the per-stage cost of the core (BlazeFace, expression model) per frame.
The camera's Fast DDS set-up is --camera (default plain: none, as a driver starts by default).
"""

import argparse
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
# The camera's Fast DDS set-up (this process is the camera), chosen before rclpy starts.
CAMERA_SETUPS = {
    "plain": {},  # a driver started the ordinary way: no Fast DDS file, no variable
    "profile": {"FASTDDS_DEFAULT_PROFILES_FILE": str(ROOT / "config" / "fastdds_large_frames.xml")},
    "large_data": {"FASTDDS_BUILTIN_TRANSPORTS": os.environ.get("BENCH_LARGE_DATA", "LARGE_DATA")},
}

import numpy as np  # noqa: E402
import yaml  # noqa: E402
from process_tree import tree_cpu_seconds  # noqa: E402

from insideout_perception.core.expression_models import (  # noqa: E402
    MODEL_NAMES,
    MODELS,
    find_model_file,
    get_model_spec,
)

FRAME_SIZE = (640, 480)  # --resolution


def face_frame():
    sys.path.insert(0, str(ROOT / "tests" / "fer"))
    from fer_test_images import astronaut_bgr, in_frame  # the tests' real face photos

    width, height = FRAME_SIZE
    return in_frame(astronaut_bgr(), size=FRAME_SIZE, photo_size=(height, height), left=width // 8)


class Camera:
    """Publishes frames and matches EmotionStates back to them by stamp."""

    def __init__(self, ros, frame, reliable=True):
        from rclpy.qos import QoSProfile, ReliabilityPolicy
        from sensor_msgs.msg import Image

        from insideout_msgs.msg import EmotionState

        self._image = Image(
            height=frame.shape[0],
            width=frame.shape[1],
            encoding="rgb8",
            step=frame.shape[1] * 3,
            data=frame[:, :, ::-1].tobytes(),
        )
        self._image.header.frame_id = "camera"
        # Reliable, as usb_cam and v4l2_camera publish by default.
        self.publisher = ros.publisher(
            Image,
            "/camera/image_raw",
            QoSProfile(
                depth=1,
                reliability=ReliabilityPolicy.RELIABLE
                if reliable
                else ReliabilityPolicy.BEST_EFFORT,
            ),
        )
        self._lock = threading.Condition()
        self.sent = {}
        self.latencies = []
        self.callback_delays = []
        self.outputs = 0
        self.happy = 0
        ros.node.create_subscription(EmotionState, "/insideout/emotion", self._on_emotion, 50)

    def _on_emotion(self, msg, info):
        # The DDS reader's reception time (system clock, like the stamp): this process's own
        # executor wake-up is not the node's latency.
        now = info["received_timestamp"] or time.time_ns()
        self.callback_delays.append((time.time_ns() - now) / 1e6)
        key = (msg.header.stamp.sec, msg.header.stamp.nanosec)
        with self._lock:
            self.outputs += 1
            self.happy += msg.dominant_label == "happiness"
            if self.sent.pop(key, None) is not None:
                self.latencies.append((now - (key[0] * 1_000_000_000 + key[1])) / 1e6)
            self._lock.notify_all()

    def publish(self):
        stamp = time.time_ns()
        key = divmod(stamp, 1_000_000_000)
        self._image.header.stamp.sec, self._image.header.stamp.nanosec = key
        with self._lock:
            self.sent[key] = stamp
        self.publisher.publish(self._image)

    def in_flight(self, max_age_s=0.1):
        # A frame the node skipped (a newer one arrived) or DDS dropped never comes back: count
        # only frames younger than max_age_s as in flight (they still count for latency when late).
        cutoff = time.time_ns() - int(max_age_s * 1e9)
        with self._lock:
            for key in [k for k, v in self.sent.items() if v < cutoff - 5_000_000_000]:
                del self.sent[key]
            return sum(1 for v in self.sent.values() if v >= cutoff)

    def reset(self):
        with self._lock:
            self.sent.clear()
            self.latencies.clear()
            self.callback_delays.clear()
            self.outputs = self.happy = 0

    def wait_output(self, timeout):
        with self._lock:
            return self._lock.wait(timeout)


def node_diagnostics(ros):
    from diagnostic_msgs.msg import DiagnosticArray

    latest = {}

    def keep(array):
        for status in array.status:
            if "fer_node" in status.name:
                latest.update({kv.key: kv.value for kv in status.values})

    ros.node.create_subscription(DiagnosticArray, "/diagnostics", keep, 10)
    return latest


def percentile(values, q):
    return float(np.percentile(values, q)) if values else float("nan")


def run_model(model, seconds, steady_params, camera_reliable=True, node_params=None):
    from support.ros_harness import NodeProcess, RosHarness, wait_until

    print(f"\nmodel {model}")
    frame = face_frame()
    results = {}
    for mode, params in (
        ("saturated", {**(node_params or {}), "max_rate": 0.0}),
        ("steady 30", steady_params),
    ):
        node = NodeProcess("insideout_perception", "fer_node", params={"model": model, **params})
        ros = RosHarness("bench_fer_camera")
        try:
            if not node.wait_for_output("listening on", 60):
                print(f"  {mode}: node did not start:\n{node.output()[-2000:]}")
                return
            camera = Camera(ros, frame, camera_reliable)
            diagnostics = node_diagnostics(ros)
            if not ros.wait_for_subscribers(camera.publisher) or not ros.wait_for_publishers(
                "/insideout/emotion"
            ):
                print(f"  {mode}: no DDS match")
                return
            # Warm up (model and detector caches, DDS paths), then measure.
            warm_end = time.monotonic() + 2.0
            while time.monotonic() < warm_end:
                camera.publish()
                camera.wait_output(0.1)
            time.sleep(0.3)
            camera.reset()
            cpu_start, wall_start = tree_cpu_seconds(node.process.pid), time.monotonic()
            end = wall_start + seconds
            published = 0
            if mode == "saturated":
                while time.monotonic() < end:
                    if camera.in_flight() < 2:
                        camera.publish()
                        published += 1
                    else:
                        camera.wait_output(0.05)
            else:
                next_at = wall_start
                while time.monotonic() < end:
                    camera.publish()
                    published += 1
                    next_at += 1 / 30
                    time.sleep(max(next_at - time.monotonic(), 0))
            time.sleep(0.2)
            wall = time.monotonic() - wall_start
            cpu = tree_cpu_seconds(node.process.pid) - cpu_start
            wait_until(lambda diagnostics=diagnostics: "latency_p95_ms" in diagnostics, 3)
            lat = camera.latencies
            out_rate = camera.outputs / wall
            print(
                f"  {mode:10s} published {published / wall:5.1f} frames/s, "
                f"EmotionState {out_rate:5.1f}/s "
                f"({camera.outputs / max(published, 1):.0%} of frames answered) "
                f"({camera.happy}/{camera.outputs} happiness); camera->EmotionState latency "
                f"p50 {percentile(lat, 50):5.1f} ms p95 {percentile(lat, 95):5.1f} ms; "
                f"node receive->publish p50 {diagnostics.get('latency_p50_ms', '?')} ms "
                f"p95 {diagnostics.get('latency_p95_ms', '?')} ms; "
                f"node CPU {cpu / wall:.2f} cores; "
                f"providers {diagnostics.get('execution_providers', '?')}"
            )
            print(
                f"             node stages p50 [ms]: {diagnostics.get('stage_p50_ms', '?')}; "
                "since start: "
                f"{diagnostics.get('frames_received', '?')} frames received, "
                f"{diagnostics.get('frames_skipped_newer_arrived', '?')} skipped (newer arrived), "
                f"{diagnostics.get('frames_processed', '?')} processed"
            )
            print(
                "             (this process's executor added "
                f"p50 {percentile(camera.callback_delays, 50):.1f} ms "
                f"p95 {percentile(camera.callback_delays, 95):.1f} ms after DDS reception; "
                "not counted)"
            )
            results[mode] = (out_rate, percentile(lat, 50), percentile(lat, 95), cpu / wall)
        finally:
            ros.close()
            node.stop()
    return results


def _ms_per_call(call, frames: int, warm_up: int = 20) -> float:
    for _ in range(warm_up):
        call()
    started = time.perf_counter()
    for _ in range(frames):
        call()
    return (time.perf_counter() - started) / frames * 1000


def core_stage_costs(model, frames=200):
    import cv2

    from insideout_perception.core.expression_classifier import load_classifier
    from insideout_perception.core.face_detection import create_face_detector

    frame = face_frame()
    rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    classifier = load_classifier(get_model_spec(model), None, ["cpu"], 1)[0]
    # The single detectors; a "<first>+<second>" default costs the first's time while it finds
    # the face, both on frames without one.
    for detector_model in ("short_range", "full_range", "yunet"):
        detector = create_face_detector(detector_model)
        face = detector.detect(rgb)[0]
        detect_ms = _ms_per_call(lambda d=detector: d.detect(rgb), frames)
        detector.close()
        print(f"  core: {detector_model} {detect_ms:.2f} ms per 640x480 frame")
    # The default chain on a frame without a face (an empty room): every detector in it looks.
    from insideout_perception.nodes.fer_node import PARAMETERS

    default = next(p.default for p in PARAMETERS if p.name == "face_detector")
    detector = create_face_detector(default)
    empty = np.full_like(rgb, 128)
    empty_ms = _ms_per_call(lambda: detector.detect(empty), frames, warm_up=0)
    detector.close()
    print(f"  core: {default} (the default) {empty_ms:.2f} ms per 640x480 frame without a face")
    classify_ms = _ms_per_call(lambda: classifier.classify_face(frame, face), frames)
    print(f"  core: crop + {model} {classify_ms:.2f} ms per face (1 onnxruntime thread)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="measuring time per mode")
    parser.add_argument("--models", default="all", help="comma-separated model names, or 'all'")
    parser.add_argument(
        "--steady-max-rate",
        type=float,
        default=None,
        help="max_rate for the steady 30 frames/s run (default: the node's default)",
    )
    parser.add_argument(
        "--camera",
        choices=sorted(CAMERA_SETUPS),
        default="plain",
        help="the camera's Fast DDS set-up: plain (none, as a driver starts by "
        "default), profile (config/fastdds_large_frames.xml), large_data "
        "(FASTDDS_BUILTIN_TRANSPORTS=LARGE_DATA)",
    )
    parser.add_argument(
        "--camera-qos",
        choices=("reliable", "best_effort"),
        default="reliable",
        help="the camera's publisher reliability (usb_cam, v4l2_camera: reliable)",
    )
    parser.add_argument(
        "--node-param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra fer_node parameter for both runs, e.g. image_reliability=best_effort",
    )
    parser.add_argument("--resolution", default="640x480", help="camera frame size WIDTHxHEIGHT")
    args = parser.parse_args()
    global FRAME_SIZE
    FRAME_SIZE = tuple(int(v) for v in args.resolution.lower().split("x"))
    for name in ("FASTDDS_DEFAULT_PROFILES_FILE", "FASTDDS_BUILTIN_TRANSPORTS"):
        os.environ.pop(name, None)
    os.environ.update(CAMERA_SETUPS[args.camera])
    from support.ros_domain import claim_isolated_domain

    claim = claim_isolated_domain()
    os.environ["ROS_DOMAIN_ID"] = str(claim.domain_id)
    os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    names = list(MODEL_NAMES) if args.models == "all" else args.models.split(",")
    # Values read as YAML scalars, as on a command line: rep155=false is a bool, 0.5 a double.
    extra = {
        name: yaml.safe_load(value)
        for name, value in (item.split("=", 1) for item in args.node_param)
    }
    print(
        f"fer_node over DDS, {args.resolution} rgb8 frames with one face; "
        f"{os.cpu_count()} CPUs; camera "
        f"{args.camera_qos}, Fast DDS set-up '{args.camera}'; node parameters {extra or 'default'}"
    )
    try:
        for name in names:
            spec = get_model_spec(name)
            if spec.name in MODELS and spec.downloadable and find_model_file(spec) is None:
                print(
                    f"\nmodel {name}: not available here "
                    f"(python scripts/fetch_emotion_models.py {name})"
                )
                continue
            steady = {} if args.steady_max_rate is None else {"max_rate": args.steady_max_rate}
            run_model(name, args.seconds, {**steady, **extra}, args.camera_qos == "reliable", extra)
            core_stage_costs(name)
    finally:
        claim.release()


if __name__ == "__main__":
    main()
