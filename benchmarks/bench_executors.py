"""rclpy executors side by side: how much of a stream a subscriber takes, and at what CPU cost.

    source scripts/env.sh && python benchmarks/bench_executors.py [--seconds 10]

A publisher in another process sends (a) 640x480 rgb8 frames at 30/s, best effort, as a camera
does to fer_node, and (b) 20 ms audio chunks (640 bytes) at 50/s, reliable, as audio_capture does
to asr_node. This process subscribes (depth 1 for frames, 100 for audio) with one 0.1 s timer
beside it, as our nodes have, under each executor in turn, and prints what it received and the
CPU it used. The publisher uses config/fastdds_large_frames.xml so DDS itself loses no frame: any
shortfall is the executor's.
"""

import argparse
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
PROFILE = ROOT / "config" / "fastdds_large_frames.xml"

PUBLISHER = textwrap.dedent("""
    import sys, time
    import rclpy
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import Image
    from audio_common_msgs.msg import AudioData
    kind, seconds = sys.argv[1], float(sys.argv[2])
    rclpy.init()
    node = rclpy.create_node("bench_executor_publisher")
    if kind == "frames":
        qos = QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT)
        pub = node.create_publisher(Image, "/bench/stream", qos)
        msg = Image(height=480, width=640, encoding="rgb8", step=1920, data=bytes(640 * 480 * 3))
        rate = 30.0
    else:
        qos = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
        pub = node.create_publisher(AudioData, "/bench/stream", qos)
        msg = AudioData(data=bytes(640))
        rate = 50.0
    deadline = time.monotonic() + 20
    while pub.get_subscription_count() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)
    print("start", flush=True)
    start = next_at = time.monotonic()
    sent = 0
    while time.monotonic() - start < seconds:
        pub.publish(msg)
        sent += 1
        next_at += 1 / rate
        time.sleep(max(0.0, next_at - time.monotonic()))
    print(f"sent {sent}", flush=True)
    time.sleep(1.0)
    node.destroy_node()
    rclpy.try_shutdown()
""")


def make_executor(name, context):
    from rclpy.executors import MultiThreadedExecutor, SingleThreadedExecutor

    if name == "SingleThreadedExecutor":
        return SingleThreadedExecutor(context=context)
    if name == "MultiThreadedExecutor(4)":
        return MultiThreadedExecutor(num_threads=4, context=context)
    from rclpy.experimental import EventsExecutor

    return EventsExecutor(context=context)


def measure(executor_name, kind, seconds):
    import threading

    import rclpy
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import Image

    from audio_common_msgs.msg import AudioData

    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node("bench_executor_subscriber", context=context)
    received = [0]

    def on_message(_msg):
        received[0] += 1

    if kind == "frames":
        node.create_subscription(
            Image,
            "/bench/stream",
            on_message,
            QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT),
        )
    else:
        node.create_subscription(
            AudioData,
            "/bench/stream",
            on_message,
            QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE),
        )
    node.create_timer(0.1, lambda: None)
    executor = make_executor(executor_name, context)
    executor.add_node(node)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    env = {**os.environ, "FASTDDS_DEFAULT_PROFILES_FILE": str(PROFILE)}
    publisher = subprocess.Popen(
        [sys.executable, "-c", PUBLISHER, kind, str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    line = publisher.stdout.readline()
    while line and line.strip() != "start":
        line = publisher.stdout.readline()
    received[0] = 0
    cpu_start, wall_start = time.process_time(), time.monotonic()
    sent_line = publisher.stdout.readline()
    while sent_line and not sent_line.startswith("sent"):
        sent_line = publisher.stdout.readline()
    time.sleep(0.5)
    cpu = (time.process_time() - cpu_start) / (time.monotonic() - wall_start)
    got = received[0]
    publisher.wait(10)
    executor.shutdown(timeout_sec=2.0)
    node.destroy_node()
    rclpy.try_shutdown(context=context)
    sent = int(sent_line.split()[1]) if sent_line else 0
    print(
        f"  {executor_name:26s} {kind:6s}: received {got:5d} of {sent:5d} "
        f"({got / max(sent, 1):6.1%}), "
        f"subscriber CPU {cpu:.2f} cores"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--one", nargs=2, metavar=("EXECUTOR", "KIND"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        # The parent claimed the ROS domain and passed it on in the environment.
        measure(args.one[0], args.one[1], args.seconds)
        return
    from support.ros_domain import claim_isolated_domain

    claim = claim_isolated_domain()
    os.environ["ROS_DOMAIN_ID"] = str(claim.domain_id)
    os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    print(f"rclpy executors, {args.seconds:g} s per run, {os.cpu_count()} CPUs")
    try:
        for kind in ("frames", "audio"):
            for name in ("SingleThreadedExecutor", "EventsExecutor", "MultiThreadedExecutor(4)"):
                # Each in its own process, with a time limit: an executor that hangs is a result
                # too.
                try:
                    subprocess.run(
                        [
                            sys.executable,
                            __file__,
                            "--seconds",
                            str(args.seconds),
                            "--one",
                            name,
                            kind,
                        ],
                        timeout=args.seconds + 40,
                        check=False,
                    )
                except subprocess.TimeoutExpired:
                    print(
                        f"  {name:26s} {kind:6s}: did not finish within "
                        f"{args.seconds + 40:g} s (hung)"
                    )
    finally:
        claim.release()


if __name__ == "__main__":
    main()
