"""fer_node's frame source: the camera (insideout_common's camera subscription) or ROS4HRI's
per-face images."""

from collections.abc import Callable

from insideout_common.ros.camera_subscription import camera_subscription
from insideout_common.ros.params import InvalidParameters


def frame_input(node, params, on_frame: Callable[[object, int], None], warn: Callable[[str], None]):
    """fer_node's frame source for its parameters: the camera, or ROS4HRI per-face images."""
    if params["face_source"] == "ros4hri":
        try:
            from insideout_perception.nodes.ros4hri_face_input import Ros4hriFaceInput
        except ImportError as error:
            raise InvalidParameters(
                f"fer_node: face_source ros4hri needs hri_msgs ({error})"
            ) from None
        return Ros4hriFaceInput(
            node,
            params["ros4hri_face_image"],
            params["attention"],
            on_frame,
            lambda face: node.get_logger().info(f"attending to ROS4HRI face {face}"),
            warn,
        )
    return camera_subscription(
        node,
        params["image_topic"],
        params["image_transport"],
        params["image_reliability"],
        on_frame,
    )
