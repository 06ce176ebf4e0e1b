"""bag_player: publish a rosbag2 bag's messages at their recorded pace (machines without rosbag2).

Honours the recorded timestamps (scaled by `rate`), can start `start_offset` seconds in, loop, and
publish /clock (bag time) for nodes running with use_sim_time. Optionally rewrites header stamps to
the time of publishing, so nodes on wall time treat the replay like live data. The messages are
published as recorded (raw CDR), never deserialized, so images cost no Python time.
"""

import importlib
import sys
import threading
import time
from pathlib import Path

import rclpy
from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from rosgraph_msgs.msg import Clock

from insideout_common.bags import BagReader
from insideout_common.bags.timing import PlaybackTimeline, restamp_header, split_ns, start_time_ns
from insideout_common.bags.typestore import starts_with_header
from insideout_common.ros.diagnostics import DIAGNOSTICS_PERIOD, OK, WARN, DiagnosticsPublisher
from insideout_common.ros.node_runner import run_node
from insideout_common.ros.params import InvalidParameters, ParamSpec, declare_parameters


def _bag_exists(path):
    if not path:
        return "required: the bag directory to play"
    if not (Path(path) / "metadata.yaml").exists():
        return f"{path} is not a rosbag2 bag directory (no metadata.yaml)"
    return None


PARAMETERS = [
    ParamSpec("bag", "", "Bag directory (rosbag2, MCAP or sqlite3) to play.", check=_bag_exists),
    ParamSpec(
        "rate", 1.0, "Playback speed factor (2.0 plays twice as fast).", minimum=0.01, maximum=100.0
    ),
    ParamSpec("loop", False, "Start over when the end of the bag is reached."),
    ParamSpec(
        "start_offset",
        0.0,
        "Seconds into the bag where playback starts.",
        minimum=0.0,
        maximum=1.0e6,
    ),
    ParamSpec(
        "topics",
        [],
        "Topics to play; empty plays every topic in the bag.",
        type_hint=Parameter.Type.STRING_ARRAY,
    ),
    ParamSpec(
        "publish_clock",
        False,
        "Publish the bag time on /clock, for nodes started with use_sim_time:=true.",
    ),
    ParamSpec(
        "clock_frequency",
        40.0,
        "How often /clock is published while playing [Hz].",
        minimum=1.0,
        maximum=1000.0,
    ),
    ParamSpec(
        "restamp_headers",
        False,
        "Rewrite header.stamp of messages that start with a std_msgs/Header to the time "
        "they are published, so nodes on wall time treat the replay as live data.",
    ),
    ParamSpec(
        "wait_for_subscribers",
        [],
        "Topics that must each have a subscriber before playback starts (e.g. the camera "
        "and audio topics of the nodes under test).",
        type_hint=Parameter.Type.STRING_ARRAY,
    ),
    ParamSpec(
        "wait_timeout",
        30.0,
        "Longest wait for those subscribers [s]; playback then starts anyway, with a warning.",
        minimum=0.0,
        maximum=3600.0,
    ),
    ParamSpec(
        "start_delay",
        0.5,
        "Pause after the subscribers are there and before the first message [s], so both "
        "ends of every reliable connection have matched (/clock already shows the start "
        "time meanwhile).",
        minimum=0.0,
        maximum=60.0,
    ),
    ParamSpec("exit_when_done", True, "Exit the process when playback ends (never, with loop)."),
    DIAGNOSTICS_PERIOD,
]


# Errors that ended playback; they make the process exit non-zero.
PLAYBACK_FAILURES = []
# How long the player waits at the end for reliable subscribers to acknowledge the last messages.
ACK_TIMEOUT_S = 5.0


def message_class(msgtype: str):
    """The generated Python class of 'pkg/msg/Type'."""
    package, kind, name = msgtype.split("/")
    return getattr(importlib.import_module(f"{package}.{kind}"), name)


class BagPlayer(Node):
    def __init__(self):
        super().__init__("bag_player")
        self.params = declare_parameters(self, PARAMETERS)
        try:
            self.reader = BagReader(self.params["bag"])
            self.reader.open()
        except Exception as error:  # truncated file, unknown storage, ...: say so, exit 2
            raise InvalidParameters(
                f"bag_player: cannot read {self.params['bag']}: {type(error).__name__}: {error}"
            ) from error
        bag_topics = self.reader.topics()
        wanted = self.params["topics"] or list(bag_topics)
        missing = [t for t in wanted if t not in bag_topics]
        if missing:
            raise InvalidParameters(
                f"bag_player: topics not in {self.params['bag']}: {missing}; "
                f"it has {sorted(bag_topics)}"
            )
        self.publishers_by_topic = {}
        self.restamped = set()
        for topic in wanted:
            info = bag_topics[topic]
            try:
                msg_class = message_class(info.msgtype)
            except (ImportError, AttributeError, ValueError) as error:
                self.get_logger().error(
                    f"not playing {topic}: type {info.msgtype} is not "
                    f"available in this ROS installation ({error})"
                )
                continue
            qos = QoSProfile(
                history=HistoryPolicy.KEEP_LAST,
                depth=1 if info.latched else 10,
                reliability=ReliabilityPolicy.RELIABLE
                if info.reliable
                else ReliabilityPolicy.BEST_EFFORT,
                durability=DurabilityPolicy.TRANSIENT_LOCAL
                if info.latched
                else DurabilityPolicy.VOLATILE,
            )
            self.publishers_by_topic[topic] = self.create_publisher(msg_class, topic, qos)
            if self.params["restamp_headers"] and starts_with_header(
                self.reader.typestore, info.msgtype
            ):
                self.restamped.add(topic)
        self.clock_publisher = (
            self.create_publisher(Clock, "/clock", 10) if self.params["publish_clock"] else None
        )
        self.published = 0
        self.passes = 0
        self.max_lateness = 0.0
        self.state = "waiting for subscribers"
        self.diagnostics = DiagnosticsPublisher(
            self, self.report, self.params[DIAGNOSTICS_PERIOD.name]
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bag_player", daemon=True)
        self._thread.start()

    def report(self):
        level = OK if self.publishers_by_topic else WARN
        return (
            level,
            self.state,
            {
                "bag": self.params["bag"],
                "published": self.published,
                "passes": self.passes,
                "rate": self.params["rate"],
                "max_lateness_ms": round(self.max_lateness * 1000, 1),
            },
        )

    def _run(self):
        try:
            self._wait_for_subscribers()
            start = start_time_ns(
                self.reader.start_time_ns, self.reader.end_time_ns, self.params["start_offset"]
            )
            if self._hold_clock(start, self.params["start_delay"]):
                return
            self.get_logger().info(
                f"playing {self.params['bag']}: {len(self.publishers_by_topic)} topics, "
                f"{self.reader.duration_s:.1f} s, rate {self.params['rate']}, "
                f"from {self.params['start_offset']:.2f} s"
                + (", loop" if self.params["loop"] else "")
                + (", publishing /clock" if self.clock_publisher else "")
            )
            while not self._stop.is_set():
                self._play_once(start)
                self.passes += 1
                if not self.params["loop"]:
                    break
            self.state = "done"
            self.get_logger().info(
                f"done: published {self.published} messages, at most "
                f"{self.max_lateness * 1000:.1f} ms behind schedule"
            )
        except Exception as error:  # a broken bag must not leave a silent, hanging process
            self.state = f"failed: {error}"
            self.get_logger().error(f"playback failed: {error}")
            PLAYBACK_FAILURES.append(error)
        if self.params["exit_when_done"] and not self._stop.is_set():
            self._wait_for_acknowledgements()
            rclpy.try_shutdown()

    def _wait_for_acknowledgements(self):
        """Before exiting, let slow reliable subscribers take the last messages: a publisher
        destroyed with unacknowledged samples loses them, which a busy machine turns into a
        bag whose end never arrives."""
        deadline = time.monotonic() + ACK_TIMEOUT_S
        publishers = dict(self.publishers_by_topic)
        if self.clock_publisher is not None:
            publishers["/clock"] = self.clock_publisher
        for topic, publisher in publishers.items():
            left = max(deadline - time.monotonic(), 0.0)
            try:
                acknowledged = publisher.wait_for_all_acked(Duration(nanoseconds=int(left * 1e9)))
            except Exception:  # shut down meanwhile (Ctrl-C): nothing left to wait for
                return
            if not acknowledged:
                self.get_logger().warning(
                    f"{topic}: not every subscriber acknowledged the last "
                    f"messages within {ACK_TIMEOUT_S:g} s"
                )

    def _wait_for_subscribers(self):
        topics = self.params["wait_for_subscribers"]
        deadline = time.monotonic() + self.params["wait_timeout"]
        while topics and not self._stop.is_set():
            lacking = [t for t in topics if self.count_subscribers(t) == 0]
            if not lacking:
                return
            if time.monotonic() > deadline:
                self.get_logger().warning(
                    f"no subscriber on {lacking} after "
                    f"{self.params['wait_timeout']} s; playing anyway"
                )
                return
            self._stop.wait(0.1)

    def _hold_clock(self, bag_time_ns, seconds) -> bool:
        """Wait `seconds`, publishing /clock at `bag_time_ns` meanwhile, so nodes on sim time
        have the bag's time before the first message. True when stopped meanwhile."""
        deadline = time.monotonic() + seconds
        period = 1.0 / self.params["clock_frequency"]
        while True:
            if self.clock_publisher is not None:
                self._publish_clock(bag_time_ns)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return self._stop.is_set()
            if self._stop.wait(min(period, remaining)):
                return True

    def _play_once(self, start_ns):
        self.state = "playing"
        timeline = PlaybackTimeline(start_ns, time.monotonic(), self.params["rate"])
        period = 1.0 / self.params["clock_frequency"]
        next_clock = timeline.wall_start
        for message in self.reader.messages(self.publishers_by_topic, start_ns=start_ns):
            due = timeline.wall_time_of(message.timestamp_ns)
            # Sleep until the message is due, publishing /clock on its own beat meanwhile.
            while True:
                now = time.monotonic()
                if self.clock_publisher is not None and now >= next_clock:
                    self._publish_clock(timeline.bag_time_at(now))
                    next_clock = max(next_clock + period, now)
                if now >= due or self._stop.is_set():
                    break
                wait = due - now
                if self.clock_publisher is not None:
                    wait = min(wait, next_clock - now)
                self._stop.wait(max(0.0, wait))
            if self._stop.is_set():
                return
            if self.clock_publisher is not None:
                # /clock never lags the message just published.
                self._publish_clock(
                    max(message.timestamp_ns, timeline.bag_time_at(time.monotonic()))
                )
            data = message.data
            if message.topic in self.restamped:
                data = restamp_header(data, self.get_clock().now().nanoseconds)
            self.publishers_by_topic[message.topic].publish(data)
            self.published += 1
            # How far behind schedule publishing ran (a slow disk or a saturated CPU shows here).
            self.max_lateness = max(self.max_lateness, time.monotonic() - due)

    def _publish_clock(self, bag_time_ns):
        sec, nanosec = split_ns(bag_time_ns)
        clock = Clock()
        clock.clock.sec, clock.clock.nanosec = sec, nanosec
        self.clock_publisher.publish(clock)

    def close(self):
        self._stop.set()
        self._thread.join(timeout=2.0)
        self.reader.close()


def main(args=None):
    code = run_node(BagPlayer, args)
    sys.exit(code or (1 if PLAYBACK_FAILURES else 0))


if __name__ == "__main__":
    main()
