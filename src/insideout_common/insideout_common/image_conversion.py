"""Camera frames to numpy BGR images, without sensor_msgs: the fallback when cv_bridge is missing.

`raw_to_bgr` takes the fields of a sensor_msgs/Image (data, encoding, height, width, step,
is_bigendian); `compressed_to_bgr` the fields of a sensor_msgs/CompressedImage (data, format);
`check_raw` and `check_compressed` make their checks without decoding.
Every way a frame can be malformed raises ImageConversionError with a message that says what is
wrong (never the pixel data) and a short `reason` naming the kind of problem, so the node can warn
once per kind of problem, count each, and drop the frame.
"""

from dataclasses import dataclass

import cv2
import numpy as np

# 8K UHD: anything larger is not a camera frame we should spend memory and time on.
DEFAULT_MAX_PIXELS = 7680 * 4320


class ImageConversionError(ValueError):
    """The frame cannot be turned into an image; the message says why, `reason` (one of REASONS)
    what kind of problem it is."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


# Why a frame is refused: identifiers for the node's throttle kinds and diagnostics keys.
UNSUPPORTED_ENCODING = "unsupported_encoding"
ZERO_SIZE = "zero_size"
TOO_MANY_PIXELS = "too_many_pixels"
STEP_TOO_SMALL = "step_too_small"
ODD_WIDTH = "odd_width"
DATA_TOO_SHORT = "data_too_short"
NO_DATA = "no_data"
UNSUPPORTED_FORMAT = "unsupported_format"
NOT_JPEG_OR_PNG = "not_jpeg_or_png"
TRUNCATED = "truncated"
CORRUPT_HEADER = "corrupt_header"
UNDECODABLE = "undecodable"
UNCONVERTIBLE = "unconvertible"  # cv_bridge refused it
REASONS = (
    UNSUPPORTED_ENCODING,
    ZERO_SIZE,
    TOO_MANY_PIXELS,
    STEP_TOO_SMALL,
    ODD_WIDTH,
    DATA_TOO_SHORT,
    NO_DATA,
    UNSUPPORTED_FORMAT,
    NOT_JPEG_OR_PNG,
    TRUNCATED,
    CORRUPT_HEADER,
    UNDECODABLE,
    UNCONVERTIBLE,
)


@dataclass(frozen=True)
class _RawLayout:
    channels: int
    dtype: str  # numpy dtype of one channel value, without byte order
    to_bgr: int = -1  # cv2 colour conversion code, -1 when already BGR


_GRAY = cv2.COLOR_GRAY2BGR
# sensor_msgs/image_encodings.hpp names. 16-bit images are scaled to 8 bits.
RAW_LAYOUTS: dict[str, _RawLayout] = {
    "bgr8": _RawLayout(3, "u1"),
    "rgb8": _RawLayout(3, "u1", cv2.COLOR_RGB2BGR),
    "bgra8": _RawLayout(4, "u1", cv2.COLOR_BGRA2BGR),
    "rgba8": _RawLayout(4, "u1", cv2.COLOR_RGBA2BGR),
    "mono8": _RawLayout(1, "u1", _GRAY),
    "8UC1": _RawLayout(1, "u1", _GRAY),
    "8UC3": _RawLayout(3, "u1"),
    "8UC4": _RawLayout(4, "u1", cv2.COLOR_BGRA2BGR),
    "mono16": _RawLayout(1, "u2", _GRAY),
    "16UC1": _RawLayout(1, "u2", _GRAY),
    "bgr16": _RawLayout(3, "u2"),
    "rgb16": _RawLayout(3, "u2", cv2.COLOR_RGB2BGR),
    # Packed 4:2:2 (2 bytes per pixel), as many USB cameras deliver.
    "yuv422": _RawLayout(2, "u1", cv2.COLOR_YUV2BGR_UYVY),
    "uyvy": _RawLayout(2, "u1", cv2.COLOR_YUV2BGR_UYVY),
    "yuv422_yuy2": _RawLayout(2, "u1", cv2.COLOR_YUV2BGR_YUY2),
    "yuyv": _RawLayout(2, "u1", cv2.COLOR_YUV2BGR_YUY2),
}

SUPPORTED_RAW_ENCODINGS = tuple(RAW_LAYOUTS)


def check_dimensions(height: int, width: int, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
    if height <= 0 or width <= 0:
        raise ImageConversionError(f"empty image: {width}x{height} pixels", ZERO_SIZE)
    if height * width > max_pixels:
        raise ImageConversionError(
            f"image of {width}x{height} = {height * width} pixels exceeds the limit of "
            f"{max_pixels}",
            TOO_MANY_PIXELS,
        )


def check_raw(
    size: int,
    encoding: str,
    height: int,
    width: int,
    step: int,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> None:
    """raw_to_bgr's checks alone, on a sensor_msgs/Image's fields and its data's size in bytes:
    cheap enough to run on every frame as it arrives."""
    layout = RAW_LAYOUTS.get(encoding)
    if layout is None:
        raise ImageConversionError(
            f"unsupported encoding {encoding!r}; supported: {', '.join(SUPPORTED_RAW_ENCODINGS)}",
            UNSUPPORTED_ENCODING,
        )
    check_dimensions(height, width, max_pixels)
    row_bytes = width * layout.channels * np.dtype(layout.dtype).itemsize
    if step < row_bytes:
        raise ImageConversionError(
            f"step {step} is smaller than one row of {width} {encoding} pixels ({row_bytes} bytes)",
            STEP_TOO_SMALL,
        )
    if layout.channels == 2 and width % 2:
        raise ImageConversionError(f"{encoding} needs an even width, got {width}", ODD_WIDTH)
    if size < height * step:
        raise ImageConversionError(
            f"data holds {size} bytes, fewer than height x step = {height} x {step} = "
            f"{height * step}",
            DATA_TOO_SHORT,
        )


def raw_to_bgr(
    data,
    encoding: str,
    height: int,
    width: int,
    step: int,
    is_bigendian: bool = False,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> np.ndarray:
    """A sensor_msgs/Image's fields as a contiguous uint8 BGR array of shape (height, width, 3)."""
    buffer = memoryview(data).cast("B") if not isinstance(data, (bytes, bytearray)) else data
    check_raw(len(buffer), encoding, height, width, step, max_pixels)
    layout = RAW_LAYOUTS[encoding]
    dtype = np.dtype(layout.dtype).newbyteorder(">" if is_bigendian else "<")
    row_bytes = width * layout.channels * dtype.itemsize
    rows = np.frombuffer(buffer, np.uint8, count=height * step).reshape(height, step)[:, :row_bytes]
    pixels = np.ascontiguousarray(rows).view(dtype).reshape(height, width, layout.channels)
    if dtype.itemsize == 2:
        pixels = (pixels >> 8).astype(np.uint8)
    if layout.to_bgr == -1:
        return np.ascontiguousarray(pixels)
    if layout.channels == 1:
        pixels = pixels[:, :, 0]
    return cv2.cvtColor(pixels, layout.to_bgr)


def check_compressed(data, format_: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
    """compressed_to_bgr's checks short of decoding (format, signature, header size, truncation):
    cheap enough to run on every frame as it arrives."""
    _checked_compressed(data, format_, max_pixels)


def compressed_to_bgr(data, format_: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode a sensor_msgs/CompressedImage (jpeg or png) to uint8 BGR.

    `format` is what image_transport writes, e.g. "jpeg", "png" or "rgb8; jpeg compressed bgr8";
    the payload's own signature decides the codec, and a format naming something else is refused.
    """
    image = cv2.imdecode(_checked_compressed(data, format_, max_pixels), cv2.IMREAD_COLOR)
    if image is None:
        raise ImageConversionError(
            f"corrupt {format_ or 'compressed'} image: the decoder failed", UNDECODABLE
        )
    return image


def _checked_compressed(data, format_: str, max_pixels: int) -> np.ndarray:
    """The payload as a uint8 array, once every check short of decoding has passed."""
    buffer = np.frombuffer(
        memoryview(data).cast("B") if not isinstance(data, (bytes, bytearray)) else data, np.uint8
    )
    if buffer.size == 0:
        raise ImageConversionError("compressed image with no data", NO_DATA)
    lowered = (format_ or "").lower()
    if lowered and not any(name in lowered for name in ("jpeg", "jpg", "png")):
        raise ImageConversionError(
            f"unsupported compressed format {format_!r}; supported: jpeg, png", UNSUPPORTED_FORMAT
        )
    head = bytes(buffer[:8])
    if head.startswith(b"\xff\xd8"):
        width, height = _jpeg_size(buffer)
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        width, height = _png_size(buffer)
    else:
        raise ImageConversionError(
            f"data of {format_!r} image is neither JPEG nor PNG (bad signature)", NOT_JPEG_OR_PNG
        )
    # Check the header's size before decoding: a tiny file can claim a gigapixel image.
    check_dimensions(height, width, max_pixels)
    # A truncated stream (a lost network packet) would decode to a partly grey image: refuse it.
    tail = bytes(buffer[-64:]).rstrip(b"\0")
    if head.startswith(b"\xff\xd8") and not tail.endswith(b"\xff\xd9"):
        raise ImageConversionError("corrupt JPEG: truncated (no end-of-image marker)", TRUNCATED)
    if head.startswith(b"\x89PNG") and b"IEND" not in tail:
        raise ImageConversionError("corrupt PNG: truncated (no IEND chunk)", TRUNCATED)
    return buffer


def _png_size(buffer: np.ndarray):
    if buffer.size < 24:
        raise ImageConversionError("truncated PNG header", TRUNCATED)
    header = bytes(buffer[16:24])
    return int.from_bytes(header[:4], "big"), int.from_bytes(header[4:], "big")


def _jpeg_size(buffer: np.ndarray):
    """Width and height from the first start-of-frame marker."""
    data = buffer.tobytes()
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            raise ImageConversionError("corrupt JPEG: bad marker", CORRUPT_HEADER)
        marker = data[index + 1]
        if marker == 0xFF:  # fill byte
            index += 1
            continue
        length = int.from_bytes(data[index + 2 : index + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height = int.from_bytes(data[index + 5 : index + 7], "big")
            width = int.from_bytes(data[index + 7 : index + 9], "big")
            return width, height
        if length < 2:
            raise ImageConversionError("corrupt JPEG: bad segment length", CORRUPT_HEADER)
        index += 2 + length
    raise ImageConversionError("corrupt JPEG: no frame header", CORRUPT_HEADER)


def bgr_to_raw(image: np.ndarray, encoding: str = "bgr8") -> bytes:
    """The inverse, for tests and the debug image: BGR array to a sensor_msgs/Image payload."""
    if encoding == "bgr8":
        return np.ascontiguousarray(image).tobytes()
    if encoding == "rgb8":
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB).tobytes()
    if encoding == "bgra8":
        return cv2.cvtColor(image, cv2.COLOR_BGR2BGRA).tobytes()
    if encoding == "rgba8":
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGBA).tobytes()
    if encoding == "mono8":
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).tobytes()
    raise ImageConversionError(f"bgr_to_raw does not write {encoding!r}", UNSUPPORTED_ENCODING)
