"""Facial emotion node: camera frames in, smoothed insideout_msgs/EmotionState out.

Subscribes to `image_topic` (sensor_msgs/Image, or sensor_msgs/CompressedImage on
`<image_topic>/compressed` with image_transport:=compressed) or, with face_source ros4hri, to a
REP-155 face detector's per-face images; publishes /insideout/emotion, the opt-in
/insideout/emotion/debug_image, /diagnostics and (rep155) the REP-155 faces. The work is done by
insideout_perception.core.fer_pipeline; this module only wires it to ROS.

Only the newest frame is processed: the subscription keeps one frame, and a worker thread takes
whatever is newest when it is free, so latency never builds up behind a slow CPU.
"""

import sys
import threading
import time

from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image
from std_msgs.msg import Header

from insideout_common import frame_reliability, topic_names
from insideout_common.image_conversion import (
    DEFAULT_MAX_PIXELS,
    ImageConversionError,
    bgr_to_raw,
)
from insideout_common.ros import diagnostics
from insideout_common.ros.diagnostics import DIAGNOSTICS_PERIOD
from insideout_common.ros.frame_decoder import FrameDecoder
from insideout_common.ros.managed_node import AUTOSTART, ManagedNode
from insideout_common.ros.node_runner import run_node
from insideout_common.ros.params import InvalidParameters, ParamSpec, declare_parameters
from insideout_common.ros.throttled_log import ThrottledLog
from insideout_common.ros.time_conversion import now_seconds, seconds_from_stamp
from insideout_msgs.msg import EmotionState
from insideout_perception.core import rep155
from insideout_perception.core.emotion_smoothing import EmotionSmoother
from insideout_perception.core.expression_classifier import (
    PROVIDER_NAMES,
    describe_providers,
    load_classifier,
    set_flip_average,
)
from insideout_perception.core.expression_models import DEFAULT_MODEL, MODEL_NAMES, get_model_spec
from insideout_perception.core.face_detection import DETECTOR_MODELS, create_face_detector
from insideout_perception.core.face_tracking import ATTENTION_POLICIES, FaceTracker
from insideout_perception.core.fer_frame_stats import FrameStats
from insideout_perception.core.fer_pipeline import FacialEmotionPipeline, FrameResult, annotate
from insideout_perception.core.frame_order import FrameStampOrder
from insideout_perception.core.frame_rate_limit import FrameRateLimiter
from insideout_perception.nodes.emotion_state_message import emotion_state_message
from insideout_perception.nodes.frame_input import frame_input
from insideout_perception.nodes.frame_loss_watch import FrameLossWatch

EMOTION_TOPIC = topic_names.EMOTION
DEBUG_IMAGE_TOPIC = topic_names.EMOTION_DEBUG_IMAGE
# How often image_reliability auto looks at the cameras' QoS [s].
RELIABILITY_CHECK_PERIOD = 1.0
# How often the frames that arrived are judged for losses [s].
FRAME_LOSS_CHECK_PERIOD = 1.0


def _check_providers(value) -> str | None:
    unknown = [p for p in value if p.lower() not in PROVIDER_NAMES]
    if not value or unknown:
        return f"must list some of {list(PROVIDER_NAMES)}, got {list(value)}"
    return None


PARAMETERS = [
    ParamSpec(
        "image_topic",
        "/camera/image_raw",
        "Camera topic (remappable). With image_transport 'compressed' the node subscribes to "
        "<image_topic>/compressed (sensor_msgs/CompressedImage, jpeg or png).",
        check=lambda value: None if value.strip("/ ") else "must name a topic",
    ),
    ParamSpec(
        "image_transport",
        "raw",
        "Subscribe to sensor_msgs/Image ('raw') or CompressedImage ('compressed').",
        choices=("raw", "compressed"),
    ),
    ParamSpec(
        "image_reliability",
        "auto",
        "QoS reliability of the frame subscription (depth 1). auto: reliable while every "
        "camera on the topic publishes reliably (usb_cam and v4l2_camera do by default), so "
        "frames over 512 KB arrive whole through Fast DDS with no driver set-up; else best "
        "effort. best_effort matches every camera but loses large frames unless the camera's "
        "process has config/fastdds_large_frames.xml; reliable matches only reliable cameras.",
        choices=frame_reliability.CHOICES,
    ),
    ParamSpec(
        "max_rate",
        30.0,
        "Process at most this many frames per second; 0 = as fast as frames come. Only the "
        "newest frame is ever processed: frames arriving meanwhile are skipped, never queued.",
        minimum=0.0,
        maximum=1000.0,
    ),
    ParamSpec(
        "max_image_pixels",
        DEFAULT_MAX_PIXELS,
        "Frames with more pixels than this are dropped with a warning (default: 8K, 7680x4320).",
        minimum=1,
        maximum=1 << 30,
    ),
    ParamSpec(
        "face_detector",
        "short_range+yunet",
        "Face detector: MediaPipe BlazeFace short_range (near faces, ~2 ms a frame) or full_range "
        "(also ~48 px faces of posed photos, ~5 ms); yunet (libfacedetection's YuNet, trained on "
        "faces in the wild: turned, covered, badly lit; ~8 ms); or '<first>+<second>': the "
        "second looks only when the first found no face. The default finds 95% of in-the-wild "
        "faces where full_range alone finds 58% (bench_fer_accuracy).",
        choices=tuple(DETECTOR_MODELS),
    ),
    ParamSpec(
        "min_face_confidence", 0.5, "Minimum face detection score.", minimum=0.01, maximum=1.0
    ),
    ParamSpec(
        "flip_average",
        True,
        "Classify each face and its mirror image and average the two: +0.01-0.02 balanced "
        "accuracy in the wild for one more model run a frame (~1.5 ms with the default model).",
    ),
    ParamSpec(
        "attention",
        "largest",
        "Face to attend to when several are visible: largest, or central (nearest the image "
        "centre). The attended person is kept until lost for face_loss_timeout.",
        choices=ATTENTION_POLICIES,
    ),
    ParamSpec(
        "model",
        DEFAULT_MODEL,
        "Expression model: face_api_expression, fer_mini_xception, ensemble (their mean) work "
        "offline (made at set-up); enet_b0_8_best_vgaf, enet_b0_8_va_mtl, enet_b2_8, "
        "mbf_va_mtl, mobilevit_va_mtl are more accurate (fetch them with "
        "scripts/fetch_emotion_models.py).",
        choices=MODEL_NAMES,
    ),
    ParamSpec(
        "model_path",
        "",
        "ONNX file of `model`; empty: look in $INSIDEOUT_MODELS_DIR, "
        "$INSIDEOUT_ROOT/models and ~/.cache/insideout/models.",
    ),
    ParamSpec(
        "execution_providers",
        ["tensorrt", "cuda", "cpu"],
        "onnxruntime execution providers in order of preference (tensorrt, cuda, cpu); "
        "unavailable ones are skipped and logged, the CPU is always the last resort.",
        check=_check_providers,
    ),
    ParamSpec(
        "inference_threads",
        1,
        "onnxruntime threads for the expression model.",
        minimum=1,
        maximum=64,
    ),
    ParamSpec(
        "smoothing_window",
        0.75,
        "Length of the time-based smoothing window [s] (the paper uses 0.5-1 s).",
        minimum=0.01,
        maximum=10.0,
    ),
    ParamSpec(
        "face_loss_timeout",
        1.0,
        "After the face is unseen this long [s], publish face_detected=false.",
        minimum=0.0,
        maximum=60.0,
    ),
    ParamSpec(
        "publish_debug_image",
        False,
        "Publish the annotated frame on "
        + DEBUG_IMAGE_TOPIC
        + " (frames leave the node only through this topic).",
    ),
    ParamSpec(
        "face_source",
        "detector",
        "detector: find faces in image_topic's frames with BlazeFace; "
        "ros4hri: classify the per-face images a REP-155 face detector (hri_face_detect) "
        "publishes on humans/faces/<id>/<ros4hri_face_image>, keeping its ids.",
        choices=("detector", "ros4hri"),
    ),
    ParamSpec(
        "ros4hri_face_image",
        "cropped",
        "With face_source ros4hri: the per-face image to classify, humans/faces/<id>/cropped "
        "or /aligned.",
        choices=("cropped", "aligned"),
    ),
    ParamSpec(
        "rep155",
        True,
        "Also publish the REP-155 (ROS4HRI) view: humans/faces/tracked, and per tracked face "
        "humans/faces/<id>/roi and /expression (docs/ros4hri.md). Needs hri_msgs; off with a "
        "warning when it is not installed.",
    ),
    ParamSpec(
        "rep155_all_faces",
        True,
        "With rep155 and our own detector: classify every face in view for "
        "its /expression (one more model run per extra face per frame); false: the attended "
        "face only.",
    ),
    DIAGNOSTICS_PERIOD,
    AUTOSTART,
]


class FerNode(ManagedNode):
    """configure: load the models, start the frame worker; activate: subscribe to the camera;
    deactivate: unsubscribe (no frame costs anything while paused)."""

    def __init__(self):
        super().__init__("fer_node")
        self.params = p = declare_parameters(self, PARAMETERS)
        self._warnings = ThrottledLog(self.get_logger())
        self._decoder = FrameDecoder(p["max_image_pixels"])
        self._ros4hri_faces = p["face_source"] == "ros4hri"
        self._camera = frame_input(
            self,
            p,
            self._on_frame,
            lambda message: self._warnings.warning(message, kind="ros4hri face ids"),
        )
        self._face_id_of = _face_ids(p, self._camera)
        # Frames lost on the way from a camera (not ROS4HRI's per-face images: no steady stamps).
        self._frame_loss = FrameLossWatch(self, self._camera, self._warnings, p)
        self._frame_type = self._camera.frame_type
        self._pipeline = None
        self._worker = None
        self._rep155 = None
        self.publish_diagnostics(self._report, p[DIAGNOSTICS_PERIOD.name], hardware_id="camera")

    # --- lifecycle -----------------------------------------------------------------------------
    def configure_node(self) -> None:
        p = self.params
        self._pipeline, self._spec, self._model_source, self._providers = _load_pipeline(
            p, self.get_logger()
        )
        self._emotion_pub = self.output_publisher(
            EmotionState,
            EMOTION_TOPIC,
            QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE),
        )
        self._debug_pub = None
        if p["publish_debug_image"]:
            self._debug_pub = self.output_publisher(
                Image,
                DEBUG_IMAGE_TOPIC,
                QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE),
            )
        # Shared between the subscription callback, the worker and the timers.
        self._frame_ready = threading.Condition()
        self._pending = None  # (message, monotonic receive time, ROS receive time in s)
        self._frame_order = FrameStampOrder()  # drops late frames; see core/frame_order.py
        self._busy = False  # the worker is processing a frame
        self._pipeline_lock = threading.Lock()
        self._stopping = False
        self._stats = FrameStats()
        self._last_emotion = None
        self._rep155 = _rep155_output(
            self, self.params["rep155"], self._face_id_of, self._ros4hri_faces
        )
        self._pipeline.classify_all &= self._rep155 is not None  # the other faces' only use
        self.configured_timer(5.0, self._check_other_face_detectors)
        self._worker = threading.Thread(target=self._work, name="fer_worker", daemon=True)
        self._worker.start()
        self.configured_timer(0.1, self._check_face_loss)
        self.configured_timer(FRAME_LOSS_CHECK_PERIOD, self._frame_loss.check)
        if p["image_reliability"] == frame_reliability.AUTO:
            # Cameras come and go: follow what they offer.
            self.configured_timer(RELIABILITY_CHECK_PERIOD, self._follow_camera_reliability)

    def activate_node(self) -> None:
        if self._rep155 is not None:
            self._rep155.resume()
        self._camera.open()
        self.get_logger().info(
            f"listening on {self._camera.topic} "
            f"({self._frame_type.__name__}, {self._camera.reliability}, "
            f"image_reliability {self.params['image_reliability']}); model {self._spec.name} from "
            f"{self._model_source} on {self._providers}; face detector "
            f"{self.params['face_detector']}; frames decoded by {self._decoder.backend}"
        )

    def deactivate_node(self) -> None:
        self._camera.close()
        self._frame_loss.reset()
        with self._frame_ready:
            self._pending = None
        if self._rep155 is not None:
            with self._pipeline_lock:
                self._rep155.pause()

    def release(self) -> None:
        if self._worker is not None:
            with self._frame_ready:
                self._stopping = True
                self._frame_ready.notify_all()
            self._worker.join(timeout=5.0)
            self._worker = None
        if self._pipeline is not None:
            with self._pipeline_lock:
                self._pipeline.close()
            self._pipeline = None
        if self._rep155 is not None:
            self._rep155.close()
            self._rep155 = None

    def _check_other_face_detectors(self) -> None:
        if self._rep155 is not None and self._rep155.others_publishing_tracked():
            self._warnings.warning(
                "another node also publishes humans/faces/tracked (a REP-155 face detector?): "
                "the two lists overwrite each other; set face_source: ros4hri to use its faces, "
                "or rep155: false",
                kind="other face detector",
            )

    # --- ROS side -----------------------------------------------------------------------------
    def _follow_camera_reliability(self) -> None:
        if self.active:
            change = self._camera.follow()
            if change:
                self.get_logger().info(change)

    def _on_frame(self, msg, generation: int) -> None:
        self._camera.delivered(generation)
        now = time.monotonic()
        try:  # on arrival: a bad frame never displaces a good one waiting, nor goes uncounted
            self._decoder.check(msg)
        except ImageConversionError as error:
            self._reject(error, arrived=now)
            return
        stamp = seconds_from_stamp(msg.header.stamp)
        self._frame_loss.frame(stamp, len(msg.data), now)
        with self._frame_ready:
            admitted = self._frame_order.admit(stamp, now, source=generation)
            self._stats.frame_received(now, admitted)
            if not admitted:
                # Captured before a frame (or face-lost report) already taken: processing it would
                # step the published stream back in time.
                self._stats.frame_skipped()
                return
            if self._pending is not None:
                self._stats.frame_skipped()  # superseded before the worker got to it
            self._pending = (msg, now, now_seconds(self), generation)
            self._frame_ready.notify()

    def _work(self) -> None:
        limiter = FrameRateLimiter(self.params["max_rate"], time.monotonic())
        while True:
            with self._frame_ready:
                while self._pending is None and not self._stopping:
                    self._frame_ready.wait(0.2)
                # Over the rate limit: wait; frames arriving meanwhile replace the pending one.
                while not self._stopping and limiter.wait_time(time.monotonic()) > 0:
                    self._frame_ready.wait(limiter.wait_time(time.monotonic()))
                if self._stopping:
                    return
                pending, self._pending = self._pending, None
                self._busy = True
            limiter.take(time.monotonic())
            try:
                self._process(*pending)
            except Exception as error:  # never let one frame stop the node
                problem = f"processing failed: {type(error).__name__}: {error}"
                self._stats.frame_failed(problem)
                self._warnings.warning(f"frame dropped, {problem}")
            finally:
                with self._frame_ready:
                    self._busy = False

    def _process(self, msg, received: float, received_ros: float, generation: int) -> None:
        started = time.monotonic()
        try:
            bgr = self._decoder.decode(msg)
        except ImageConversionError as error:  # what only decoding finds
            self._reject(error)
            return
        decoded = time.monotonic()
        stamp = (
            seconds_from_stamp(msg.header.stamp) or received_ros
        )  # unstamped camera: use arrival time
        with self._pipeline_lock:
            if self._ros4hri_faces:
                face = self._camera.face_for(generation)
                if face is None:
                    return  # attention moved on while this face's image waited
                result = self._pipeline.process_face_image(bgr, stamp, face[1])
            else:
                result = self._pipeline.process(bgr, stamp)
            state = self._emotion_message(result.emotion, msg.header, result)
            self._emotion_pub.publish(state)
            if self._rep155 is not None:
                self._rep155.publish_frame(
                    msg.header, (bgr.shape[1], bgr.shape[0]), result, _expressions(result)
                )
        done = time.monotonic()
        self._stats.frame_processed(
            received,
            started,
            decoded,
            done,
            result.detection_seconds,
            result.classification_seconds,
        )
        self._last_emotion = state
        if self._debug_pub is not None:
            annotated = annotate(bgr, result)
            self._debug_pub.publish(
                Image(
                    header=msg.header,
                    height=annotated.shape[0],
                    width=annotated.shape[1],
                    encoding="bgr8",
                    step=annotated.shape[1] * 3,
                    data=bgr_to_raw(annotated),
                )
            )

    def _reject(self, error: ImageConversionError, arrived: float | None = None) -> None:
        with self._frame_ready:
            if arrived is not None:  # refused as it arrived: not counted as received yet
                # A camera sending only bad frames is not a working camera: face loss still shows.
                self._stats.frame_received(arrived, admitted=False)
            self._stats.frame_rejected(str(error), error.reason)
        self._warnings.warning(
            f"dropped a frame from {self._camera.topic}: {error}", kind=f"bad frame: {error.reason}"
        )  # a flood of one kind hides no other

    def _emotion_message(self, emotion, header, result: FrameResult | None = None) -> EmotionState:
        return emotion_state_message(
            emotion,
            frame_id=header.frame_id,
            model_name=self._spec.name,
            window_duration=self.params["smoothing_window"],
            valence_arousal_predicted=self._spec.predicts_valence_arousal,
            frame_stamp=header.stamp if result is not None and result.box is not None else None,
            box=result.held_box if result is not None else None,
            raw_scores=result.held_raw_scores if result is not None else None,
            face_id=self._face_id_of(emotion.track_id) if emotion.track_id else "",
        )

    def _check_face_loss(self) -> None:
        """Frames stopped arriving while a face was tracked: report the loss after the timeout.

        Judged by arrivals, not by processed frames, so a max_rate slower than the timeout never
        reports a face that is still in view.
        """
        now = time.monotonic()
        with self._frame_ready:
            if self._pending is not None or self._busy:
                return
            activity = self._stats.last_activity()
            if activity is None or now - activity <= self.params["face_loss_timeout"]:
                return
            with self._pipeline_lock:
                if not self._pipeline.smoother.has_face:
                    return
                # Stamped in the camera's time base; frames captured before it are dropped as late.
                stamp = self._frame_order.loss_report_stamp(now)
                if stamp is None:  # unstamped camera: frames are stamped on arrival, by this clock
                    stamp = now_seconds(self)
                emotion = self._pipeline.face_lost(stamp)
                # The camera's frame_id, from the last message published (frames carry it).
                header = self._last_emotion.header if self._last_emotion is not None else Header()
                self._emotion_pub.publish(self._emotion_message(emotion, header))
                if self._rep155 is not None:
                    self._rep155.clear(header)
        self.get_logger().info("no frames for longer than face_loss_timeout: face reported lost")

    def _report(self):
        now = time.monotonic()
        values = {
            "input_topic": self._camera.topic,
            "input_reliability": self._camera.reliability,
            **self._stats.values(now),
            "model": self._spec.name,
            "model_source": self._model_source,
            "execution_providers": self._providers,
            "face_detector": self.params["face_detector"],
            "face_detected": bool(self._last_emotion and self._last_emotion.face_detected),
        }
        healthy, message = self._frame_loss.report(
            *self._stats.health(now, self._camera.topic), values
        )
        return (diagnostics.OK if healthy else diagnostics.WARN), message, values


def _load_pipeline(p, logger) -> tuple[FacialEmotionPipeline, object, str, str]:
    """fer_node's pipeline for its parameters, with the model's spec, source and providers."""
    spec = get_model_spec(p["model"])
    try:
        classifier, model_source = load_classifier(
            spec,
            p["model_path"] or None,
            p["execution_providers"],
            p["inference_threads"],
        )
    except Exception as error:  # missing, unreadable or not an ONNX model of the right shape
        raise InvalidParameters(
            f"fer_node: cannot load expression model {p['model']!r}: {error}"
        ) from None
    for note in classifier.provider_notes:
        logger.info(note)
    set_flip_average(classifier, p["flip_average"])
    pipeline = FacialEmotionPipeline(
        # A chain's second detector looks twice per hold of a track: no face it alone sees is lost.
        create_face_detector(
            p["face_detector"], p["min_face_confidence"], p["face_loss_timeout"] / 2.0
        ),
        classifier,
        FaceTracker(p["attention"], max_age=p["face_loss_timeout"]),
        EmotionSmoother(p["smoothing_window"], p["face_loss_timeout"]),
        classify_all=p["rep155"] and p["rep155_all_faces"] and p["face_source"] == "detector",
    )
    return pipeline, spec, model_source, describe_providers(classifier)


def _face_ids(p, frame_input):
    """track id -> the face's REP-155 id: the detector's with face_source ros4hri, ours with
    rep155, else none."""
    if p["face_source"] == "ros4hri":
        return frame_input.face_id
    prefix = rep155.new_id_prefix()
    return (
        (lambda track_id: rep155.face_id(prefix, track_id))
        if p["rep155"]
        else (lambda track_id: "")
    )


def _rep155_output(node, enabled: bool, face_id_of, ros4hri_faces: bool):
    if not enabled:
        return None
    try:
        from insideout_perception.nodes.rep155_faces import Rep155FacePublisher
    except ImportError as error:
        node.get_logger().warning(f"rep155: hri_msgs is not installed ({error}): no REP-155 topics")
        return None
    # With ROS4HRI faces the detector publishes the list and the regions.
    return Rep155FacePublisher(node, face_id_of, owns_tracking=not ros4hri_faces)


def _expressions(result):
    """{track id: REP-155 expression} of the attended face and, with classify_all, the others
    seen."""
    emotions = [result.emotion, *result.other_emotions.values()]
    return {
        emotion.track_id: rep155.expression_of(
            emotion.dominant_label, emotion.confidence, emotion.valence, emotion.arousal
        )
        for emotion in emotions
        if emotion.face_detected and emotion.dominant_label
    }


def main(args=None):
    sys.exit(run_node(FerNode, args))


if __name__ == "__main__":
    main()
