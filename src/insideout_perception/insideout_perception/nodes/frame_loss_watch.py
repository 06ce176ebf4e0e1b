"""fer_node's watch on frames lost between the camera and the node (core.frame_loss): a throttled
warning naming the fix, and the numbers for /diagnostics."""

import os
import threading
import time

from rclpy.qos import ReliabilityPolicy
from rclpy.utilities import get_rmw_implementation_identifier

from insideout_perception.core.frame_loss import CameraLink, FrameLossMonitor, loss_warning

PROFILE_FILE = "fastdds_large_frames.xml"


def _profile_path() -> str:
    """config/fastdds_large_frames.xml as installed by insideout_bringup (or as named there)."""
    try:
        from ament_index_python.packages import get_package_share_directory

        share = get_package_share_directory("insideout_bringup")
        return os.path.join(share, "config", PROFILE_FILE)
    except (ImportError, LookupError, ValueError):
        return f"<insideout_bringup share>/config/{PROFILE_FILE}"


class FrameLossWatch:
    def __init__(self, node, camera, warnings, params):
        """`camera`: the CameraSubscription; `warnings`: the node's ThrottledLog; `params`:
        fer_node's parameters."""
        self._node, self._camera, self._warnings = node, camera, warnings
        self._compressed = params["image_transport"] == "compressed"
        self._lock = threading.Lock()  # frames come on the callback thread, checks on a timer
        self._monitor = FrameLossMonitor()
        self._frame_bytes = 0
        # Fixed for the process: looked up once, not on every warning.
        self._fastdds = get_rmw_implementation_identifier().startswith("rmw_fastrtps")
        self._profile_path = _profile_path()
        self.delivery = None  # the latest estimate
        self.warning = ""  # the latest warning, while frames are being lost
        # Not for ROS4HRI's per-face images: they have no camera's steady stamps.
        self.enabled = params["face_source"] != "ros4hri"

    def frame(self, stamp: float, frame_bytes: int, arrival: float) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._monitor.frame(stamp, arrival)
            self._frame_bytes = frame_bytes

    def reset(self) -> None:
        """The subscription closed: the frames missed while it was closed were not lost."""
        with self._lock:
            self._monitor.reset()
            self.delivery, self.warning = None, ""

    def check(self) -> None:
        """Judge the recent frames; warn (throttled) when many never arrived."""
        with self._lock:
            self.delivery = self._monitor.delivery(time.monotonic())
            frame_bytes = self._frame_bytes
        if self.delivery is None or not self.delivery.losing:
            self.warning = ""
            return
        self.warning = loss_warning(self.delivery, self._link(frame_bytes))
        self._warnings.warning(self.warning, kind="frames lost")

    def report(self, healthy: bool, message: str, values: dict) -> tuple[bool, str]:
        """The node's diagnostics report with the frame-loss numbers added to `values`, and
        the loss warning as its message when nothing worse is reported."""
        if not self.enabled:
            return healthy, message
        values.update(self.values())
        if healthy and self.warning:
            return False, self.warning
        return healthy, message

    def values(self) -> dict[str, object]:
        delivery = self.delivery
        return {
            "camera_frames_arriving": (
                "n/a (no steady camera stamps)"
                if delivery is None
                else f"{delivery.share:.0%} ({delivery.arrived} of {delivery.sent}; camera "
                f"{delivery.camera_rate_hz:.0f} frames/s)"
            ),
            "camera_frames_lost_estimate": self._monitor.lost_total,
        }

    def _link(self, frame_bytes: int) -> CameraLink:
        publishers = self._node.get_publishers_info_by_topic(self._camera.topic)
        return CameraLink(
            topic=self._camera.topic,
            compressed=self._compressed,
            frame_bytes=frame_bytes,
            publishers_reliable=tuple(
                info.qos_profile.reliability == ReliabilityPolicy.RELIABLE for info in publishers
            ),
            subscription_reliable=self._camera.reliability == "reliable",
            fastdds=self._fastdds,
            profile_path=self._profile_path,
        )
