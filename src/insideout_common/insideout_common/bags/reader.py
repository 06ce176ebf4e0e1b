"""Read rosbag2 bags (MCAP or sqlite3) and hand out raw CDR messages in time order."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from rosbags.interfaces import QosDurability, QosReliability
from rosbags.rosbag2 import Reader
from rosbags.typesys import get_types_from_msg
from rosbags.typesys.store import Typestore

from insideout_common.bags.typestore import build_typestore


@dataclass(frozen=True)
class TopicInfo:
    name: str
    msgtype: str
    count: int
    # From the recorded publisher QoS: republish transient-local topics latched, best-effort ones
    # best-effort.
    latched: bool
    reliable: bool


@dataclass(frozen=True)
class BagMessage:
    topic: str
    msgtype: str
    timestamp_ns: int
    data: bytes


class BagReader:
    """A rosbag2 bag opened for reading; use as a context manager."""

    def __init__(self, path: Path | str, typestore: Typestore | None = None):
        self.path = Path(path)
        if not (self.path / "metadata.yaml").exists():
            raise FileNotFoundError(f"{self.path} is not a rosbag2 bag (no metadata.yaml)")
        self.typestore = typestore or build_typestore()
        self._reader = Reader(self.path)

    def __enter__(self) -> "BagReader":
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def open(self) -> None:
        self._reader.open()
        # Types the store does not know come from the definitions stored in the bag itself.
        extra: dict[str, object] = {}
        for connection in self._reader.connections:
            if connection.msgtype not in self.typestore.fielddefs and connection.msgdef.data:
                extra.update(get_types_from_msg(connection.msgdef.data, connection.msgtype))
        if extra:
            self.typestore.register(
                {k: v for k, v in extra.items() if k not in self.typestore.fielddefs}
            )

    def close(self) -> None:
        self._reader.close()

    @property
    def start_time_ns(self) -> int:
        return self._reader.start_time

    @property
    def end_time_ns(self) -> int:
        return self._reader.end_time

    @property
    def duration_s(self) -> float:
        return (self.end_time_ns - self.start_time_ns) / 1e9

    @property
    def custom_data(self) -> dict[str, str]:
        """metadata.yaml's custom_data (key/value strings the writer stored)."""
        metadata = yaml.safe_load((self.path / "metadata.yaml").read_text())
        return dict(metadata["rosbag2_bagfile_information"].get("custom_data") or {})

    def topics(self) -> dict[str, TopicInfo]:
        infos = {}
        for connection in self._reader.connections:
            profiles = getattr(connection.ext, "offered_qos_profiles", []) or []
            latched = bool(profiles) and all(
                p.durability == QosDurability.TRANSIENT_LOCAL for p in profiles
            )
            reliable = not profiles or all(
                p.reliability != QosReliability.BEST_EFFORT for p in profiles
            )
            previous = infos.get(connection.topic)
            count = connection.msgcount + (previous.count if previous else 0)
            infos[connection.topic] = TopicInfo(
                connection.topic, connection.msgtype, count, latched, reliable
            )
        return infos

    def messages(
        self, topics: Iterable[str] | None = None, start_ns: int | None = None
    ) -> Iterator[BagMessage]:
        """Messages in timestamp order, optionally only `topics` and from `start_ns` on."""
        wanted = set(topics) if topics else None
        connections = [c for c in self._reader.connections if wanted is None or c.topic in wanted]
        if not connections:
            return
        for connection, timestamp, data in self._reader.messages(
            connections=connections, start=start_ns
        ):
            yield BagMessage(connection.topic, connection.msgtype, timestamp, bytes(data))

    def deserialize(self, message: BagMessage):
        """The message as a rosbags object (field access like a ROS message)."""
        return self.typestore.deserialize_cdr(message.data, message.msgtype)
