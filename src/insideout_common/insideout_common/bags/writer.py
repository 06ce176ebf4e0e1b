"""Write standard rosbag2 bags in MCAP storage (what `ros2 bag record -s mcap` writes)."""

from pathlib import Path

from rosbags.interfaces import (
    Qos,
    QosDurability,
    QosHistory,
    QosLiveliness,
    QosReliability,
    QosTime,
)
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys.store import Typestore

from insideout_common.bags.typestore import build_typestore, ensure_type

# rosbag2's encoding of "no deadline / lifespan / lease": the largest rmw duration.
_INFINITE = QosTime(sec=2147483647, nsec=4294967295)
# Metadata version 8: Jazzy and Kilted read it, and Humble too (Humble's reader takes
# offered_qos_profiles as a YAML string, which version 9 turned into a list that Humble rejects).
BAG_VERSION = 8


def offered_qos(reliable: bool = True, latched: bool = False, depth: int = 10) -> Qos:
    """The publisher QoS recorded for a topic; `ros2 bag play` republishes with it."""
    return Qos(
        history=QosHistory.KEEP_LAST,
        depth=depth,
        reliability=QosReliability.RELIABLE if reliable else QosReliability.BEST_EFFORT,
        durability=QosDurability.TRANSIENT_LOCAL if latched else QosDurability.VOLATILE,
        deadline=_INFINITE,
        lifespan=_INFINITE,
        liveliness=QosLiveliness.AUTOMATIC,
        liveliness_lease_duration=_INFINITE,
        avoid_ros_namespace_conventions=False,
    )


class BagWriter:
    """A rosbag2 MCAP bag being written; use as a context manager so the metadata gets written.

    `path` is the bag directory (it must not exist yet); it will hold `<name>_0.mcap` and
    `metadata.yaml`.
    """

    def __init__(self, path: Path | str, typestore: Typestore | None = None):
        self.path = Path(path)
        self.typestore = typestore or build_typestore()
        self._writer = Writer(self.path, version=BAG_VERSION, storage_plugin=StoragePlugin.MCAP)
        self._connections: dict[str, object] = {}
        self._open = False

    def __enter__(self) -> "BagWriter":
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def open(self) -> None:
        self._writer.open()
        self._open = True

    def add_topic(
        self,
        topic: str,
        msgtype: str,
        reliable: bool = True,
        latched: bool = False,
        depth: int = 10,
    ) -> None:
        """Declare a topic before writing to it (types from unknown packages are looked up)."""
        if topic in self._connections:
            raise ValueError(f"topic {topic} was already added")
        ensure_type(self.typestore, msgtype)
        self._connections[topic] = self._writer.add_connection(
            topic,
            msgtype,
            typestore=self.typestore,
            offered_qos_profiles=[offered_qos(reliable, latched, depth)],
        )

    def has_topic(self, topic: str) -> bool:
        return topic in self._connections

    def write(self, topic: str, timestamp_ns: int, message) -> None:
        """Write a rosbags message object (from `self.typestore.types[...]`)."""
        connection = self._connections[topic]
        self.write_raw(
            topic, timestamp_ns, self.typestore.serialize_cdr(message, connection.msgtype)
        )

    def write_raw(self, topic: str, timestamp_ns: int, data: bytes) -> None:
        """Write an already CDR-serialized message (as rclpy's raw subscriptions deliver it)."""
        self._writer.write(self._connections[topic], int(timestamp_ns), data)

    def set_custom_data(self, key: str, value: str) -> None:
        """A key/value pair kept in metadata.yaml (custom_data)."""
        self._writer.set_custom_data(key, value)

    def message(self, msgtype: str, **fields):
        """Build a message object of `msgtype` for `write`."""
        return self.typestore.types[msgtype](**fields)

    def close(self) -> None:
        if self._open:
            self._writer.close()
            self._open = False
