"""A camera in its own process: publishes the frames a test hands it (a real separate DDS
participant).

Run as a script by `CameraProcess`. Frames are rclpy messages, pickled over stdin; the process
publishes each one and answers "published". It uses config/fastdds_large_frames.xml, as a camera
driver publishing 640x480 frames to best-effort readers should (see that file).
"""

import os
import pickle
import struct
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROFILE = REPO / "config" / "fastdds_large_frames.xml"


class CameraProcess:
    def __init__(
        self, msg_type: str, topic: str, reliable: bool = True, large_frame_profile: bool = True
    ):
        env = dict(os.environ)
        env.pop("FASTDDS_DEFAULT_PROFILES_FILE", None)
        if large_frame_profile:
            env["FASTDDS_DEFAULT_PROFILES_FILE"] = str(PROFILE)
        self.process = subprocess.Popen(
            [sys.executable, __file__, msg_type, topic, "reliable" if reliable else "best_effort"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        self._lock = threading.Lock()
        self._expect("ready")

    def _expect(self, word: str) -> None:
        line = self.process.stdout.readline().decode(errors="replace").strip()
        while line and line != word:  # skip anything else the libraries print
            line = self.process.stdout.readline().decode(errors="replace").strip()
        if line != word:
            raise RuntimeError(
                f"camera process: expected {word!r}, it exited ({self.process.poll()})"
            )

    def wait_for_subscriber(self, timeout: float = 15.0) -> bool:
        with self._lock:
            self.process.stdin.write(struct.pack("<Qd", 0, timeout))
            self.process.stdin.flush()
            line = self.process.stdout.readline().decode().strip()
            while line and line not in ("matched", "unmatched"):
                line = self.process.stdout.readline().decode().strip()
        return line == "matched"

    def publish(self, msg) -> None:
        payload = pickle.dumps(msg, protocol=5)
        with self._lock:
            self.process.stdin.write(struct.pack("<Qd", len(payload), 0.0) + payload)
            self.process.stdin.flush()
            self._expect("published")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _serve(msg_type: str, topic: str, reliability: str) -> None:
    import time

    import rclpy
    from rclpy.node import Node
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import CompressedImage, Image

    rclpy.init()
    node = Node("test_camera")
    qos = QoSProfile(
        depth=5,
        reliability=ReliabilityPolicy.RELIABLE
        if reliability == "reliable"
        else ReliabilityPolicy.BEST_EFFORT,
    )
    publisher = node.create_publisher(
        {"Image": Image, "CompressedImage": CompressedImage}[msg_type], topic, qos
    )
    out = sys.stdout
    print("ready", file=out, flush=True)
    stdin = sys.stdin.buffer
    while True:
        header = stdin.read(16)
        if len(header) < 16:
            break
        length, timeout = struct.unpack("<Qd", header)
        if length == 0:
            deadline = time.monotonic() + timeout
            while publisher.get_subscription_count() == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            print(
                "matched" if publisher.get_subscription_count() else "unmatched",
                file=out,
                flush=True,
            )
            continue
        publisher.publish(pickle.loads(stdin.read(length)))
        print("published", file=out, flush=True)
    node.destroy_node()
    rclpy.try_shutdown()


if __name__ == "__main__":
    _serve(*sys.argv[1:4])
