"""fer_node over DDS: camera frames in (raw and compressed), EmotionState out; bad frames
survive."""

import time

import cv2
import numpy as np
import pytest
from diagnostic_msgs.msg import DiagnosticArray
from sensor_msgs.msg import CompressedImage, Image
from support.ros_harness import wait_until

from insideout_common.emotions import LABELS
from insideout_msgs.msg import EmotionState

from .camera_process import CameraProcess
from .fer_test_images import astronaut_bgr, face_box_in_frame, in_frame, iou

READY = "listening on"
PHOTO_SIZE, PHOTO_LEFT = (480, 480), 80
FRAME_ID = "head_camera_optical_frame"


@pytest.fixture(scope="module")
def face_frame():
    return in_frame(astronaut_bgr(), photo_size=PHOTO_SIZE, left=PHOTO_LEFT)


class StampClock:
    """Capture stamps like a camera driver's: the wall clock when the frame is made, and unique.

    A synthetic clock ticking 33 ms per frame falls behind the wall clock whenever the test stalls,
    and then disagrees with the node's own clock (the face-lost report), which a driver never does.
    """

    def __init__(self):
        self.nanoseconds = 0

    def next(self):
        self.nanoseconds = max(time.time_ns(), self.nanoseconds + 1_000_000)
        return divmod(self.nanoseconds, 1_000_000_000)


def raw_image(bgr, encoding, stamp, **overrides) -> Image:
    channels = {"bgr8": 3, "rgb8": 3, "bgra8": 4, "rgba8": 4, "mono8": 1}.get(encoding, 3)
    conversions = {
        "rgb8": cv2.COLOR_BGR2RGB,
        "bgra8": cv2.COLOR_BGR2BGRA,
        "rgba8": cv2.COLOR_BGR2RGBA,
        "mono8": cv2.COLOR_BGR2GRAY,
    }
    pixels = cv2.cvtColor(bgr, conversions[encoding]) if encoding in conversions else bgr
    msg = Image(
        height=bgr.shape[0],
        width=bgr.shape[1],
        encoding=encoding,
        step=bgr.shape[1] * channels,
        data=np.ascontiguousarray(pixels).tobytes(),
    )
    msg.header.stamp.sec, msg.header.stamp.nanosec = stamp
    msg.header.frame_id = FRAME_ID
    for name, value in overrides.items():
        setattr(msg, name, value)
    return msg


def compressed_image(data: bytes, fmt: str, stamp) -> CompressedImage:
    msg = CompressedImage(format=fmt, data=data)
    msg.header.stamp.sec, msg.header.stamp.nanosec = stamp
    msg.header.frame_id = FRAME_ID
    return msg


def stamped(stamp):
    return lambda m: stamp_of(m) == stamp


def stamp_of(msg):
    return msg.header.stamp.sec, msg.header.stamp.nanosec


def send_until(publisher, msg, collector, clock, condition=lambda m: True, timeout=10.0):
    """Send `msg` as a new frame every 0.25 s (best-effort delivery) until the EmotionState of one
    of them meets `condition`; returns that EmotionState.

    Each send gets a fresh stamp from `clock`, as a camera's frames do: the node drops a frame
    stamped before its own face-lost report, so resending one old stamp could never get through.
    """
    sent = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg.header.stamp.sec, msg.header.stamp.nanosec = clock.next()
        sent.add(stamp_of(msg))
        publisher.publish(msg)
        found = collector.wait_for(lambda m: stamp_of(m) in sent and condition(m), timeout=0.25)
        if found is not None:
            return found
    return None


@pytest.fixture
def cameras():
    started = []

    def start(msg_type="Image", topic="/camera/image_raw", reliable=True, large_frame_profile=True):
        started.append(CameraProcess(msg_type, topic, reliable, large_frame_profile))
        return started[-1]

    yield start
    for camera in started:
        camera.close()


def start_fer(
    ros,
    spawn_node,
    cameras,
    msg_type="Image",
    topic="/camera/image_raw",
    reliable=True,
    large_frame_profile=True,
    **params,
):
    node = spawn_node("insideout_perception", "fer_node", params=params)
    assert node.wait_for_output(READY, 60), node.output()
    emotions = ros.collect(EmotionState, "/insideout/emotion", 10)
    camera = cameras(msg_type, topic, reliable, large_frame_profile)
    assert camera.wait_for_subscriber(), node.output()
    assert ros.wait_for_publishers("/insideout/emotion")
    return node, emotions, camera


def happy(msg):
    return msg.face_detected and msg.dominant_label == "happiness"


def test_frames_in_emotion_state_out_with_the_face_box_where_the_face_is(
    ros, spawn_node, cameras, face_frame
):
    diagnostics = ros.collect(DiagnosticArray, "/diagnostics", 10)
    # A reliable camera publisher must match the node's best-effort subscription.
    node, emotions, camera = start_fer(ros, spawn_node, cameras)
    clock = StampClock()
    for _ in range(6):
        state = send_until(camera, raw_image(face_frame, "rgb8", clock.next()), emotions, clock)
        time.sleep(0.05)
    assert state is not None, node.output()

    assert state.face_detected and state.track_id > 0
    assert list(state.labels) == list(LABELS)
    assert state.dominant_label == "happiness" and state.confidence > 0.8
    assert len(state.scores) == len(state.raw_scores) == 8
    assert sum(state.scores) == pytest.approx(1.0, abs=1e-4)
    assert max(state.scores) == pytest.approx(state.confidence)
    assert state.raw_scores[LABELS.index("happiness")] > 0.8
    assert state.scores[LABELS.index("contempt")] == 0.0  # a 7-class model
    assert state.valence > 0.4 and -1 <= state.arousal <= 1 and not state.valence_arousal_predicted
    assert state.model_name == "face_api_expression"
    assert state.window_duration == pytest.approx(0.75) and state.window_frames >= 1
    assert state.header.frame_id == FRAME_ID
    roi = state.face_roi
    expected = face_box_in_frame(astronaut_bgr(), PHOTO_SIZE, PHOTO_LEFT)
    assert iou((roi.x_offset, roi.y_offset, roi.width, roi.height), expected) > 0.45
    track = state.track_id

    # The same person keeps the id.
    again = send_until(camera, raw_image(face_frame, "rgb8", clock.next()), emotions, clock)
    assert again.track_id == track

    # Diagnostics carry rate, latency, model and provider.
    def ours(array):
        return [s for s in array.status if "fer_node" in s.name]

    report = diagnostics.wait_for(
        lambda a: any(
            dict((kv.key, kv.value) for kv in s.values).get("frames_processed", "0") != "0"
            for s in ours(a)
        ),
        10,
    )
    assert report is not None, node.output()
    values = {kv.key: kv.value for kv in ours(report)[0].values}
    assert values["model"] == "face_api_expression"
    assert values["execution_providers"] == "CPU"
    assert float(values["latency_p95_ms"]) > 0 and "processed_rate_hz" in values

    # No frames come any more: after face_loss_timeout the face is reported lost.
    lost = emotions.wait_for(lambda m: not m.face_detected, timeout=5.0)
    assert lost is not None, node.output()
    assert lost.track_id == 0 and lost.dominant_label == "" and lost.confidence == 0.0
    assert list(lost.scores) == [0.0] * 8 and list(lost.labels) == list(LABELS)
    assert (lost.face_roi.width, lost.face_roi.height) == (0, 0)

    # Frames never leave the node unless asked: no debug image publisher, nothing in the log.
    assert ros.node.count_publishers("/insideout/emotion/debug_image") == 0
    assert node.running()


@pytest.mark.parametrize("encoding", ["bgr8", "bgra8", "rgba8", "mono8"])
def test_every_raw_encoding_is_understood(ros, spawn_node, cameras, face_frame, encoding):
    # A best-effort camera (sensor-data QoS) this time.
    node, emotions, camera = start_fer(ros, spawn_node, cameras, reliable=False)
    clock = StampClock()
    state = send_until(
        camera, raw_image(face_frame, encoding, clock.next()), emotions, clock, happy
    )
    assert state is not None, node.output()


def test_reliable_subscription_gets_large_frames_from_a_camera_without_the_profile(
    ros, spawn_node, cameras, face_frame
):
    node, emotions, camera = start_fer(
        ros, spawn_node, cameras, large_frame_profile=False, image_reliability="reliable"
    )
    assert "(Image, reliable, image_reliability reliable)" in node.output()
    clock = StampClock()
    received = []
    for _ in range(10):  # each frame published once: reliable delivery, no retries needed
        stamp = clock.next()
        camera.publish(raw_image(face_frame, "rgb8", stamp))
        received.append(
            emotions.wait_for(lambda m, stamp=stamp: stamp_of(m) == stamp and happy(m), timeout=3.0)
        )
    assert all(received), node.output()


def test_auto_reliability_follows_the_camera_and_gets_every_large_frame(
    ros, spawn_node, cameras, face_frame
):
    """A reliable camera started the ordinary way (no Fast DDS file): with the default
    image_reliability auto, fer_node subscribes reliably and gets every 640x480 frame: each is
    answered, or counted as superseded when the worker was still busy with the one before."""
    diagnostics = ros.collect(DiagnosticArray, "/diagnostics", 10)
    node, emotions, camera = start_fer(ros, spawn_node, cameras, large_frame_profile=False)
    assert node.wait_for_output("now call for a reliable subscription", 10), node.output()
    time.sleep(0.5)  # the new subscription matches the camera
    clock = StampClock()
    stamps = []
    for _ in range(30):  # at 30 frames/s, each frame published once
        stamps.append(clock.next())
        camera.publish(raw_image(face_frame, "rgb8", stamps[-1]))
        time.sleep(1 / 30)
    assert emotions.wait_for(stamped(stamps[-1]), timeout=10) is not None, node.output()

    def accounted(array):
        unanswered = set(stamps) - {stamp_of(m) for m in emotions.snapshot()}
        return len(unanswered) <= int(
            fer_diagnostics(array).get("frames_skipped_newer_arrived", -1)
        )

    # A best-effort reader without the profile answers 6-20% of these (docs/design/large_frames.md).
    assert diagnostics.wait_for(accounted, 5) is not None, (
        fer_diagnostics(diagnostics.snapshot()[-1]),
        f"{len(set(stamps) - {stamp_of(m) for m in emotions.snapshot()})} of 30 frames unanswered",
        node.output(),
    )
    assert len({stamp_of(m) for m in emotions.snapshot()} & set(stamps)) >= 15, node.output()
    assert "lost on the way" not in node.output()  # no lost-frame warning when none are lost


def test_a_best_effort_camera_losing_most_large_frames_is_warned_about_within_5_s(
    ros, spawn_node, cameras, face_frame
):
    """A best-effort camera publishing 640x480 at 30 frames/s without the Fast DDS profile: many
    frames never reach the node (docs/design/large_frames.md), and nothing in DDS says so. The
    node sees it in the stamps of the frames that do arrive and names the fix."""
    diagnostics = ros.collect(DiagnosticArray, "/diagnostics", 10)
    node, emotions, camera = start_fer(
        ros, spawn_node, cameras, reliable=False, large_frame_profile=False
    )
    frame = raw_image(face_frame, "rgb8", (0, 0))
    start, start_wall = time.monotonic(), time.time()
    warned_at = None
    for k in range(int(30 * 8)):  # a driver stamping each frame with its capture time
        time.sleep(max(0.0, start + k / 30 - time.monotonic()))
        stamp = divmod(int((start_wall + k / 30) * 1e9), 1_000_000_000)
        frame.header.stamp.sec, frame.header.stamp.nanosec = stamp
        camera.publish(frame)
        if warned_at is None and "the rest were lost on the way" in node.output():
            warned_at = time.monotonic() - start
            break
    output = node.output()
    assert warned_at is not None and warned_at <= 5.0, (
        warned_at,
        [
            {k: v for k, v in fer_diagnostics(a).items() if "camera_frames" in k or "rate" in k}
            for a in diagnostics.snapshot()
        ],
        output[-3000:],
    )
    assert "a best-effort camera's 900 KB frames do not fit" in output
    assert "FASTDDS_DEFAULT_PROFILES_FILE=" in output and "fastdds_large_frames.xml" in output
    assert "image_transport: compressed" in output

    def losing(array):
        values = fer_diagnostics(array)
        return int(values.get("camera_frames_lost_estimate", 0)) > 0 and any(
            "fer_node" in status.name and "lost on the way" in status.message
            for status in array.status
        )

    assert diagnostics.wait_for(losing, 5) is not None, fer_diagnostics(diagnostics.snapshot()[-1])


def test_bad_frames_are_dropped_with_a_warning_and_the_node_keeps_running(
    ros, spawn_node, cameras, face_frame
):
    node, emotions, camera = start_fer(ros, spawn_node, cameras)
    clock = StampClock()
    good = raw_image(face_frame, "rgb8", clock.next())
    bad_frames = [
        (raw_image(face_frame, "bayer_rggb8", clock.next()), "unsupported encoding 'bayer_rggb8'"),
        (raw_image(face_frame, "rgb8", clock.next(), data=bytes(1000)), "fewer than height x step"),
        (
            raw_image(face_frame, "rgb8", clock.next(), height=0, width=0, step=0, data=b""),
            "empty image: 0x0",
        ),
        (
            raw_image(face_frame, "rgb8", clock.next(), height=100000, width=100000, step=300000),
            "exceeds the limit",
        ),
        (raw_image(face_frame, "rgb8", clock.next(), step=100), "is smaller than one row"),
    ]
    sent_bad = set()
    for bad, warning in bad_frames:
        # Stamped when sent, after the good frame before it, like a real camera's frames. Sent
        # again until warned about: right after start the node may still be switching its
        # subscription to the reliable camera (image_reliability auto), and a best-effort frame
        # can be lost on a busy machine (seen once beside a busy-loop).
        deadline = time.monotonic() + 15.0
        while time.monotonic() < deadline:
            bad.header.stamp.sec, bad.header.stamp.nanosec = clock.next()
            sent_bad.add(stamp_of(bad))
            camera.publish(bad)
            if node.wait_for_output(warning, 1.0):
                break
        assert node.wait_for_output(warning, 0.1), f"no warning {warning!r}:\n{node.output()}"
        assert send_until(camera, good, emotions, clock, happy) is not None, node.output()
    assert node.running()
    # The bad frames produced no EmotionState of their own.
    assert not [m for m in emotions.snapshot() if stamp_of(m) in sent_bad]
    # Pixel data never reaches the log.
    assert len(node.output()) < 20000


def test_repeated_bad_frames_are_throttled(ros, spawn_node, cameras, face_frame):
    node, emotions, camera = start_fer(ros, spawn_node, cameras)
    clock = StampClock()
    for _ in range(20):
        camera.publish(raw_image(face_frame, "bayer_rggb8", clock.next()))
        time.sleep(0.02)
    assert (
        send_until(camera, raw_image(face_frame, "rgb8", clock.next()), emotions, clock, happy)
        is not None
    )
    assert node.output().count("unsupported encoding") == 1


# Sixteen bad frames, two or three of each kind of problem: (overrides of a small bgr8 frame, the
# warning that names the problem, its diagnostics key).
SIXTEEN_BAD_FRAMES = [
    *[
        (dict(encoding=e), "unsupported encoding", "frames_rejected_unsupported_encoding")
        for e in ("bayer_rggb8", "32FC1", "nv12")
    ],
    *[
        (dict(height=h, width=w, step=3 * w, data=b""), "empty image", "frames_rejected_zero_size")
        for h, w in ((0, 0), (0, 64), (48, 0))
    ],
    *[
        (
            dict(height=n, width=n, step=3 * n),
            "exceeds the limit",
            "frames_rejected_too_many_pixels",
        )
        for n in (100000, 20000)
    ],
    *[
        (dict(step=step), "is smaller than one row", "frames_rejected_step_too_small")
        for step in (100, 10, 191)
    ],
    *[
        (
            dict(encoding=e, width=w, step=2 * w, data=bytes(48 * 2 * w)),
            "needs an even width",
            "frames_rejected_odd_width",
        )
        for e, w in (("uyvy", 63), ("yuyv", 31))
    ],
    *[
        (dict(data=bytes(n)), "fewer than height x step", "frames_rejected_data_too_short")
        for n in (100, 1000, 1)
    ],
]


def send_bad_frames(camera, clock, pause: float) -> None:
    small = np.zeros((48, 64, 3), np.uint8)
    started = time.monotonic()
    for overrides, _, _ in SIXTEEN_BAD_FRAMES:
        frame = raw_image(small, "bgr8", clock.next())
        for name, value in overrides.items():
            setattr(frame, name, value)
        camera.publish(frame)
        time.sleep(pause)
    assert time.monotonic() - started < 4.0, "the frames must come within one 5 s throttle window"


def fer_diagnostics(array) -> dict:
    return next(
        (
            {kv.key: kv.value for kv in status.values}
            for status in array.status
            if "fer_node" in status.name
        ),
        {},
    )


def test_every_kind_of_bad_frame_is_warned_about_and_every_bad_frame_counted(
    ros, spawn_node, cameras, face_frame
):
    """Different bad frames at camera rate within one throttle window: one warning per kind of
    problem (more frames of a kind are held back, as a flood of one bad frame is), and every
    frame counted in /diagnostics, overall and per kind."""
    diagnostics = ros.collect(DiagnosticArray, "/diagnostics", 10)
    node, emotions, camera = start_fer(ros, spawn_node, cameras, image_reliability="reliable")
    clock = StampClock()
    assert (
        send_until(camera, raw_image(face_frame, "rgb8", clock.next()), emotions, clock, happy)
        is not None
    ), node.output()
    send_bad_frames(camera, clock, pause=1 / 30)

    total = str(len(SIXTEEN_BAD_FRAMES))
    diagnostics.wait_for(lambda a: fer_diagnostics(a).get("frames_rejected_bad_input") == total, 10)
    values = fer_diagnostics(diagnostics.snapshot()[-1])
    expected = {}
    for _, _, key in SIXTEEN_BAD_FRAMES:
        expected[key] = expected.get(key, 0) + 1
    counted = {key: values.get(key) for key in ("frames_rejected_bad_input", *expected)}
    assert counted == {
        "frames_rejected_bad_input": total,
        **{key: str(n) for key, n in expected.items()},
    }, (values, node.output())
    warnings = [line for line in node.output().splitlines() if "dropped a frame" in line]
    assert {
        problem: sum(problem in line for line in warnings) for _, problem, _ in SIXTEEN_BAD_FRAMES
    } == {problem: 1 for _, problem, _ in SIXTEEN_BAD_FRAMES}, node.output()
    assert (
        send_until(camera, raw_image(face_frame, "rgb8", clock.next()), emotions, clock, happy)
        is not None
    )
    assert node.running()


def test_bad_frames_faster_than_the_worker_are_each_counted_not_skipped_unchecked(
    ros, spawn_node, cameras
):
    """A worker limited to 2 frames/s takes only the newest of 30 frames/s; bad frames are still
    each counted and warned about as they arrive, not passed over without a look."""
    diagnostics = ros.collect(DiagnosticArray, "/diagnostics", 10)
    node, _, camera = start_fer(
        ros, spawn_node, cameras, image_reliability="reliable", max_rate=2.0
    )
    send_bad_frames(camera, StampClock(), pause=1 / 30)

    total = str(len(SIXTEEN_BAD_FRAMES))
    report = diagnostics.wait_for(
        lambda a: fer_diagnostics(a).get("frames_rejected_bad_input") == total, 10
    )
    assert report is not None, (fer_diagnostics(diagnostics.snapshot()[-1]), node.output())
    values = fer_diagnostics(report)
    assert (values["frames_received"], values["frames_skipped_newer_arrived"]) == (total, "0")
    warnings = [line for line in node.output().splitlines() if "dropped a frame" in line]
    assert len(warnings) == len({key for _, _, key in SIXTEEN_BAD_FRAMES}), (
        node.output()
    )  # one per kind
    assert node.running()


def test_compressed_jpeg_and_png_in_corrupt_jpeg_dropped(ros, spawn_node, cameras, face_frame):
    node, emotions, camera = start_fer(
        ros,
        spawn_node,
        cameras,
        msg_type="CompressedImage",
        topic="/camera/image_raw/compressed",
        image_transport="compressed",
    )
    clock = StampClock()
    jpeg = cv2.imencode(".jpg", face_frame)[1].tobytes()
    png = cv2.imencode(".png", face_frame)[1].tobytes()
    for data, fmt in ((jpeg, "jpeg"), (png, "png"), (jpeg, "rgb8; jpeg compressed bgr8")):
        assert (
            send_until(camera, compressed_image(data, fmt, clock.next()), emotions, clock, happy)
            is not None
        ), node.output()
    for data, warning in (
        (jpeg[: len(jpeg) // 2], "corrupt JPEG: truncated"),
        (jpeg[:2] + bytes(300) + jpeg[-2:], "corrupt JPEG"),
        (b"not an image at all", "neither JPEG nor PNG"),
    ):
        camera.publish(compressed_image(data, "jpeg", clock.next()))
        assert node.wait_for_output(warning, 10), node.output()
        assert (
            send_until(camera, compressed_image(jpeg, "jpeg", clock.next()), emotions, clock, happy)
            is not None
        )
    assert node.running()


def test_only_the_newest_frame_is_processed(ros, spawn_node, cameras, face_frame):
    node, emotions, camera = start_fer(ros, spawn_node, cameras, max_rate=2.0)
    clock = StampClock()
    assert (
        send_until(camera, raw_image(face_frame, "rgb8", clock.next()), emotions, clock) is not None
    )
    before = len(emotions.snapshot())
    stamps = []
    started = time.monotonic()
    for _ in range(30):  # one second at 30 frames/s into a node limited to 2 frames/s
        stamps.append(clock.next())
        camera.publish(raw_image(face_frame, "rgb8", stamps[-1]))
        time.sleep(1 / 30)
    # The newest frame is processed once the rate allows; nothing queued behind it.
    assert emotions.wait_for(stamped(stamps[-1]), timeout=3.0) is not None, node.output()
    sending = time.monotonic() - started
    time.sleep(1.0)
    processed = [m for m in emotions.snapshot()[before:] if m.face_detected]
    # 2 frames/s plus the limiter's burst of two; a stalled (shared) machine stretches the sending.
    assert 2 <= len(processed) <= 2.0 * sending + 3, f"{len(processed)} frames in {sending:.2f} s"
    # Every message, face-lost reports included, in capture order.
    published = [(m.header.stamp.sec, m.header.stamp.nanosec) for m in emotions.snapshot()[before:]]
    assert published == sorted(published)


def test_a_frame_captured_before_the_face_lost_report_is_dropped_as_late(
    ros, spawn_node, cameras, face_frame
):
    node, emotions, camera = start_fer(ros, spawn_node, cameras, face_loss_timeout=0.5)
    clock = StampClock()
    assert (
        send_until(camera, raw_image(face_frame, "rgb8", clock.next()), emotions, clock, happy)
        is not None
    )
    stalled = clock.next()  # captured now, delivered after a stall longer than face_loss_timeout
    lost = emotions.wait_for(lambda m: not m.face_detected, timeout=5.0)
    assert lost is not None, node.output()
    assert stamp_of(lost) > stalled  # the report is stamped in the camera's time, after the capture
    camera.publish(raw_image(face_frame, "rgb8", stalled))
    assert (
        send_until(camera, raw_image(face_frame, "rgb8", clock.next()), emotions, clock, happy)
        is not None
    )
    assert emotions.wait_for(stamped(stalled), timeout=0.5) is None
    published = [stamp_of(m) for m in emotions.snapshot()]
    assert published == sorted(published)


def test_debug_image_is_published_when_enabled(ros, spawn_node, cameras, face_frame):
    debug = ros.collect(Image, "/insideout/emotion/debug_image", 5)
    node, emotions, camera = start_fer(ros, spawn_node, cameras, publish_debug_image=True)
    clock = StampClock()
    state = send_until(camera, raw_image(face_frame, "rgb8", clock.next()), emotions, clock, happy)
    assert state is not None, node.output()
    image = debug.wait_for(stamped(stamp_of(state)), timeout=5.0)
    assert image is not None, node.output()
    assert (image.width, image.height, image.encoding, image.header.frame_id) == (
        640,
        480,
        "bgr8",
        FRAME_ID,
    )
    drawn = np.frombuffer(bytes(image.data), np.uint8).reshape(480, 640, 3)
    assert (drawn != face_frame).any() and np.mean(drawn == face_frame) > 0.9  # annotations only


def test_invalid_parameters_stop_the_node_with_all_problems_named(spawn_node):
    node = spawn_node(
        "insideout_perception",
        "fer_node",
        params={
            "model": "resnet_9000",
            "smoothing_window": -1.0,
            "execution_providers": ["opencl"],
        },
    )
    assert wait_until(lambda: not node.running(), 30)
    assert node.process.returncode == 2
    output = node.output()
    assert "model" in output and "resnet_9000" in output
    assert "smoothing_window" in output and "execution_providers" in output


def test_missing_downloadable_model_says_how_to_get_it(spawn_node, tmp_path):
    node = spawn_node(
        "insideout_perception",
        "fer_node",
        params={"model": "enet_b0_8_va_mtl"},
        env={
            "INSIDEOUT_MODELS_DIR": str(tmp_path),
            "INSIDEOUT_ROOT": str(tmp_path),
            "XDG_CACHE_HOME": str(tmp_path),
        },
    )
    assert wait_until(lambda: not node.running(), 30)
    assert node.process.returncode == 2
    assert "fetch_emotion_models.py enet_b0_8_va_mtl" in node.output()


def test_a_file_that_is_not_an_onnx_model_is_a_clear_start_error(spawn_node, tmp_path):
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"this is not a model")
    node = spawn_node("insideout_perception", "fer_node", params={"model_path": str(broken)})
    assert wait_until(lambda: not node.running(), 30)
    assert node.process.returncode == 2
    assert "cannot load expression model 'face_api_expression'" in node.output()
    assert "Traceback" not in node.output()


def test_an_empty_image_topic_is_refused(spawn_node):
    node = spawn_node("insideout_perception", "fer_node", params={"image_topic": ""})
    assert wait_until(lambda: not node.running(), 30)
    assert node.process.returncode == 2 and "image_topic: must name a topic" in node.output()
