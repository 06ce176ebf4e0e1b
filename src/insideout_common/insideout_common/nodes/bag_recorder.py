"""bag_recorder: record topics into a rosbag2 MCAP bag, for machines without rosbag2.

Subscribes to the listed topics (or every topic) as they appear, with a QoS matching their
publishers (so best-effort camera streams and latched topics are recorded too), stores the raw CDR
with the time the middleware received it (with use_sim_time: the /clock time at that instant; a
late callback on a busy machine does not shift it) and the publishers' QoS, and closes the bag
cleanly on Ctrl-C, SIGTERM or after `max_duration`.
"""

import sys
import threading
import time
from datetime import datetime
from importlib import import_module
from pathlib import Path

import rclpy
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from rclpy.subscription import Subscription
from rosgraph_msgs.msg import Clock as ClockMessage

from insideout_common.bags import BagWriter
from insideout_common.bags.receive_stamps import ReceiveTimeStamper
from insideout_common.bags.typestore import UnknownMessageType
from insideout_common.ros.diagnostics import DIAGNOSTICS_PERIOD, OK, WARN, DiagnosticsPublisher
from insideout_common.ros.node_runner import run_node
from insideout_common.ros.params import ParamSpec, declare_parameters

# Topics every ROS graph has; recording them is never what "all topics" means.
ALWAYS_SKIPPED = ("/rosout", "/parameter_events")

# rclpy before Iron calls callbacks with the message only: no receive time, the node clock it is.
HAS_MESSAGE_INFO = hasattr(Subscription, "CallbackType")


def _not_existing(path):
    if path and Path(path).exists():
        return f"{path} already exists; choose a new bag directory"
    return None


PARAMETERS = [
    ParamSpec(
        "output",
        "",
        "Bag directory to create; empty: insideout_<date>_<time> in the current directory.",
        check=_not_existing,
    ),
    ParamSpec(
        "topics",
        [],
        "Topics to record; empty records every topic (except /rosout and /parameter_events).",
        type_hint=Parameter.Type.STRING_ARRAY,
    ),
    ParamSpec(
        "discovery_period",
        0.5,
        "How often to look for the topics' publishers [s].",
        minimum=0.05,
        maximum=60.0,
    ),
    ParamSpec(
        "max_duration",
        0.0,
        "Stop recording and exit after this many seconds; 0 records until stopped.",
        minimum=0.0,
        maximum=1.0e6,
    ),
    DIAGNOSTICS_PERIOD,
]


class BagRecorder(Node):
    def __init__(self):
        super().__init__("bag_recorder")
        self.params = declare_parameters(self, PARAMETERS)
        output = self.params["output"] or datetime.now().strftime("insideout_%Y%m%d_%H%M%S")
        self.writer = BagWriter(output)
        self.writer.open()
        self.lock = threading.Lock()
        self.counts = {}
        self.lost = 0
        self.skipped = set()
        self.subscriptions_by_topic = {}
        self.closed = False
        self.stamper = ReceiveTimeStamper(self.get_parameter("use_sim_time").value)
        self._clock_subscription = None
        if self.stamper.use_sim_time and HAS_MESSAGE_INFO:
            # Our own /clock history, each with its receive time (the node's time source keeps
            # only the latest).
            self._clock_subscription = self.create_subscription(
                ClockMessage,
                "/clock",
                self._clock_received,
                QoSProfile(
                    history=HistoryPolicy.KEEP_LAST,
                    depth=100,
                    reliability=ReliabilityPolicy.BEST_EFFORT,
                ),
            )
        self.get_logger().info(f"recording {self.params['topics'] or 'all topics'} into {output}")
        self.discover()
        # Wall-clock timers: under use_sim_time the node clock stands still until /clock
        # arrives, and the publisher of /clock may be waiting for this very subscription.
        steady = Clock(clock_type=ClockType.STEADY_TIME)
        self.create_timer(self.params["discovery_period"], self.discover, clock=steady)
        if self.params["max_duration"] > 0:
            self.stop_at = time.monotonic() + self.params["max_duration"]
            self.create_timer(0.1, self.check_duration, clock=steady)
        self.diagnostics = DiagnosticsPublisher(
            self, self.report, self.params[DIAGNOSTICS_PERIOD.name]
        )

    def report(self):
        level = OK if self.subscriptions_by_topic and not self.lost else WARN
        message = (
            f"recording {len(self.subscriptions_by_topic)} topics"
            if self.subscriptions_by_topic
            else "no topic to record yet"
        )
        return (
            level,
            message,
            {
                "output": str(self.writer.path),
                "messages": sum(self.counts.values()),
                "lost": self.lost,
            },
        )

    def discover(self):
        wanted = self.params["topics"]
        for topic, types in self.get_topic_names_and_types():
            if topic in self.subscriptions_by_topic or topic in self.skipped:
                continue
            if (wanted and topic not in wanted) or (not wanted and topic in ALWAYS_SKIPPED):
                continue
            publishers = self.get_publishers_info_by_topic(topic)
            if not publishers:
                continue
            self.subscribe(topic, types[0], publishers)

    def subscribe(self, topic, msgtype, publishers):
        # Reliable only when every publisher is (a reliable reader gets nothing from a best-effort
        # writer); latched only when every publisher is, as rosbag2 adapts its QoS.
        reliable = all(p.qos_profile.reliability == ReliabilityPolicy.RELIABLE for p in publishers)
        latched = all(
            p.qos_profile.durability == DurabilityPolicy.TRANSIENT_LOCAL for p in publishers
        )
        package, kind, name = msgtype.split("/")
        try:
            msg_class = getattr(import_module(f"{package}.{kind}"), name)
            with self.lock:
                self.writer.add_topic(topic, msgtype, reliable=reliable, latched=latched)
        except (ImportError, AttributeError, UnknownMessageType) as error:
            self.skipped.add(topic)
            self.get_logger().error(f"not recording {topic} ({msgtype}): {error}")
            return
        self.counts[topic] = 0
        if HAS_MESSAGE_INFO:

            def callback(data, info, t=topic):
                self.store(t, data, info["received_timestamp"])
        else:

            def callback(data, t=topic):
                self.store(t, data, 0)

        self.subscriptions_by_topic[topic] = self.create_subscription(
            msg_class,
            topic,
            callback,
            QoSProfile(
                history=HistoryPolicy.KEEP_LAST,
                depth=100,
                reliability=ReliabilityPolicy.RELIABLE
                if reliable
                else ReliabilityPolicy.BEST_EFFORT,
                durability=DurabilityPolicy.TRANSIENT_LOCAL
                if latched
                else DurabilityPolicy.VOLATILE,
            ),
            raw=True,
        )
        self.get_logger().info(f"recording {topic} ({msgtype})")

    def _clock_received(self, clock, info):
        self.stamper.clock_received(
            clock.clock.sec * 10**9 + clock.clock.nanosec, info["received_timestamp"]
        )

    def _take_waiting_clocks(self):
        """/clock messages still queued (the executor takes one per subscription per pass, so
        after a stall many wait): take them all before stamping, or a message would get the
        sim time of the stall's start. Uses rclpy's take as its executor does."""
        subscription = self._clock_subscription
        try:
            with subscription.handle:
                while True:
                    taken = subscription.handle.take_message(
                        subscription.msg_type, subscription.raw
                    )
                    if taken is None:
                        return
                    self._clock_received(*taken)
        except (AttributeError, TypeError):  # an rclpy without this internal: the executor's order
            return

    def store(self, topic, data, received_wall_ns):
        if self._clock_subscription is not None:
            self._take_waiting_clocks()
        stamp = self.stamper.stamp(received_wall_ns, self.get_clock().now().nanoseconds)
        with self.lock:
            if self.closed:
                return
            try:
                self.writer.write_raw(topic, stamp, data)
            except OSError as error:  # disk full, directory removed: keep running, say so
                self.lost += 1
                self.get_logger().error(
                    f"cannot write to {self.writer.path}: {error} "
                    f"({self.lost} messages lost so far)",
                    throttle_duration_sec=5.0,
                )
                return
            self.counts[topic] += 1

    def check_duration(self):
        if time.monotonic() >= self.stop_at:
            self.get_logger().info(f"max_duration {self.params['max_duration']} s reached")
            self.close()
            rclpy.try_shutdown()

    def close(self):
        with self.lock:
            if self.closed:
                return
            self.closed = True
            self.writer.close()
        total = sum(self.counts.values())
        self.get_logger().info(
            f"wrote {self.writer.path}: {total} messages on {len(self.counts)} topics"
        )


def main(args=None):
    # One thread: the single-threaded executor keeps up with far higher message rates.
    sys.exit(run_node(BagRecorder, args))


if __name__ == "__main__":
    main()
