"""QoS profiles used across InsideOut, named for what they carry."""

from rclpy.duration import Duration
from rclpy.qos import (
    DurabilityPolicy,
    HistoryPolicy,
    LivelinessPolicy,
    QoSProfile,
    ReliabilityPolicy,
    qos_profile_sensor_data,
)

# Camera frames waiting for a subscription callback. Not 1: when the executor thread is late (a
# worker or another process holds the core) a depth of 1 overwrites frames unseen and uncounted; a
# frame callback is cheap and keeps only the newest for its worker, so no latency builds up.
CAMERA_FRAME_DEPTH = 5


def camera_frames(reliable: bool) -> QoSProfile:
    """A camera subscription's QoS: reliable (large frames from reliable cameras) or best effort."""
    return QoSProfile(
        history=HistoryPolicy.KEEP_LAST,
        depth=CAMERA_FRAME_DEPTH,
        reliability=ReliabilityPolicy.RELIABLE if reliable else ReliabilityPolicy.BEST_EFFORT,
        durability=DurabilityPolicy.VOLATILE,
    )


# Generic sensor stream (matches both reliable and best-effort publishers).
SENSOR_DATA = qos_profile_sensor_data

# Events that must not be lost (transcripts, dialogue turns, replies, audio chunks).
RELIABLE_EVENTS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=50,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.VOLATILE,
)

# State whose latest value a late joiner needs (robot_speaking, user_speaking, audio_info).
LATCHED_STATE = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=1,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.TRANSIENT_LOCAL,
)

# tts_node's robot_speaking: latched, and alive only while its process is. A latched "true" from a
# process that was killed would otherwise mute the ASR until tts_node restarts; with this lease
# the ASR notices within about a second (ROBOT_SPEAKING_LIVELINESS_WATCH). Subscribers that ask
# for no lease (the default) match it as a plain latched topic.
SPEAKER_LIVELINESS_LEASE_S = 1.0
ROBOT_SPEAKING_STATE = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=1,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.TRANSIENT_LOCAL,
    liveliness=LivelinessPolicy.AUTOMATIC,
    liveliness_lease_duration=Duration(seconds=SPEAKER_LIVELINESS_LEASE_S),
)

# The subscription that watches that lease asks for the same profile, so it matches only
# publishers that offer a lease this short or shorter (tts_node); the rest (`ros2 topic pub`, a
# bag) are incompatible with it by design and are heard by the plain subscriptions instead.
ROBOT_SPEAKING_LIVELINESS_WATCH = ROBOT_SPEAKING_STATE

# REP-155 (ROS4HRI) streams: reliable and volatile, as libhri's subscribers ask (system default
# QoS); a few messages of slack for /speech finals and /tracked changes.
HRI_STREAM = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=10,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.VOLATILE,
)
