"""A camera subscription (fer_node's and the live view's) that follows the cameras' QoS
reliability (image_reliability auto).

A subscription that is replaced stays until its successor has delivered a frame (or
RETIRE_AFTER_S passed), so no frame is missed while the new one matches the camera; a frame both
deliver is taken once by the node's FrameStampOrder (frames carry their subscription generation).
"""

import time
from collections.abc import Callable

from rclpy.qos import ReliabilityPolicy
from sensor_msgs.msg import CompressedImage, Image

from insideout_common import frame_reliability
from insideout_common.ros.qos import camera_frames

# A replaced frame subscription goes at the latest this long after its successor came [s].
RETIRE_AFTER_S = 3.0


class CameraSubscription:
    def __init__(
        self,
        node,
        frame_type,
        topic: str,
        policy: str,
        on_frame: Callable[[object, int], None],
        raw: bool = False,
    ):
        """`policy`: image_reliability (auto, reliable, best_effort); `on_frame(msg, generation)`;
        `raw`: msg is the serialized frame (bytes), for a subscriber that skips most frames and
        deserializes only the ones it uses."""
        self._node = node
        self.frame_type = frame_type
        self.topic = topic
        self.policy = policy
        self._on_frame = on_frame
        self.raw = raw
        self._subscription = self._retiring = None
        self._retire_by = 0.0
        self.generation = 0
        self.reliability = ""

    def open(self) -> None:
        self._subscribe(self._wanted_reliability())

    def close(self) -> None:
        self._retire_old()
        if self._subscription is not None:
            self._node.destroy_subscription(self._subscription)
            self._subscription = None

    def delivered(self, generation: int) -> None:
        """A frame came through subscription `generation`: once the newest delivers, the old
        goes."""
        if generation == self.generation and self._retiring is not None:
            self._retire_old()

    def follow(self) -> str | None:
        """Re-subscribe when the cameras now call for another reliability; returns what changed."""
        if self._retiring is not None and time.monotonic() > self._retire_by:
            self._retire_old()
        wanted = self._wanted_reliability()
        if wanted == self.reliability:
            return None
        change = (
            f"the cameras on {self.topic} now call for a {wanted} subscription "
            f"(was {self.reliability}): subscribing again"
        )
        self._subscribe(wanted)
        return change

    def _wanted_reliability(self) -> str:
        offered = [
            frame_reliability.RELIABLE
            if info.qos_profile.reliability == ReliabilityPolicy.RELIABLE
            else frame_reliability.BEST_EFFORT
            for info in self._node.get_publishers_info_by_topic(self.topic)
        ]
        return frame_reliability.subscription_reliability(self.policy, offered)

    def _subscribe(self, reliability: str) -> None:
        qos = camera_frames(reliable=reliability == frame_reliability.RELIABLE)
        self._retire_old()
        self._retiring, self._retire_by = self._subscription, time.monotonic() + RETIRE_AFTER_S
        generation = self.generation = self.generation + 1
        self._subscription = self._node.create_subscription(
            self.frame_type,
            self.topic,
            lambda msg: self._on_frame(msg, generation),
            qos,
            raw=self.raw,
        )
        self.reliability = reliability

    def _retire_old(self) -> None:
        if self._retiring is not None:
            self._node.destroy_subscription(self._retiring)
            self._retiring = None


def camera_subscription(
    node,
    image_topic: str,
    image_transport: str,
    image_reliability: str,
    on_frame: Callable[[object, int], None],
    raw: bool = False,
) -> CameraSubscription:
    """The camera as image_topic / image_transport / image_reliability name it (fer_node's and
    web_view_node's parameters); `raw`: serialized frames, see CameraSubscription."""
    topic, frame_type = image_topic, Image
    if image_transport == "compressed":
        topic, frame_type = topic.rstrip("/") + "/compressed", CompressedImage
    return CameraSubscription(
        node, frame_type, node.resolve_topic_name(topic), image_reliability, on_frame, raw
    )
