"""The live view's camera panel: subscribed only while a page shows it, at most camera.max_fps
frames decoded, downscaled and JPEG-encoded, so an idle view costs no camera bandwidth or CPU.
Frames arrive serialized and only those sent are deserialized: at 30 frames/s in and 10 out,
building Python messages of the other 20 cost more than encoding the 10 (measured with
benchmarks/bench_web_view.py)."""

from rclpy.serialization import deserialize_message

from insideout_common.image_conversion import ImageConversionError
from insideout_common.ros.camera_subscription import camera_subscription
from insideout_common.ros.frame_decoder import FrameDecoder
from insideout_dialogue.core.live_view.camera_jpeg import CameraJpeg


class WebViewCamera:
    def __init__(self, node, params, server, warn):
        self._node, self._server, self._warn = node, server, warn
        self._jpeg = CameraJpeg(
            params["camera.max_fps"], params["camera.max_width"], params["camera.jpeg_quality"]
        )
        self._decoder = FrameDecoder(params["camera.max_image_pixels"])
        self._input = camera_subscription(
            node,
            params["camera.image_topic"],
            params["camera.image_transport"],
            params["camera.image_reliability"],
            self._on_frame,
            raw=True,
        )
        self.subscribed = False
        self.frames = 0

    @property
    def topic(self) -> str:
        return self._input.topic

    def follow_pages(self) -> None:
        """Subscribe while the node is active and at least one page has its camera panel on
        (called periodically)."""
        wanted = self._node.active and self._server.camera_pages > 0
        if wanted and not self.subscribed:
            self._input.open()
        elif not wanted and self.subscribed:
            self._input.close()
        elif wanted:
            self._input.follow()
        self.subscribed = wanted

    def close(self) -> None:
        if self.subscribed:
            self._input.close()
            self.subscribed = False

    def _on_frame(self, msg, generation: int) -> None:
        self._input.delivered(generation)
        if not self._jpeg.due():
            return
        try:
            msg = deserialize_message(msg, self._input.frame_type)
            self._server.publish_frame(self._jpeg.message(self._decoder.decode(msg)))
            self.frames += 1
        except (ImageConversionError, ValueError) as error:
            self._warn(f"camera frame on {self._input.topic} not shown: {error}")
