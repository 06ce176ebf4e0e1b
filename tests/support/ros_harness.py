"""Drive ROS from a test: a spinning helper node, message collectors, and node processes.

Nodes under test run as separate processes (the installed executables), so every test that uses
them goes over real DDS between processes.
"""

import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import QoSProfile

REPO_ROOT = Path(__file__).resolve().parents[2]
# The colcon install/ of the wheels in use (scripts/ros_wheels.sh: install-jazzy/ for Jazzy).
INSTALL_DIR = Path(os.environ.get("INSIDEOUT_INSTALL", REPO_ROOT / "install"))


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class Collector:
    """Keeps every message received on one subscription."""

    def __init__(self):
        self.messages: list[Any] = []
        self._lock = threading.Lock()

    def __call__(self, message):
        with self._lock:
            self.messages.append(message)

    def snapshot(self) -> list[Any]:
        with self._lock:
            return list(self.messages)

    def wait_for(self, predicate: Callable[[Any], bool] = lambda m: True, timeout: float = 10.0):
        """Return the first message matching `predicate`, or None after `timeout` seconds."""
        found = []

        def check():
            for message in self.snapshot():
                if predicate(message):
                    found.append(message)
                    return True
            return False

        wait_until(check, timeout)
        return found[0] if found else None

    def wait_for_count(self, count: int, timeout: float = 10.0) -> list[Any]:
        wait_until(lambda: len(self.snapshot()) >= count, timeout)
        return self.snapshot()


class SentTimeCollector:
    """Keeps (publish time [s], message): the DDS source timestamp, the publisher's wall clock when
    it sent the message. Timing checks then see the node's own schedule, not the delays of this
    (possibly busy) test process. Use it as a subscription callback."""

    def __init__(self):
        self.items: list[Any] = []

    def __call__(self, message, info):
        self.items.append((info["source_timestamp"] * 1e-9, message))

    def values(self) -> list[Any]:
        return [m for _, m in list(self.items)]


class RosHarness:
    """A test-side node spinning in a background thread.

    A SingleThreadedExecutor, as the nodes use: its callbacks only store messages, and rclpy's
    MultiThreadedExecutor falls behind high-rate topics (its wait loop takes most of a core)."""

    def __init__(self, name: str = "insideout_test_harness"):
        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        self.node = Node(name, context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()

    def _spin(self):
        try:
            self.executor.spin()
        except Exception:  # context shut down while spinning
            pass

    def collect(self, msg_type, topic: str, qos: QoSProfile | int = 10) -> Collector:
        collector = Collector()
        self.node.create_subscription(msg_type, topic, collector, qos)
        return collector

    def publisher(self, msg_type, topic: str, qos: QoSProfile | int = 10):
        return self.node.create_publisher(msg_type, topic, qos)

    def wait_for_subscribers(self, publisher, count: int = 1, timeout: float = 15.0) -> bool:
        return wait_until(lambda: publisher.get_subscription_count() >= count, timeout)

    def wait_for_publishers(self, topic: str, count: int = 1, timeout: float = 15.0) -> bool:
        return wait_until(lambda: self.node.count_publishers(topic) >= count, timeout)

    def close(self):
        self.executor.shutdown(timeout_sec=2.0)
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.context)
        self._thread.join(timeout=2.0)


def ros_params_args(params: dict[str, Any]) -> list[str]:
    """`--ros-args -p name:=value` arguments for a node process."""
    args: list[str] = []
    for name, value in params.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            text = "[" + ",".join(_yaml_scalar(v) for v in value) + "]"
        else:
            text = _yaml_scalar(value)
        args += ["-p", f"{name}:={text}"]
    return args


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


class NodeProcess:
    """An installed node executable running in its own process; output goes to a log file."""

    def __init__(
        self,
        package: str,
        executable: str,
        params: dict[str, Any] | None = None,
        params_file: Path | None = None,
        remaps: dict[str, str] | None = None,
        extra_args: Sequence[str] = (),
        env: dict[str, str] | None = None,
        name: str | None = None,
        namespace: str | None = None,
        params_files: Sequence[Path] = (),
    ):
        path = INSTALL_DIR / package / "lib" / package / executable
        if not path.exists():
            raise FileNotFoundError(f"{path} is not built: run `make setup` first")
        ros_args: list[str] = []
        if name:
            ros_args += ["-r", f"__node:={name}"]
        if namespace:  # what launch_ros does for Node(namespace=...)
            ros_args += ["-r", f"__ns:={namespace}"]
        for file in [*params_files, *([params_file] if params_file else [])]:
            ros_args += ["--params-file", str(file)]
        ros_args += ros_params_args(params or {})
        for old, new in (remaps or {}).items():
            ros_args += ["-r", f"{old}:={new}"]
        self.command = [str(path), *extra_args, "--ros-args", *ros_args]
        self.log_path = Path(tempfile.mkstemp(prefix=f"{executable}-", suffix=".log")[1])
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            self.command,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )

    def output(self) -> str:
        if not self._log.closed:  # also readable after stop()
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def running(self) -> bool:
        return self.process.poll() is None

    def wait_for_output(self, text: str, timeout: float = 30.0) -> bool:
        return (
            wait_until(lambda: text in self.output() or not self.running(), timeout, 0.1)
            and text in self.output()
        )

    def stop(self, timeout: float = 15.0) -> int:
        """SIGINT, as Ctrl-C or `ros2 launch` would; SIGKILL only when it does not exit."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()
        return self.process.returncode
