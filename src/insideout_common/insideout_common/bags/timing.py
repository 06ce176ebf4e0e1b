"""Playback arithmetic for the bag player: when to publish, what /clock says, header restamping.

Pure functions of monotonic time, so the player's timing can be tested without ROS or sleeping.
"""

import struct
from dataclasses import dataclass


@dataclass(frozen=True)
class PlaybackTimeline:
    """Maps bag time to wall time for one pass over the bag.

    `bag_start_ns` is the bag time played at `wall_start` (monotonic seconds); `rate` > 0 scales
    time (2.0 plays twice as fast).
    """

    bag_start_ns: int
    wall_start: float
    rate: float = 1.0

    def __post_init__(self):
        if not self.rate > 0:
            raise ValueError(f"rate must be > 0, got {self.rate}")

    def wall_time_of(self, timestamp_ns: int) -> float:
        """Monotonic time at which a message recorded at `timestamp_ns` is due."""
        return self.wall_start + (timestamp_ns - self.bag_start_ns) / 1e9 / self.rate

    def bag_time_at(self, wall: float) -> int:
        """The bag time (ns) being played at monotonic time `wall`: what /clock publishes."""
        return self.bag_start_ns + int(round((wall - self.wall_start) * self.rate * 1e9))


def start_time_ns(bag_start_ns: int, bag_end_ns: int, start_offset_s: float) -> int:
    """Bag time where playback begins, `start_offset_s` into the bag (clamped to the bag)."""
    if start_offset_s < 0:
        raise ValueError(f"start offset must be >= 0, got {start_offset_s}")
    return min(bag_start_ns + int(round(start_offset_s * 1e9)), bag_end_ns)


def split_ns(timestamp_ns: int):
    """(sec, nanosec) of a builtin_interfaces/Time."""
    return divmod(int(timestamp_ns), 1_000_000_000)


_ENCAPSULATION_BIG_ENDIAN = (b"\x00\x00", b"\x00\x02")


def restamp_header(cdr: bytes, timestamp_ns: int) -> bytes:
    """Replace header.stamp of a CDR message whose first field is a std_msgs/Header.

    The stamp (int32 sec, uint32 nanosec) sits right after the 4-byte encapsulation header, so
    this patches 8 bytes instead of deserializing a whole image.
    """
    if len(cdr) < 12:
        raise ValueError("message too short to hold a header stamp")
    order = ">" if cdr[:2] in _ENCAPSULATION_BIG_ENDIAN else "<"
    sec, nanosec = split_ns(timestamp_ns)
    return cdr[:4] + struct.pack(order + "iI", sec, nanosec) + cdr[12:]


def header_stamp_ns(cdr: bytes) -> int:
    """header.stamp of a CDR message whose first field is a std_msgs/Header, in ns."""
    order = ">" if cdr[:2] in _ENCAPSULATION_BIG_ENDIAN else "<"
    sec, nanosec = struct.unpack(order + "iI", cdr[4:12])
    return sec * 1_000_000_000 + nanosec
