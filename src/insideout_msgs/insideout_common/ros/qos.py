"""QoS profiles used across InsideOut, named for what they carry."""

from rclpy.qos import (
    DurabilityPolicy,
    HistoryPolicy,
    QoSProfile,
    ReliabilityPolicy,
    qos_profile_sensor_data,
)

# Camera frames: best effort and only the newest frame, so a slow consumer never builds latency.
LATEST_SENSOR_FRAME = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=1,
    reliability=ReliabilityPolicy.BEST_EFFORT,
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
