"""Frame conversion without cv_bridge: every supported encoding, and every way a frame can be
bad."""

import cv2
import numpy as np
import pytest

from insideout_common.image_conversion import (
    REASONS,
    SUPPORTED_RAW_ENCODINGS,
    ImageConversionError,
    bgr_to_raw,
    check_compressed,
    check_raw,
    compressed_to_bgr,
    raw_to_bgr,
)

from .fer_test_images import astronaut_bgr


@pytest.fixture(scope="module")
def image():
    return cv2.resize(astronaut_bgr(), (64, 48))


@pytest.mark.parametrize("encoding", ["bgr8", "rgb8", "bgra8", "rgba8"])
def test_colour_encodings_round_trip_exactly(image, encoding):
    channels = 4 if encoding.endswith("a8") else 3
    data = bgr_to_raw(image, encoding)
    result = raw_to_bgr(data, encoding, 48, 64, 64 * channels)
    assert result.shape == (48, 64, 3) and result.dtype == np.uint8
    np.testing.assert_array_equal(result, image)


def test_mono8_becomes_grey_bgr(image):
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    result = raw_to_bgr(gray.tobytes(), "mono8", 48, 64, 64)
    for channel in range(3):
        np.testing.assert_array_equal(result[:, :, channel], gray)


def test_row_padding_is_skipped(image):
    # step larger than width*3: rows padded to 256 bytes, as some drivers do.
    padded = np.zeros((48, 256), np.uint8)
    padded[:, : 64 * 3] = image.reshape(48, -1)
    np.testing.assert_array_equal(raw_to_bgr(padded.tobytes(), "bgr8", 48, 64, 256), image)


@pytest.mark.parametrize("bigendian", [False, True])
def test_mono16_keeps_the_high_byte(bigendian):
    values = np.arange(48 * 64, dtype=np.uint16).reshape(48, 64) * 16
    data = values.astype(">u2" if bigendian else "<u2").tobytes()
    result = raw_to_bgr(data, "mono16", 48, 64, 128, is_bigendian=bigendian)
    np.testing.assert_array_equal(result[:, :, 0], (values >> 8).astype(np.uint8))


def test_yuv422_is_decoded(image):
    # A flat colour survives chroma subsampling, so the result is checkable.
    blue, green, red = 40, 160, 220
    flat = np.full((48, 64, 3), (blue, green, red), np.uint8)
    # Camera YUV is BT.601 "video range" (Y 16..235).
    y = 16 + 0.257 * red + 0.504 * green + 0.098 * blue
    u = 128 - 0.148 * red - 0.291 * green + 0.439 * blue
    v = 128 + 0.439 * red - 0.368 * green - 0.071 * blue
    packed = np.empty((48, 64, 2), np.uint8)  # UYVY: U Y V Y
    packed[:, 0::2, 0], packed[:, 1::2, 0] = round(u), round(v)
    packed[:, :, 1] = round(y)
    result = raw_to_bgr(packed.tobytes(), "uyvy", 48, 64, 128)
    assert np.abs(result.astype(int) - flat).max() <= 3


def test_memoryview_and_array_payloads_are_accepted(image):
    import array

    data = array.array("B", bgr_to_raw(image))  # what rclpy gives for uint8[]
    np.testing.assert_array_equal(raw_to_bgr(data, "bgr8", 48, 64, 192), image)


def test_every_listed_encoding_converts():
    for encoding in SUPPORTED_RAW_ENCODINGS:
        bytes_per_pixel = {"u1": 1, "u2": 2}
        from insideout_common.image_conversion import RAW_LAYOUTS

        layout = RAW_LAYOUTS[encoding]
        step = 8 * layout.channels * bytes_per_pixel[layout.dtype]
        assert raw_to_bgr(bytes(4 * step), encoding, 4, 8, step).shape == (4, 8, 3), encoding


@pytest.mark.parametrize(
    "fields, message, reason",
    [
        (
            dict(encoding="bayer_weird8"),
            "unsupported encoding 'bayer_weird8'",
            "unsupported_encoding",
        ),
        (dict(height=0, width=0, step=0, data=b""), "empty image: 0x0", "zero_size"),
        (dict(height=10, width=0), "empty image", "zero_size"),
        (dict(height=100000, width=100000, step=300000), "exceeds the limit", "too_many_pixels"),
        (dict(step=100), "step 100 is smaller than one row", "step_too_small"),
        (dict(data=bytes(100)), "fewer than height x step = 48 x 192", "data_too_short"),
        (
            dict(encoding="uyvy", width=63, step=126, data=bytes(48 * 126)),
            "even width",
            "odd_width",
        ),
    ],
)
def test_bad_raw_frames_raise_a_clear_error_naming_the_kind_of_problem(
    image, fields, message, reason
):
    frame = dict(data=bgr_to_raw(image), encoding="bgr8", height=48, width=64, step=192)
    frame.update(fields)
    with pytest.raises(ImageConversionError, match=message.replace("(", r"\(")) as caught:
        raw_to_bgr(frame["data"], frame["encoding"], frame["height"], frame["width"], frame["step"])
    assert caught.value.reason == reason
    # The check alone (run on every frame as it arrives) finds the same problem.
    with pytest.raises(ImageConversionError) as checked:
        check_raw(
            len(frame["data"]), frame["encoding"], frame["height"], frame["width"], frame["step"]
        )
    assert (str(checked.value), checked.value.reason) == (str(caught.value), reason)


def test_a_good_raw_frame_passes_the_check(image):
    check_raw(48 * 192, "bgr8", 48, 64, 192)
    check_raw(48 * 200, "yuyv", 48, 64, 200)  # padded rows


def test_reasons_are_distinct_identifiers_for_diagnostics_keys():
    assert len(set(REASONS)) == len(REASONS)
    assert all(reason.isidentifier() and reason == reason.lower() for reason in REASONS)


def test_error_messages_never_contain_pixel_data(image):
    with pytest.raises(ImageConversionError) as caught:
        raw_to_bgr(bgr_to_raw(image)[:500], "bgr8", 48, 64, 192)
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize(
    "extension, fmt", [(".jpg", "jpeg"), (".png", "png"), (".jpg", "rgb8; jpeg compressed bgr8")]
)
def test_jpeg_and_png_decode(image, extension, fmt):
    data = cv2.imencode(extension, image)[1].tobytes()
    result = compressed_to_bgr(data, fmt)
    assert result.shape == image.shape
    assert np.abs(result.astype(int) - image).mean() < (6 if extension == ".jpg" else 1e-9)


@pytest.mark.parametrize(
    "damage, message, reason",
    [
        (lambda data: data[: len(data) // 2], "truncated", "truncated"),
        (lambda data: data[:40], "corrupt JPEG", "corrupt_header"),
        (lambda data: b"", "no data", "no_data"),
        (lambda data: b"GIF89a" + data[6:], "neither JPEG nor PNG", "not_jpeg_or_png"),
        (lambda data: data[:2] + b"\x00" * 200 + data[-2:], "corrupt JPEG", "corrupt_header"),
    ],
)
def test_corrupt_jpeg_raises_a_clear_error_naming_the_kind_of_problem(
    image, damage, message, reason
):
    data = damage(cv2.imencode(".jpg", image)[1].tobytes())
    with pytest.raises(ImageConversionError, match=message) as caught:
        compressed_to_bgr(data, "jpeg")
    assert caught.value.reason == reason
    with pytest.raises(ImageConversionError) as checked:
        check_compressed(data, "jpeg")
    assert checked.value.reason == reason


def test_what_only_decoding_finds_passes_the_check_and_fails_the_decoder(image):
    # Markers intact (signature, frame header, end of image) around a stream libjpeg cannot start.
    data = bytearray(cv2.imencode(".jpg", image)[1].tobytes())
    sos = data.index(b"\xff\xda")
    damaged = bytes(data[:sos]) + b"\xff\xd9"
    check_compressed(damaged, "jpeg")
    with pytest.raises(ImageConversionError, match="the decoder failed") as caught:
        compressed_to_bgr(damaged, "jpeg")
    assert caught.value.reason == "undecodable"
    check_compressed(bytes(data), "jpeg")  # the intact image passes


def test_truncated_png_is_refused(image):
    data = cv2.imencode(".png", image)[1].tobytes()
    with pytest.raises(ImageConversionError, match="corrupt PNG") as caught:
        compressed_to_bgr(data[: len(data) // 2], "png")
    assert caught.value.reason == "truncated"


def test_compressed_image_claiming_a_huge_size_is_refused_before_decoding():
    # A real 16 x 16 JPEG whose frame header claims 60000 x 60000 pixels.
    data = bytearray(cv2.imencode(".jpg", np.zeros((16, 16, 3), np.uint8))[1].tobytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = (60000).to_bytes(2, "big") * 2
    with pytest.raises(ImageConversionError, match="exceeds the limit") as caught:
        compressed_to_bgr(bytes(data), "jpeg")
    assert caught.value.reason == "too_many_pixels"


def test_unsupported_compressed_format_is_named(image):
    with pytest.raises(
        ImageConversionError, match="unsupported compressed format 'tiff'"
    ) as caught:
        compressed_to_bgr(cv2.imencode(".png", image)[1].tobytes(), "tiff")
    assert caught.value.reason == "unsupported_format"
