"""Bag tooling speed: writing and reading MCAP bags, and the bag_player's timing over DDS.

    source scripts/env.sh && python benchmarks/bench_bags.py

- generate   scripts/make_demo_bag.py into a temporary directory: seconds and MB/s written.
- read       every message of that bag read back (raw CDR, insideout_common.bags.BagReader).
- play       the installed bag_player replays it at rate 1 to this process over DDS: how late each
             /audio chunk arrives relative to its recorded schedule (p50/p95/max, with the first
             chunk as reference), and how many camera frames / audio chunks arrive.
- record     the installed bag_recorder records that replay: messages recorded per topic.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np  # noqa: E402

from insideout_common.bags import BagReader  # noqa: E402

INSTALL_DIR = Path(os.environ.get("INSIDEOUT_INSTALL", ROOT / "install"))
PLAYER = INSTALL_DIR / "insideout_common" / "lib" / "insideout_common" / "bag_player"
RECORDER = INSTALL_DIR / "insideout_common" / "lib" / "insideout_common" / "bag_recorder"
LARGE_FRAMES = {"FASTDDS_DEFAULT_PROFILES_FILE": str(ROOT / "config" / "fastdds_large_frames.xml")}


def generate(directory: Path) -> Path:
    bag = directory / "demo_bag"
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_demo_bag.py"), str(bag)],
        check=True,
        capture_output=True,
    )
    seconds = time.perf_counter() - started
    size = sum(f.stat().st_size for f in bag.iterdir()) / 1e6
    print(
        f"generate  {seconds:6.2f} s for {size:.0f} MB ({size / seconds:.0f} MB/s, "
        "incl. espeak-ng and frame rendering)"
    )
    return bag


def read(bag: Path) -> dict:
    started = time.perf_counter()
    count, size, schedule = 0, 0, {}
    with BagReader(bag) as reader:
        for message in reader.messages():
            count += 1
            size += len(message.data)
            schedule.setdefault(message.topic, []).append(message.timestamp_ns)
    seconds = time.perf_counter() - started
    print(
        f"read      {seconds:6.2f} s for {count} messages, {size / 1e6:.0f} MB "
        f"({size / 1e6 / seconds:.0f} MB/s, {count / seconds:.0f} messages/s)"
    )
    return schedule


def play_and_record(bag: Path, schedule: dict, directory: Path) -> None:
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import Image
    from support.ros_harness import RosHarness

    from audio_common_msgs.msg import AudioData

    harness = RosHarness("bench_bags")
    arrivals = {"/audio": [], "/camera/image_raw": []}
    harness.node.create_subscription(
        AudioData,
        "/audio",
        lambda _m: arrivals["/audio"].append(time.monotonic()),
        QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE),
        raw=True,
    )
    harness.node.create_subscription(
        Image,
        "/camera/image_raw",
        lambda _m: arrivals["/camera/image_raw"].append(time.monotonic()),
        QoSProfile(depth=5, reliability=ReliabilityPolicy.BEST_EFFORT),
        raw=True,
    )
    recorded = directory / "recorded"
    recorder = subprocess.Popen(
        [
            str(RECORDER),
            "--ros-args",
            "-p",
            f"output:={recorded}",
            "-p",
            "topics:=['/audio','/camera/image_raw','/audio_info']",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    time.sleep(2.0)
    player = subprocess.run(
        [
            str(PLAYER),
            "--ros-args",
            "-p",
            f"bag:={bag}",
            "-p",
            "wait_for_subscribers:=['/audio','/camera/image_raw']",
        ],
        env={**os.environ, **LARGE_FRAMES},
        capture_output=True,
        timeout=120,
    )
    time.sleep(1.0)
    recorder.send_signal(2)
    recorder.wait(30)
    harness.close()
    if player.returncode != 0:
        print("play      bag_player failed:", player.stdout.decode()[-2000:])
        return

    said = [
        line
        for line in player.stderr.decode().splitlines() + player.stdout.decode().splitlines()
        if "behind schedule" in line
    ]
    if said:
        print("play      bag_player: " + said[-1].split("]: ", 1)[-1])
    audio = np.array(arrivals["/audio"])
    planned = (np.array(schedule["/audio"][: len(audio)]) - schedule["/audio"][0]) / 1e9
    lateness_ms = ((audio - audio[0]) - planned) * 1000
    print(
        f"play      /audio lateness vs recorded schedule: p50 {np.percentile(lateness_ms, 50):.1f}"
        f" ms, p95 {np.percentile(lateness_ms, 95):.1f} ms, max {lateness_ms.max():.1f} ms; "
        f"received {len(audio)}/{len(schedule['/audio'])} chunks, "
        f"{len(arrivals['/camera/image_raw'])}/{len(schedule['/camera/image_raw'])} frames "
        "(best effort, 900 KB each)"
    )
    with BagReader(recorded) as reader:
        counts = {name: info.count for name, info in reader.topics().items()}
    print(
        "record    "
        + ", ".join(
            f"{topic} {counts.get(topic, 0)}/{len(schedule[topic])}"
            for topic in ("/audio", "/camera/image_raw", "/audio_info")
        )
    )


def main() -> int:
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    directory = Path(tempfile.mkdtemp(prefix="bench_bags-"))
    try:
        bag = generate(directory)
        schedule = read(bag)
        play_and_record(bag, schedule, directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
