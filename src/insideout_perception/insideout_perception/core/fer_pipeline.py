"""One frame through the facial-emotion chain: detect, attend, crop, classify, smooth.

The ROS node only converts messages and publishes; everything it reports comes from here.
"""

import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from insideout_common.emotions import LABELS

from .emotion_smoothing import EmotionSmoother, SmoothedEmotion
from .face_detection import FaceBox, FaceDetector
from .face_tracking import AttendedFace, FaceTracker


@dataclass(frozen=True)
class FrameResult:
    emotion: SmoothedEmotion
    box: FaceBox | None  # the attended face in this frame (None when not seen in it)
    raw_scores: np.ndarray  # this frame's scores (zeros when the face was not seen in it)
    held_box: FaceBox | None  # box of the newest frame in the window (for held states)
    held_raw_scores: np.ndarray
    faces_in_frame: int
    detection_seconds: float
    classification_seconds: float
    visible_faces: tuple[AttendedFace, ...] = ()  # every face seen in this frame, with its track id
    track_ids: tuple[
        int, ...
    ] = ()  # every track alive after this frame (seen within face_loss_timeout)
    # With classify_all: the smoothed emotion of every other face seen in this frame, by track id.
    other_emotions: dict[int, SmoothedEmotion] = field(default_factory=dict)


class FacialEmotionPipeline:
    def __init__(
        self,
        detector: FaceDetector,
        classifier,  # ExpressionClassifier or EnsembleClassifier
        tracker: FaceTracker,
        smoother: EmotionSmoother,
        classify_all: bool = False,
    ):
        """`classify_all`: also classify every other face in view, each smoothed on its own (for
        per-face outputs such as REP-155's; one more model run per face per frame)."""
        self.detector = detector
        self.classifier = classifier
        self.tracker = tracker
        self.smoother = smoother
        self.classify_all = classify_all
        self._other_smoothers: dict[int, EmotionSmoother] = {}
        self._last_box: FaceBox | None = None
        self._last_raw = np.zeros(len(LABELS))

    def process(self, bgr: np.ndarray, stamp: float) -> FrameResult:
        """`stamp`: the frame's capture time in seconds (any monotonic time base)."""
        height, width = bgr.shape[:2]
        started = time.perf_counter()
        faces = self.detector.detect(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        detected = time.perf_counter()
        attended = self.tracker.update(faces, stamp, (width, height))
        others = self._classify_others(bgr, stamp, attended)
        if attended is None:
            emotion = self.smoother.no_face(stamp)
            if not emotion.face_detected:
                self._last_box, self._last_raw = None, np.zeros(len(LABELS))
            return FrameResult(
                emotion,
                None,
                np.zeros(len(LABELS)),
                self._last_box,
                self._last_raw,
                len(faces),
                detected - started,
                time.perf_counter() - detected,
                self.tracker.visible,
                self.tracker.track_ids,
                others,
            )
        result = self.classifier.classify_face(bgr, attended.box)
        classified = time.perf_counter()
        emotion = self.smoother.add(
            stamp, attended.track_id, result.scores, result.valence, result.arousal
        )
        self._last_box, self._last_raw = attended.box, result.scores
        return FrameResult(
            emotion,
            attended.box,
            result.scores,
            attended.box,
            result.scores,
            len(faces),
            detected - started,
            classified - detected,
            self.tracker.visible,
            self.tracker.track_ids,
            others,
        )

    def _classify_others(
        self, bgr: np.ndarray, stamp: float, attended
    ) -> dict[int, SmoothedEmotion]:
        if not self.classify_all:
            return {}
        alive = set(self.tracker.track_ids)
        for track_id in [t for t in self._other_smoothers if t not in alive]:
            del self._other_smoothers[track_id]  # its face is gone: never reused (ids are not)
        emotions = {}
        for face in self.tracker.visible:
            if attended is not None and face.track_id == attended.track_id:
                continue
            smoother = self._other_smoothers.setdefault(
                face.track_id,
                EmotionSmoother(self.smoother.window, self.smoother.face_loss_timeout),
            )
            result = self.classifier.classify_face(bgr, face.box)
            emotions[face.track_id] = smoother.add(
                stamp, face.track_id, result.scores, result.valence, result.arousal
            )
        return emotions

    def process_face_image(self, face_bgr: np.ndarray, stamp: float, track_id: int) -> FrameResult:
        """A face image another detector cut out (ROS4HRI's per-face crops): the whole image is the
        face box, classified and smoothed as track `track_id`. No detection, no tracking here."""
        height, width = face_bgr.shape[:2]
        started = time.perf_counter()
        box = FaceBox(0.0, 0.0, float(width), float(height), 1.0)
        result = self.classifier.classify_face(face_bgr, box)
        classified = time.perf_counter()
        emotion = self.smoother.add(stamp, track_id, result.scores, result.valence, result.arousal)
        self._last_box, self._last_raw = None, result.scores
        return FrameResult(
            emotion, None, result.scores, None, result.scores, 1, 0.0, classified - started
        )

    def face_lost(self, stamp: float) -> SmoothedEmotion:
        """No frames for a while (camera stopped): forget the face."""
        self.tracker.reset()
        self._other_smoothers.clear()
        self._last_box, self._last_raw = None, np.zeros(len(LABELS))
        self.smoother.reset()
        return self.smoother.no_face(stamp)

    def close(self) -> None:
        self.detector.close()


def annotate(bgr: np.ndarray, result: FrameResult) -> np.ndarray:
    """A copy of the frame with the attended face's box, track id and smoothed emotion drawn on."""
    canvas = bgr.copy()
    emotion = result.emotion
    box = result.box or (result.held_box if emotion.face_detected else None)
    if box is None:
        cv2.putText(canvas, "no face", (10, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 255), 2)
        return canvas
    colour = (0, 200, 0) if result.box is not None else (0, 200, 200)  # yellow while held
    top_left = (int(box.x), int(box.y))
    cv2.rectangle(canvas, top_left, (int(box.x + box.width), int(box.y + box.height)), colour, 2)
    text = (
        f"#{emotion.track_id} {emotion.dominant_label} {emotion.confidence:.2f} "
        f"v{emotion.valence:+.2f} a{emotion.arousal:+.2f}"
    )
    cv2.putText(
        canvas,
        text,
        (top_left[0], max(top_left[1] - 8, 16)),
        cv2.FONT_HERSHEY_SIMPLEX,
        0.5,
        colour,
        1,
    )
    return canvas
