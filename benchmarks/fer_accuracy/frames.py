"""Camera frames built from labelled photos: the photo itself, the issue's kiosk frame, face sizes.

The face is located by OpenCV's Haar cascade, which is independent of the BlazeFace detector the
pipeline under test uses, so a frame never favours the detector it measures.
"""

import cv2
import numpy as np

FRAME_SIZE = (640, 480)  # width, height
GREY = 128


def haar_face_box(bgr: np.ndarray) -> tuple[int, int, int, int] | None:
    """(x, y, w, h) of the largest Haar-cascade face, or None."""
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    faces = cascade.detectMultiScale(grey, 1.1, 5, minSize=(24, 24))
    if not len(faces):
        return None
    return tuple(int(v) for v in max(faces, key=lambda f: f[2] * f[3]))


def square_region(bgr: np.ndarray, box, scale: float) -> np.ndarray:
    """A square `scale` x the box around its centre, the border replicated where it leaves the
    image."""
    x, y, w, h = box
    side = int(round(max(w, h) * scale))
    x0, y0 = int(round(x + w / 2 - side / 2)), int(round(y + h / 2 - side / 2))
    height, width = bgr.shape[:2]
    pads = (max(-y0, 0), max(y0 + side - height, 0), max(-x0, 0), max(x0 + side - width, 0))
    inside = bgr[max(y0, 0) : y0 + side, max(x0, 0) : x0 + side]
    return cv2.copyMakeBorder(inside, *pads, cv2.BORDER_REPLICATE) if any(pads) else inside


def centred_on_grey(image: np.ndarray, size=FRAME_SIZE) -> np.ndarray:
    width, height = size
    frame = np.full((height, width, 3), GREY, np.uint8)
    ih, iw = image.shape[:2]
    top, left = (height - ih) // 2, (width - iw) // 2
    frame[top : top + ih, left : left + iw] = image
    return frame


def kiosk_frame(
    tight_face: np.ndarray, tight_size: int = 48, face_size: int = 200, padded_size: int = 340
) -> np.ndarray:
    """The issue's held-out frame: a tight face crop (at `tight_size` px, as FER data sets keep
    them; 0 keeps its resolution) scaled to `face_size`, border-replicated to `padded_size`,
    centred on a grey 640x480 frame."""
    face = tight_face
    if tight_size:
        face = cv2.resize(face, (tight_size, tight_size), interpolation=cv2.INTER_AREA)
    face = cv2.resize(face, (face_size, face_size), interpolation=cv2.INTER_LINEAR)
    pad = (padded_size - face_size) // 2
    face = cv2.copyMakeBorder(
        face,
        pad,
        padded_size - face_size - pad,
        pad,
        padded_size - face_size - pad,
        cv2.BORDER_REPLICATE,
    )
    return centred_on_grey(face)


def sized_face_frame(bgr: np.ndarray, box, face_size: int, context: float = 3.0) -> np.ndarray:
    """The photo around the face, scaled so the (Haar) face is `face_size` px wide, centred on a
    grey 640x480 frame: a person further from the camera. `context` x the face is kept around it."""
    x, y, w, h = box
    scale = face_size / float(w)
    region = square_region(bgr, box, context)
    side = max(int(round(region.shape[0] * scale)), 1)
    side = min(side, FRAME_SIZE[1])  # the frame's height bounds the context kept
    keep = int(round(side / scale))
    if keep < region.shape[0]:  # trim the context symmetrically so it fits the frame
        trim = (region.shape[0] - keep) // 2
        region = region[trim : trim + keep, trim : trim + keep]
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return centred_on_grey(cv2.resize(region, (side, side), interpolation=interpolation))
