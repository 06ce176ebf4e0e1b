"""Camera frames for the page: at most `max_fps`, downscaled, JPEG, with a small JSON header.

A binary WebSocket message is: 4 bytes big-endian header length, the UTF-8 JSON header
({"w", "h": the JPEG's size, "src_w", "src_h": the camera's, "t": wall-clock time}), the JPEG.
The page scales the attended face's box (in camera pixels) by w/src_w.
"""

import json
import struct
import time
from collections.abc import Callable

import cv2
import numpy as np


class CameraJpeg:
    def __init__(
        self,
        max_fps: float,
        max_width: int,
        quality: int,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.period = 1.0 / max_fps
        self.max_width = max_width
        self.quality = quality
        self._clock = clock
        self._next = 0.0
        # One thread: OpenCV's pool would spin a second core for a 2 ms resize (measured: 0.28 ->
        # see docs/benchmarks.md, web view).
        cv2.setNumThreads(1)

    def due(self) -> bool:
        """True when a frame may go now (checked before decoding one, so skipped frames cost
        nothing); a True answer books the slot."""
        now = self._clock()
        if now < self._next:
            return False
        # From the slot, not from now: an average of max_fps even when frames come unevenly.
        self._next = max(self._next + self.period, now - self.period)
        return True

    def encode(self, bgr: np.ndarray) -> tuple[bytes, int, int]:
        """The frame downscaled to at most max_width, as JPEG bytes, and its width, height."""
        height, width = bgr.shape[:2]
        if width > self.max_width:
            height = max(1, round(height * self.max_width / width))
            width = self.max_width
            bgr = cv2.resize(bgr, (width, height), interpolation=cv2.INTER_AREA)
        ok, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if not ok:
            raise ValueError("JPEG encoding failed")
        return jpeg.tobytes(), width, height

    def message(self, bgr: np.ndarray) -> bytes:
        """The binary WebSocket message for one camera frame (BGR, as decoded)."""
        jpeg, width, height = self.encode(bgr)
        header = json.dumps(
            {
                "w": width,
                "h": height,
                "src_w": int(bgr.shape[1]),
                "src_h": int(bgr.shape[0]),
                "t": time.time(),
            }
        ).encode()
        return struct.pack(">I", len(header)) + header + jpeg


def split_frame_message(data: bytes) -> tuple[dict, bytes]:
    """The header and JPEG of a frame message (for tests and tools)."""
    (length,) = struct.unpack(">I", data[:4])
    return json.loads(data[4 : 4 + length]), data[4 + length :]
