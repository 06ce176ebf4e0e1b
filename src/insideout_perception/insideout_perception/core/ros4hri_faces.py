"""Attention over ROS4HRI faces: with face_source ros4hri, fer_node classifies the face images a
REP-155 face detector (hri_face_detect) publishes per face id instead of running its own detector.

The detector owns the ids; this keeps one of them attended (as FaceTracker does for our own
detections: the attended face keeps attention while it is tracked, and only when it is gone does
attention go to the largest or most central face) and gives each id a stable number for
EmotionState.track_id and the smoother.
"""

import math
from collections.abc import Iterable

from .face_tracking import ATTENTION_POLICIES

Region = tuple[float, float, float, float]  # normalised xmin, ymin, xmax, ymax


class Ros4hriAttention:
    def __init__(self, policy: str = "largest"):
        if policy not in ATTENTION_POLICIES:
            raise ValueError(
                f"attention policy {policy!r}; choose one of {', '.join(ATTENTION_POLICIES)}"
            )
        self.policy = policy
        self._tracked: tuple[str, ...] = ()
        self._regions: dict[str, Region] = {}
        self._numbers: dict[str, int] = {}
        self._next_number = 1  # 0 means "no face" in EmotionState
        self.attended: str | None = None

    @property
    def tracked(self) -> tuple[str, ...]:
        return self._tracked

    def number(self, face_id: str) -> int:
        """A stable positive number for `face_id` (never reused for another id)."""
        if face_id not in self._numbers:
            self._numbers[face_id] = self._next_number
            self._next_number += 1
        return self._numbers[face_id]

    def update_tracked(self, ids: Iterable[str]) -> str | None:
        """The detector's tracked list; returns the attended id (None when no face is tracked)."""
        self._tracked = tuple(sorted(set(ids)))
        for gone in set(self._regions) - set(self._tracked):
            del self._regions[gone]
        for gone in set(self._numbers) - set(self._tracked):
            del self._numbers[gone]  # ids are not reused by REP-155 detectors; keeps this bounded
        if self.attended not in self._tracked:
            self.attended = self._choose()
        return self.attended

    def update_region(self, face_id: str, region: Region) -> str | None:
        """A face's latest region; returns the attended id (a first choice waits for regions)."""
        if face_id in self._tracked:
            self._regions[face_id] = region
            if self.attended is None:
                self.attended = self._choose()
        return self.attended

    def _choose(self) -> str | None:
        """By the policy once every tracked face has a region (the detector publishes each face's
        /roi with the frame it tracked it in); until then no face is attended."""
        known = [face for face in self._tracked if face in self._regions]
        if not self._tracked or len(known) < len(self._tracked):
            return None
        if self.policy == "largest":
            return max(known, key=lambda face: _area(self._regions[face]))
        return min(known, key=lambda face: _distance_from_centre(self._regions[face]))


def _area(region: Region) -> float:
    xmin, ymin, xmax, ymax = region
    return max(xmax - xmin, 0.0) * max(ymax - ymin, 0.0)


def _distance_from_centre(region: Region) -> float:
    xmin, ymin, xmax, ymax = region
    return math.hypot((xmin + xmax) / 2 - 0.5, (ymin + ymax) / 2 - 0.5)
