"""Node processes and a listening node, shared by `make demo` (scripts/demo.py), `make run`
(scripts/run_pipeline.py) and the tests (tests/support/ros_harness.py re-exports it).

A pipeline node runs as its installed executable in its own process and session (so a terminal's
Ctrl-C reaches it once, from whoever started it); a helper rclpy node spins in a background thread
and listens over DDS.
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

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
# The colcon install/ of the wheels in use (scripts/ros_wheels.sh: install-jazzy/ for Jazzy).
INSTALL_DIR = Path(os.environ.get("INSIDEOUT_INSTALL", REPO_ROOT / "install"))
CONFIG_DIR = REPO_ROOT / "config"


def load_pipeline() -> dict[str, dict]:
    """config/pipeline.yaml, the launch file's nodes too: {key in `nodes:=`: {package,
    executable, name, ready_topic, output_topic}}."""
    return yaml.safe_load((CONFIG_DIR / "pipeline.yaml").read_text())


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


# --- node processes ---------------------------------------------------------------------------


def executable_path(package: str, executable: str) -> Path:
    return INSTALL_DIR / package / "lib" / package / executable


def ros_params_args(params: dict[str, Any]) -> list[str]:
    """`-p name:=value` arguments; strings are quoted, so `y`, `1e3` or `nan` stay strings."""
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


def node_command(
    package: str,
    executable: str,
    *,
    name: str | None = None,
    namespace: str | None = None,
    params_files: Sequence[Path | str] = (),
    params: dict[str, Any] | None = None,
    remaps: dict[str, str] | None = None,
    args: Sequence[str] = (),
    ros_args: Sequence[str] = (),
) -> list[str]:
    """The command line launch_ros builds for a Node: name, namespace, parameter files in order,
    then single parameters (typed: see ros_params_args), remappings and any other `ros_args`."""
    command: list[str] = []
    if name:
        command += ["-r", f"__node:={name}"]
    if namespace and namespace.strip("/"):
        command += ["-r", f"__ns:=/{namespace.strip('/')}"]
    for file in params_files:
        command += ["--params-file", str(file)]
    command += ros_params_args(params or {})
    for old, new in (remaps or {}).items():
        command += ["-r", f"{old}:={new}"]
    return [str(executable_path(package, executable)), *args, "--ros-args", *command, *ros_args]


class NodeProcess:
    """An installed node executable running in its own process and session; its output goes to
    `log_path` (a temporary file when not given). The other arguments are node_command's."""

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
        ros_args: Sequence[str] = (),
        log_path: Path | None = None,
    ):
        path = executable_path(package, executable)
        if not path.exists():
            raise FileNotFoundError(f"{path} is not built: run `make setup` first")
        self.name = name or executable
        self.command = node_command(
            package,
            executable,
            name=name,
            namespace=namespace,
            params_files=[*params_files, *([params_file] if params_file else [])],
            params=params,
            remaps=remaps,
            args=extra_args,
            ros_args=ros_args,
        )
        if log_path is None:
            log_path = Path(tempfile.mkstemp(prefix=f"{executable}-", suffix=".log")[1])
        self.log_path = Path(log_path)
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

    def tail(self, lines: int = 15) -> str:
        return "\n".join("    " + line for line in self.output().splitlines()[-lines:])

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


# --- listening over DDS -----------------------------------------------------------------------


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


def sent_at(info) -> float:
    """When the publisher sent a message (DDS source timestamp, wall clock [s]); rclpy before Iron
    passes no message info (see with_info), and then the arrival time stands in."""
    return info["source_timestamp"] * 1e-9 if info is not None else time.time()


def with_info(callback: Callable[[Any, Any], None]) -> Callable:
    """A (message, info) subscription callback for this rclpy: from Iron on rclpy passes message
    info (the DDS source timestamp) to two-argument callbacks; before, info is None."""
    from rclpy.subscription import Subscription

    if hasattr(Subscription, "CallbackType"):
        return callback
    return lambda message: callback(message, None)


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
    """A helper node spinning in a background thread, in its own rclpy context.

    A SingleThreadedExecutor, as the nodes use: its callbacks only store messages, and rclpy's
    MultiThreadedExecutor falls behind high-rate topics (its wait loop takes most of a core)."""

    def __init__(self, name: str = "insideout_test_harness"):
        import rclpy
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.node import Node

        self._rclpy = rclpy
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

    def collect(self, msg_type, topic: str, qos=10) -> Collector:
        collector = Collector()
        self.node.create_subscription(msg_type, topic, collector, qos)
        return collector

    def publisher(self, msg_type, topic: str, qos=10):
        return self.node.create_publisher(msg_type, topic, qos)

    def wait_for_subscribers(self, publisher, count: int = 1, timeout: float = 15.0) -> bool:
        return wait_until(lambda: publisher.get_subscription_count() >= count, timeout)

    def wait_for_publishers(self, topic: str, count: int = 1, timeout: float = 15.0) -> bool:
        return wait_until(lambda: self.node.count_publishers(topic) >= count, timeout)

    def subscribers(self, topic: str) -> list[str]:
        """Names of the nodes subscribed to `topic`."""
        return [info.node_name for info in self.node.get_subscriptions_info_by_topic(topic)]

    def publishers(self, topic: str) -> list[str]:
        return [info.node_name for info in self.node.get_publishers_info_by_topic(topic)]

    def close(self):
        self.executor.shutdown(timeout_sec=2.0)
        self.node.destroy_node()
        self._rclpy.try_shutdown(context=self.context)
        self._thread.join(timeout=2.0)
