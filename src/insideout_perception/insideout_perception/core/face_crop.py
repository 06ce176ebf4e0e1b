"""Cut a face out of a frame the way an expression model was trained to see it."""

import cv2
import numpy as np

from .expression_models import CropRule
from .face_detection import FaceBox


def crop_region(box: FaceBox, rule: CropRule):
    """The square (x0, y0, x1, y1) region in pixels, possibly reaching outside the image."""
    side = max(box.width, box.height) * rule.scale
    centre_x = box.x + box.width / 2.0
    centre_y = box.y + box.height / 2.0 - rule.shift_up * box.height
    x0 = int(round(centre_x - side / 2.0))
    y0 = int(round(centre_y - side / 2.0))
    size = max(int(round(side)), 1)
    return x0, y0, x0 + size, y0 + size


def crop_face(image: np.ndarray, box: FaceBox, rule: CropRule) -> np.ndarray:
    """The face crop; parts outside the image are filled by replicating the border.

    Replicating (instead of clipping the square) keeps the face centred and undistorted when a
    person stands at the image edge, which is what the models saw in training.
    """
    height, width = image.shape[:2]
    x0, y0, x1, y1 = crop_region(box, rule)
    inside = image[max(y0, 0) : min(y1, height), max(x0, 0) : min(x1, width)]
    if inside.size == 0:
        raise ValueError(f"face box {box} lies outside the {width}x{height} image")
    pads = (max(-y0, 0), max(y1 - height, 0), max(-x0, 0), max(x1 - width, 0))
    if any(pads):
        inside = cv2.copyMakeBorder(inside, *pads, cv2.BORDER_REPLICATE)
    return inside
