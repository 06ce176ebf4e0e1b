"""The REP-155 (ROS4HRI) view of what the perception nodes see: face and voice ids, the expression
names of hri_msgs/Expression, normalised regions, and which per-id topics come and go.

Pure Python: the nodes turn these values into hri_msgs messages.
"""

import random
import string
from dataclasses import dataclass

from insideout_common.rep155_conventions import (  # noqa: F401 (re-exported for the nodes)
    ANONYMOUS_SPEAKER,
    EXPRESSION_OF_LABEL,
    LABEL_OF_EXPRESSION,
    TrackedIds,
    id_problem,
    is_valid_id,
)


def new_id_prefix(rng: random.Random | None = None) -> str:
    """A per-run prefix for face ids: ids stay unique across node restarts (REP-155 ids must not
    be reused for another face) and start with a letter (ROS 2 name tokens may not start with a
    digit)."""
    rng = rng or random.SystemRandom()
    return "f" + "".join(rng.choice(string.ascii_lowercase) for _ in range(4)) + "_"


def face_id(prefix: str, track_id: int) -> str:
    return f"{prefix}{track_id}"


def normalized_roi(
    x: float, y: float, width: float, height: float, image_width: int, image_height: int
) -> tuple[float, float, float, float]:
    """A pixel box as (xmin, ymin, xmax, ymax) in [0, 1], clipped to the image."""

    def clip(value: float) -> float:
        return min(max(value, 0.0), 1.0)

    return (
        clip(x / image_width),
        clip(y / image_height),
        clip((x + width) / image_width),
        clip((y + height) / image_height),
    )


@dataclass(frozen=True)
class ExpressionValue:
    expression: str
    valence: float
    arousal: float
    confidence: float


def expression_of(
    dominant_label: str, confidence: float, valence: float, arousal: float
) -> ExpressionValue:
    """The hri_msgs/Expression values of a smoothed emotion."""
    return ExpressionValue(
        EXPRESSION_OF_LABEL[dominant_label],
        float(valence),
        float(arousal),
        float(min(max(confidence, 0.0), 1.0)),
    )


def locale_of(language: str) -> str:
    """A BCP-47 tag as hri_msgs/LiveSpeech's locale: "en-gb" -> "en_GB"; a bare "en" stays "en"."""
    parts = language.replace("_", "-").split("-")
    if len(parts) >= 2 and len(parts[1]) == 2:
        return f"{parts[0].lower()}_{parts[1].upper()}"
    return parts[0].lower()


@dataclass(frozen=True)
class SpeechValue:
    incremental: str
    final: str
    confidence: float


def live_speech_of(text: str, is_final: bool, confidence: float) -> SpeechValue:
    """hri_msgs/LiveSpeech values of a transcript. A final one carries the text in both fields (as
    ROS4HRI's asr_vosk does, so a listener to either sees the last words); confidence is the
    recogniser's, or 1.0 when it gives none (-1)."""
    confidence = 1.0 if confidence < 0 else min(float(confidence), 1.0)
    return SpeechValue(text, text if is_final else "", confidence)
