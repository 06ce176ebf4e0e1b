"""Real face photos that ship inside registry packages, and helpers to place them in frames."""

import cv2
import numpy as np


def astronaut_bgr() -> np.ndarray:
    """scikit-image's astronaut (Eileen Collins), smiling; 512x512."""
    from skimage import data

    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


def grace_hopper_bgr() -> np.ndarray:
    """matplotlib's sample photo of Grace Hopper, neutral expression; 512x600."""
    import matplotlib.cbook as cbook

    with cbook.get_sample_data("grace_hopper.jpg") as stream:
        return cv2.imdecode(np.frombuffer(stream.read(), np.uint8), cv2.IMREAD_COLOR)


def in_frame(
    photo: np.ndarray, size=(640, 480), left: int = 64, top: int = 0, photo_size=None
) -> np.ndarray:
    """A grey camera frame of `size` (width, height) with the photo pasted at (left, top)."""
    width, height = size
    frame = np.full((height, width, 3), 96, np.uint8)
    if photo_size is not None:
        photo = cv2.resize(photo, photo_size, interpolation=cv2.INTER_AREA)
    ph, pw = photo.shape[:2]
    ph, pw = min(ph, height - top), min(pw, width - left)
    frame[top : top + ph, left : left + pw] = photo[:ph, :pw]
    return frame


def haar_face_box(bgr: np.ndarray):
    """Largest face by OpenCV's Haar cascade: an independent check of where the face is."""
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    faces = cascade.detectMultiScale(
        cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), 1.1, 5, minSize=(40, 40)
    )
    assert len(faces), "the Haar cascade found no face in the test photo"
    return tuple(int(v) for v in max(faces, key=lambda f: f[2] * f[3]))


def iou(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    inter = max(min(ax + aw, bx + bw) - max(ax, bx), 0) * max(
        min(ay + ah, by + bh) - max(ay, by), 0
    )
    return inter / float(aw * ah + bw * bh - inter)


def face_box_in_frame(photo: np.ndarray, photo_size, left: int, top: int = 0):
    """Where the Haar face box of `photo` lands after
    `in_frame(photo, photo_size=.., left=.., top=..)`."""
    x, y, w, h = haar_face_box(photo)
    sx, sy = photo_size[0] / photo.shape[1], photo_size[1] / photo.shape[0]
    return (x * sx + left, y * sy + top, w * sx, h * sy)
