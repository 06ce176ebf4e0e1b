"""bag_player and bag_recorder as separate processes, talked to over DDS."""

import contextlib
import ctypes
import os
import time

import numpy as np
import pytest
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import Image
from std_msgs.msg import String
from support.ros_harness import SentTimeCollector, wait_until

from insideout_common.bags import BagReader, BagWriter
from insideout_msgs.msg import EmotionState

T0 = 1_600_000_000 * 10**9
STEP_NS = 400_000_000
CHATTER_TIMES = [i * STEP_NS for i in range(6)]  # 0 .. 2.0 s

LATCHED = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=1,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.TRANSIENT_LOCAL,
)


def make_timing_bag(path):
    with BagWriter(path) as writer:
        writer.add_topic("/play/chatter", "std_msgs/msg/String")
        writer.add_topic("/play/latched", "std_msgs/msg/String", latched=True, depth=1)
        writer.add_topic("/play/image", "sensor_msgs/msg/Image")
        writer.write("/play/latched", T0, writer.message("std_msgs/msg/String", data="latched"))
        for t in CHATTER_TIMES:
            writer.write(
                "/play/chatter",
                T0 + t,
                writer.message("std_msgs/msg/String", data=f"{t / 1e9:.1f}"),
            )
        m = writer.message
        writer.write(
            "/play/image",
            T0 + STEP_NS,
            m(
                "sensor_msgs/msg/Image",
                header=m(
                    "std_msgs/msg/Header",
                    frame_id="cam",
                    stamp=m("builtin_interfaces/msg/Time", sec=T0 // 10**9, nanosec=0),
                ),
                height=1,
                width=1,
                encoding="mono8",
                is_bigendian=0,
                step=1,
                data=np.array([42], np.uint8),
            ),
        )
    return path


def test_player_honours_timestamps_and_rate_and_publishes_clock(tmp_path, ros, spawn_node):
    bag = make_timing_bag(tmp_path / "bag")
    chatter, clock = SentTimeCollector(), SentTimeCollector()
    ros.node.create_subscription(String, "/play/chatter", chatter, 10)
    ros.node.create_subscription(Clock, "/clock", clock, 100)
    latched = ros.collect(String, "/play/latched", LATCHED)
    player = spawn_node(
        "insideout_common",
        "bag_player",
        params={
            "bag": str(bag),
            "rate": 2.0,
            "publish_clock": True,
            "wait_for_subscribers": ["/play/chatter"],
        },
    )
    assert wait_until(lambda: len(chatter.items) == len(CHATTER_TIMES), 30.0), player.output()
    assert player.process.wait(15) == 0, player.output()

    assert [m.data for _, m in chatter.items] == ["0.0", "0.4", "0.8", "1.2", "1.6", "2.0"]
    # Recorded 0.4 s apart, played at rate 2: due 0.2 s apart. A loaded machine may publish late,
    # never early; the whole pass takes about 1 s (2 s at rate 1, 0.5 s at rate 4).
    offsets = np.array([t for t, _ in chatter.items]) - chatter.items[0][0]
    expected = np.arange(len(CHATTER_TIMES)) * 0.2
    assert np.all(offsets >= expected - 0.15), offsets
    assert 0.85 <= offsets[-1] <= 1.6, offsets
    assert latched.wait_for(lambda m: m.data == "latched", 5.0) is not None

    clock_ns = [m.clock.sec * 10**9 + m.clock.nanosec for _, m in clock.items]
    assert len(clock_ns) >= 20, "expected /clock at about 40 Hz over 1 s of playback"
    assert all(b >= a for a, b in zip(clock_ns, clock_ns[1:])), "/clock went backwards"
    assert T0 <= clock_ns[0] and clock_ns[-1] >= T0 + CHATTER_TIMES[-1]
    assert clock_ns[-1] <= T0 + CHATTER_TIMES[-1] + 100_000_000
    # /clock runs at the playback rate: 2 s of bag time in about 1 s of wall time.
    wall_span = clock.items[-1][0] - clock.items[0][0]
    assert 0.85 <= wall_span <= 1.6 and (clock_ns[-1] - clock_ns[0]) / 1e9 >= 1.9


def test_player_start_offset_and_loop(tmp_path, ros, spawn_node):
    bag = make_timing_bag(tmp_path / "bag")
    chatter = ros.collect(String, "/play/chatter")
    player = spawn_node(
        "insideout_common",
        "bag_player",
        params={
            "bag": str(bag),
            "rate": 4.0,
            "start_offset": 1.0,
            "loop": True,
            "topics": ["/play/chatter"],
            "wait_for_subscribers": ["/play/chatter"],
        },
    )
    received = chatter.wait_for_count(7, 30.0)
    assert player.running(), "a looping player keeps running"
    assert player.stop() == 0, player.output()
    assert [m.data for m in received[:7]] == ["1.2", "1.6", "2.0", "1.2", "1.6", "2.0", "1.2"]


def test_player_restamps_headers_to_publish_time(tmp_path, ros, spawn_node):
    bag = make_timing_bag(tmp_path / "bag")
    images = ros.collect(Image, "/play/image")
    spawn_node(
        "insideout_common",
        "bag_player",
        params={"bag": str(bag), "restamp_headers": True, "wait_for_subscribers": ["/play/image"]},
    )
    image = images.wait_for(timeout=30.0)
    assert image is not None
    stamp = image.header.stamp.sec + image.header.stamp.nanosec / 1e9
    assert abs(stamp - time.time()) < 5.0, "header stamp should be the publish time, not 2020"
    assert image.header.frame_id == "cam" and list(image.data) == [42]


def test_player_rejects_a_missing_bag_clearly(tmp_path, spawn_node):
    player = spawn_node("insideout_common", "bag_player", params={"bag": str(tmp_path / "nope")})
    assert player.process.wait(30) == 2
    assert "not a rosbag2 bag directory" in player.output()


def test_recorder_writes_what_was_published(tmp_path, ros, spawn_node):
    output = tmp_path / "recorded"
    latched_pub = ros.publisher(String, "/rec/latched", LATCHED)
    latched_pub.publish(String(data="config"))
    chatter_pub = ros.publisher(
        String, "/rec/chatter", QoSProfile(depth=10, reliability=ReliabilityPolicy.BEST_EFFORT)
    )
    emotion_pub = ros.publisher(EmotionState, "/rec/emotion", 10)
    recorder = spawn_node(
        "insideout_common",
        "bag_recorder",
        params={"output": str(output), "topics": ["/rec/latched", "/rec/chatter", "/rec/emotion"]},
    )
    for publisher in (latched_pub, chatter_pub, emotion_pub):
        assert ros.wait_for_subscribers(publisher, timeout=30.0), recorder.output()
    time.sleep(0.5)  # let the recorder's side of each connection match too
    for i in range(5):
        chatter_pub.publish(String(data=f"hello {i}"))
        time.sleep(0.05)
    emotion_pub.publish(
        EmotionState(
            dominant_label="happiness", confidence=0.75, labels=["happiness"], scores=[0.75]
        )
    )
    assert wait_until(lambda: "recording /rec/emotion" in recorder.output(), 5.0)
    time.sleep(1.0)
    assert recorder.stop() == 0, recorder.output()

    with BagReader(output) as reader:
        topics = reader.topics()
        assert topics["/rec/latched"].latched and topics["/rec/latched"].count == 1
        assert not topics["/rec/chatter"].reliable
        assert topics["/rec/emotion"].msgtype == "insideout_msgs/msg/EmotionState"
        by_topic = {}
        for message in reader.messages():
            by_topic.setdefault(message.topic, []).append(reader.deserialize(message))
    assert [m.data for m in by_topic["/rec/chatter"]] == [f"hello {i}" for i in range(5)]
    assert by_topic["/rec/latched"][0].data == "config"
    (emotion,) = by_topic["/rec/emotion"]
    assert emotion.dominant_label == "happiness" and list(emotion.scores) == [0.75]


def test_recorder_stops_after_max_duration_with_a_valid_bag(tmp_path, ros, spawn_node):
    output = tmp_path / "short"
    ticks = ros.publisher(String, "/rec/tick")
    ros.node.create_timer(0.05, lambda: ticks.publish(String(data="tick")))
    recorder = spawn_node(
        "insideout_common",
        "bag_recorder",
        params={"output": str(output), "topics": ["/rec/tick"], "max_duration": 8.0},
    )
    # max_duration counts from the recorder node's start; the process start-up (2-5 s on a loaded
    # machine) and discovery come first, so the subscription is there at least 1.5 s before it ends.
    assert ros.wait_for_subscribers(ticks, timeout=6.5), recorder.output()
    assert recorder.process.wait(30) == 0, recorder.output()
    assert "max_duration 8.0 s reached" in recorder.output()
    with BagReader(output) as reader:
        stamps = [m.timestamp_ns for m in reader.messages(["/rec/tick"])]
    assert len(stamps) >= 5, "ticks at 20 Hz for at least the last second"
    assert (stamps[-1] - stamps[0]) / 1e9 <= 8.1, "recorded past max_duration"


def test_a_node_on_sim_time_follows_the_players_clock(tmp_path, ros, spawn_node):
    """The recorder with use_sim_time stamps what it records with the /clock time at which it
    received it: the replayed messages land at their original bag times (2020, not today), however
    late the recorder's callbacks run. The player sends /clock at the message's time just before
    it, so only a late player (its lateness is in its output) or a /clock overtaken by its message
    (then the previous one, at most a 25 ms period earlier) moves a stamp."""
    bag = make_timing_bag(tmp_path / "bag")
    output = tmp_path / "rerecorded"
    recorder = spawn_node(
        "insideout_common",
        "bag_recorder",
        params={"output": str(output), "topics": ["/play/chatter"], "use_sim_time": True},
    )
    # The recorder subscribes once the player advertises; the player waits for that subscriber.
    player = spawn_node(
        "insideout_common",
        "bag_player",
        params={
            "bag": str(bag),
            "publish_clock": True,
            "topics": ["/play/chatter"],
            "wait_for_subscribers": ["/play/chatter"],
            "start_delay": 1.0,
        },
    )
    assert player.process.wait(30) == 0, player.output()
    time.sleep(0.5)
    assert recorder.stop() == 0, recorder.output()
    with BagReader(output) as reader:
        recorded = [(reader.deserialize(m).data, m.timestamp_ns) for m in reader.messages()]
    assert [data for data, _ in recorded] == ["0.0", "0.4", "0.8", "1.2", "1.6", "2.0"]
    for data, stamp in recorded:
        original = T0 + int(round(float(data) * 1e9))
        assert -30_000_000 <= stamp - original < 150_000_000, (data, (stamp - original) / 1e9)


def test_player_rejects_a_truncated_bag_clearly(tmp_path, spawn_node):
    bag = make_timing_bag(tmp_path / "bag")
    mcap = next(bag.glob("*.mcap"))
    mcap.write_bytes(mcap.read_bytes()[:200])  # as if the recording machine lost power
    player = spawn_node("insideout_common", "bag_player", params={"bag": str(bag)})
    assert player.process.wait(30) == 2
    assert "cannot read" in player.output() and "Traceback" not in player.output()


@contextlib.contextmanager
def executor_thread_stopped(pid):
    """Stop only the main thread of process `pid` (a node's executor thread) while inside: its
    middleware threads keep receiving, as on a machine where the executor runs late. ptrace stops
    one thread (a signal such as SIGSTOP stops them all)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    libc.ptrace.restype = ctypes.c_long
    PTRACE_DETACH, PTRACE_SEIZE, PTRACE_INTERRUPT = 17, 0x4206, 0x4207
    if libc.ptrace(PTRACE_SEIZE, pid, None, None) != 0:
        # Not a skip: CI must not quietly stop checking the recorder's stall handling.
        pytest.fail(
            f"this test needs ptrace on its own child (root, CAP_SYS_PTRACE or "
            f"kernel.yama.ptrace_scope 0): {os.strerror(ctypes.get_errno())}"
        )
    try:
        assert libc.ptrace(PTRACE_INTERRUPT, pid, None, None) == 0, os.strerror(ctypes.get_errno())
        os.waitpid(pid, 0x40000000)  # __WALL: until the thread has stopped
        yield
    finally:
        libc.ptrace(PTRACE_DETACH, pid, None, None)


def test_after_a_stall_the_recorder_stamps_with_the_clock_that_held_on_arrival(
    tmp_path, ros, spawn_node
):
    """Fault injection: the recorder's executor thread is stopped while /clock ticks on and one
    message arrives among the ticks; its middleware threads keep receiving (and stamping arrivals),
    as when the executor runs late on a loaded machine. Resumed, it must stamp the message with the
    /clock received just before it, not the first tick queued during the stall (a stamp early by
    the stall) nor the last (late by it).

    Not the whole process (SIGSTOP): then the middleware receives nothing during the stall, every
    receive time is after it, and Fast DDS's shared-memory transport may drop what was sent: a
    process stopped while holding its port's interprocess mutex makes each writer's send block 1 s
    on that mutex, then the writers mark the port dead and recreate it, and all sent to the stopped
    reader meanwhile is lost (best-effort /clock for good; reliable messages come back at the next
    heartbeat, after the resume). Seen in about 1 run in 12 of the SIGSTOP version of this test
    (issue 26); no receive-time stamp can be right then (docs/limitations.md)."""
    output = tmp_path / "stalled"
    clock = ros.publisher(Clock, "/clock", 100)
    chatter = ros.publisher(String, "/stall/chatter", 100)
    recorder = spawn_node(
        "insideout_common",
        "bag_recorder",
        params={"output": str(output), "topics": ["/stall/chatter"], "use_sim_time": True},
    )
    assert ros.wait_for_subscribers(chatter, timeout=30.0), recorder.output()
    assert ros.wait_for_subscribers(clock, timeout=10.0), recorder.output()
    # Our publishers have matched the recorder's readers; its readers may not have matched our
    # writers yet: let discovery settle first.
    time.sleep(1.0)

    def tick(k):  # sim time T0 + k * 50 ms, sent every 20 ms of wall time
        message = Clock()
        message.clock.sec, message.clock.nanosec = divmod(T0 + k * 50_000_000, 10**9)
        clock.publish(message)
        time.sleep(0.02)

    for k in range(5):
        tick(k)
    with executor_thread_stopped(recorder.process.pid):
        for k in range(5, 25):
            tick(k)
        chatter.publish(String(data="during the stall"))  # after the tick of T0 + 1.2 s
        for k in range(25, 35):
            tick(k)
    time.sleep(1.0)
    assert recorder.stop() == 0, recorder.output()
    with BagReader(output) as reader:
        recorded = [(reader.deserialize(m).data, m.timestamp_ns) for m in reader.messages()]
    assert [data for data, _ in recorded] == ["during the stall"]
    offset = (recorded[0][1] - T0) / 1e9
    assert abs(offset - 1.2) <= 0.05, (
        f"stamped at T0 + {offset:.3f} s; the clock then said T0 + 1.2 s"
    )
