"""sensor_msgs Image / CompressedImage to BGR arrays, with our size and layout checks first."""

import numpy as np
from sensor_msgs.msg import CompressedImage

from insideout_common.image_conversion import (
    DATA_TOO_SHORT,
    UNCONVERTIBLE,
    ImageConversionError,
    check_compressed,
    check_dimensions,
    check_raw,
    compressed_to_bgr,
    raw_to_bgr,
)


class FrameDecoder:
    """Image messages to BGR arrays: cv_bridge when importable, else our own conversion."""

    def __init__(self, max_pixels: int):
        self.max_pixels = max_pixels
        try:
            from cv_bridge import CvBridge

            self._bridge = CvBridge()
        except ImportError:  # cv_bridge is not on PyPI
            self._bridge = None

    @property
    def backend(self) -> str:
        return "cv_bridge" if self._bridge else "insideout image_conversion"

    def check(self, msg) -> None:
        """Raises ImageConversionError for a frame decode() would refuse without decoding it;
        what only decoding finds (a corrupt compressed stream, what cv_bridge refuses) decode()
        raises."""
        if isinstance(msg, CompressedImage):
            check_compressed(msg.data, msg.format, self.max_pixels)
        elif self._bridge is None:
            check_raw(len(msg.data), msg.encoding, msg.height, msg.width, msg.step, self.max_pixels)
        else:
            self._check_for_bridge(msg)

    def decode(self, msg) -> np.ndarray:
        if isinstance(msg, CompressedImage):
            return compressed_to_bgr(msg.data, msg.format, self.max_pixels)
        if self._bridge is None:
            return raw_to_bgr(
                msg.data,
                msg.encoding,
                msg.height,
                msg.width,
                msg.step,
                bool(msg.is_bigendian),
                self.max_pixels,
            )
        self._check_for_bridge(msg)
        try:
            return self._bridge.imgmsg_to_cv2(msg, desired_encoding="bgr8")
        except Exception as error:
            raise ImageConversionError(
                f"cv_bridge cannot convert a {msg.encoding!r} image: {error}", UNCONVERTIBLE
            ) from None

    def _check_for_bridge(self, msg) -> None:
        # cv_bridge trusts height/step and may read out of bounds or allocate a lot; it knows more
        # encodings than we do, so the encoding is left to it.
        check_dimensions(msg.height, msg.width, self.max_pixels)
        if len(msg.data) < msg.height * msg.step:
            raise ImageConversionError(
                f"data holds {len(msg.data)} bytes, fewer than height x step = "
                f"{msg.height} x {msg.step}",
                DATA_TOO_SHORT,
            )
