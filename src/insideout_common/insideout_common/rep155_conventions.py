"""REP-155 (ROS4HRI) conventions shared by the perception and dialogue nodes: our eight labels
and the expression names of hri_msgs/Expression both ways, the id syntax, the anonymous voice.
"""

from collections.abc import Iterable

# Our canonical label -> hri_msgs/Expression constant. REP-155 has no "contempt"; its one-sided
# sneer reads as scepticism in conversation, the closest listed expression.
EXPRESSION_OF_LABEL: dict[str, str] = {
    "anger": "angry",
    "contempt": "skeptical",
    "disgust": "disgusted",
    "fear": "scared",
    "happiness": "happy",
    "neutral": "neutral",
    "sadness": "sad",
    "surprise": "surprised",
}
# hri_msgs/Expression constant -> our label, for the inverse (and the REP-155 names that are
# intensities of one of ours).
LABEL_OF_EXPRESSION: dict[str, str] = {
    **{expression: label for label, expression in EXPRESSION_OF_LABEL.items()},
    "furious": "anger",
    "annoyed": "anger",
    "horrified": "fear",
    "amazed": "surprise",
    "despaired": "sadness",
    "disappointed": "sadness",
}

# The voice id ROS4HRI's asr_vosk and libhri-based applications use for a microphone without
# speaker identification.
ANONYMOUS_SPEAKER = "anonymous_speaker"


def is_valid_id(value: str) -> bool:
    """True when `value` can be one token of a ROS 2 topic name (ASCII letters, digits and
    underscores, not starting with a digit), as a REP-155 id in /humans/<kind>/<id>/ must."""
    return (
        bool(value)
        and value.isascii()
        and not value[0].isdigit()
        and all(c.isalnum() or c == "_" for c in value)
    )


def id_problem(value: str):
    """For a parameter check: None when `value` is a valid REP-155 id, else what is wrong."""
    return (
        None
        if is_valid_id(value)
        else "must be letters, digits and underscores, not starting with a digit"
    )


class TrackedIds:
    """The set of ids published on a `/tracked` topic; says which per-id topics to open and
    close."""

    def __init__(self):
        self._ids: frozenset[str] = frozenset()

    @property
    def ids(self) -> frozenset[str]:
        return self._ids

    def update(self, ids: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The new tracked set; returns (appeared, gone), each sorted."""
        current = frozenset(ids)
        appeared, gone = tuple(sorted(current - self._ids)), tuple(sorted(self._ids - current))
        self._ids = current
        return appeared, gone
