"""Face detection with MediaPipe BlazeFace, whose models ship inside the mediapipe==0.10.21
wheel."""

from dataclasses import dataclass

import numpy as np

DETECTOR_MODELS = {
    # BlazeFace short range: faces within about 2 m of the camera (selfie / kiosk distance).
    "short_range": 0,
    # BlazeFace full range (sparse): faces up to about 5 m, e.g. a robot in a room. About 2x slower.
    "full_range": 1,
}


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


class BlazeFaceDetector:
    """Finds faces in RGB frames. Not thread-safe: call from one thread."""

    def __init__(self, model: str = "short_range", min_confidence: float = 0.5):
        if model not in DETECTOR_MODELS:
            raise ValueError(
                f"face detector model {model!r}; choose one of {', '.join(DETECTOR_MODELS)}"
            )
        # Imported here: mediapipe is heavy and only the detector needs it.
        from mediapipe.python.solutions import face_detection

        self.model = model
        self._detector = face_detection.FaceDetection(
            model_selection=DETECTOR_MODELS[model], min_detection_confidence=min_confidence
        )

    def detect(self, rgb: np.ndarray) -> list[FaceBox]:
        """Faces in an RGB uint8 image (H, W, 3), clipped to the image, best first."""
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
