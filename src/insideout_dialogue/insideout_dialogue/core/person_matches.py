"""Which face belongs to the speaking voice, from REP-155 candidate matches
(hri_msgs/IdsMatch on /humans/candidate_matches).

Matches are undirected links between ids of a type (face, body, voice, person) with a confidence;
a confidence of 0 withdraws a link. A voice reaches a face directly (a speaker localiser matching
voice and face) or through a person (face recognition: face -> person, voice identification:
voice -> person), the likelihood of a path being the product of its links, as ROS4HRI's
person manager scores them. Links below the threshold are ignored.
"""

import math
from dataclasses import dataclass

from insideout_common.rep155_conventions import LABEL_OF_EXPRESSION, is_valid_id
from insideout_dialogue.core.emotion_weights import EmotionReading

# hri_msgs/IdsMatch id types.
UNSET, PERSON, FACE, BODY, VOICE = 0, 1, 2, 3, 4

Node = tuple[int, str]  # (id type, id)


@dataclass(frozen=True)
class FaceMatch:
    face_id: str
    confidence: float
    via: str  # "" for a direct voice-face match, else the person id


class CandidateMatches:
    def __init__(self, threshold: float = 0.5):
        self.threshold = threshold
        self._links: dict[Node, dict[Node, float]] = {}

    def add(self, id1: str, type1: int, id2: str, type2: int, confidence: float) -> str | None:
        """One IdsMatch; returns why it was ignored, or None."""
        if not id1 or not id2 or (id1, type1) == (id2, type2):
            return "a match needs two different ids"
        if type1 not in (PERSON, FACE, BODY, VOICE) or type2 not in (PERSON, FACE, BODY, VOICE):
            return f"unknown id type {type1 if type1 not in (PERSON, FACE, BODY, VOICE) else type2}"
        bad = [value for value in (id1, id2) if not is_valid_id(value)]
        if bad:
            return (
                f"id {bad[0]!r} cannot name a topic (letters, digits, underscores; "
                "not a digit first)"
            )
        if not 0.0 <= confidence <= 1.0:
            return f"confidence {confidence} is outside [0, 1]"
        a, b = (type1, id1), (type2, id2)
        if confidence == 0.0:
            self._unlink(a, b)
        else:
            self._links.setdefault(a, {})[b] = confidence
            self._links.setdefault(b, {})[a] = confidence
        return None

    def forget(self, id_type: int, id_: str) -> None:
        """An id is no longer tracked: drop its links."""
        for other in list(self._links.get((id_type, id_), {})):
            self._unlink((id_type, id_), other)

    def _unlink(self, a: Node, b: Node) -> None:
        for one, other in ((a, b), (b, a)):
            links = self._links.get(one)
            if links is not None:
                links.pop(other, None)
                if not links:
                    del self._links[one]

    @property
    def size(self) -> int:
        """Ids with at least one link."""
        return len(self._links)

    def face_of_voice(self, voice_id: str) -> FaceMatch | None:
        """The most likely face of `voice_id`, directly or through one person; None when no path
        reaches the threshold."""
        voice = (VOICE, voice_id)
        best: FaceMatch | None = None
        for neighbour, confidence in self._links.get(voice, {}).items():
            if confidence < self.threshold:
                continue
            if neighbour[0] == FACE:
                best = _better(best, FaceMatch(neighbour[1], confidence, ""))
            elif neighbour[0] == PERSON:
                for face, face_confidence in self._links.get(neighbour, {}).items():
                    if face[0] == FACE and face_confidence >= self.threshold:
                        best = _better(
                            best, FaceMatch(face[1], confidence * face_confidence, neighbour[1])
                        )
        return best if best is not None and best.confidence >= self.threshold else None


def _better(current: FaceMatch | None, candidate: FaceMatch) -> FaceMatch:
    if current is None or candidate.confidence > current.confidence:
        return candidate
    return current


def reading_of_expression(
    expression: str, confidence: float, received_at: float
) -> EmotionReading | None:
    """A REP-155 hri_msgs/Expression as an EmotionReading: its label scored `confidence`, the rest
    neutral (an expression carries one label, not a distribution). None for an expression with no
    counterpart among our labels."""
    label = LABEL_OF_EXPRESSION.get(expression)
    if label is None:
        return None
    confidence = float(confidence)
    confidence = min(max(confidence, 0.0), 1.0) if math.isfinite(confidence) else 0.0
    confidence = confidence or 1.0  # 0: the publisher gave none
    scores = {label: confidence}
    if label != "neutral":
        scores["neutral"] = 1.0 - confidence
    return EmotionReading(
        face_detected=True,
        scores=scores,
        dominant_label=label,
        confidence=confidence,
        received_at=received_at,
    )
