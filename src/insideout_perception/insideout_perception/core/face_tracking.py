"""Attend to one face and keep its track id stable while the same person stays in view.

Every detection is associated with the existing tracks by box overlap (or, for fast movement, by
a centre that moved less than half the face size). The attended track is kept as long as it is
seen again within `max_age` seconds, even when someone larger or more central appears: the robot
keeps talking to the same person. Only when the attended face has been lost for `max_age` does
attention go to the largest (or most central) face in view, which gets its own, new id.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .face_detection import FaceBox

ATTENTION_POLICIES = ("largest", "central")


@dataclass
class Track:
    track_id: int
    box: FaceBox
    last_seen: float


@dataclass(frozen=True)
class AttendedFace:
    track_id: int
    box: FaceBox


class FaceTracker:
    def __init__(self, policy: str = "largest", max_age: float = 1.0, min_iou: float = 0.3):
        if policy not in ATTENTION_POLICIES:
            raise ValueError(
                f"attention policy {policy!r}; choose one of {', '.join(ATTENTION_POLICIES)}"
            )
        self.policy = policy
        self.max_age = max_age
        self.min_iou = min_iou
        self._tracks: list[Track] = []
        self._attended_id: int | None = None
        self._next_id = 1  # 0 means "no face" in EmotionState
        self._previous_stamp = None
        self._visible: tuple[AttendedFace, ...] = ()

    @property
    def attended_id(self) -> int | None:
        return self._attended_id

    @property
    def visible(self) -> tuple[AttendedFace, ...]:
        """Every face seen in the last frame, with its track id (ordered by id)."""
        return self._visible

    @property
    def track_ids(self) -> tuple[int, ...]:
        """Ids of every track still alive: seen within max_age (ordered)."""
        return tuple(sorted(t.track_id for t in self._tracks))

    def reset(self) -> None:
        self._tracks.clear()
        self._attended_id = None
        self._visible = ()

    def update(
        self, faces: Sequence[FaceBox], stamp: float, image_size: tuple[int, int]
    ) -> AttendedFace | None:
        """Associate this frame's faces; return the attended face if it is visible in this frame."""
        # A track seen in the previous frame always continues, even when max_age is shorter
        # than the frame interval (face_loss_timeout 0 means "lost at the first miss").
        self._tracks = [
            t
            for t in self._tracks
            if stamp - t.last_seen <= self.max_age or t.last_seen == self._previous_stamp
        ]
        self._previous_stamp = stamp
        if self._attended_id not in {t.track_id for t in self._tracks}:
            self._attended_id = None
        seen_now = self._associate(faces, stamp)
        self._visible = tuple(
            sorted((AttendedFace(t.track_id, t.box) for t in seen_now), key=lambda f: f.track_id)
        )
        if self._attended_id is None and seen_now:
            self._attended_id = self._choose(seen_now, image_size).track_id
        for track in seen_now:
            if track.track_id == self._attended_id:
                return AttendedFace(track.track_id, track.box)
        return None

    def _associate(self, faces: Sequence[FaceBox], stamp: float) -> list[Track]:
        # Greedy matching, best pairs first: few faces per frame, so this is cheap and stable.
        pairs = []
        for face_index, face in enumerate(faces):
            for track in self._tracks:
                similarity = self._similarity(track.box, face)
                if similarity > 0:
                    pairs.append((similarity, face_index, track))
        pairs.sort(key=lambda pair: -pair[0])
        used_faces, used_tracks, seen_now = set(), set(), []
        for _, face_index, track in pairs:
            if face_index in used_faces or track.track_id in used_tracks:
                continue
            used_faces.add(face_index)
            used_tracks.add(track.track_id)
            track.box, track.last_seen = faces[face_index], stamp
            seen_now.append(track)
        for face_index, face in enumerate(faces):
            if face_index not in used_faces:
                track = Track(self._next_id, face, stamp)
                self._next_id += 1
                self._tracks.append(track)
                seen_now.append(track)
        return seen_now

    def _similarity(self, previous: FaceBox, face: FaceBox) -> float:
        iou = previous.iou(face)
        if iou >= self.min_iou:
            return 1.0 + iou
        (px, py), (fx, fy) = previous.centre, face.centre
        size = max(previous.width, previous.height, 1.0)
        distance = math.hypot(fx - px, fy - py) / size
        similar_size = 0.5 <= face.area / max(previous.area, 1e-6) <= 2.0
        return (1.0 - distance) if distance < 0.5 and similar_size else 0.0

    def _choose(self, tracks: Sequence[Track], image_size: tuple[int, int]) -> Track:
        if self.policy == "largest":
            return max(tracks, key=lambda t: t.box.area)
        width, height = image_size
        return min(
            tracks,
            key=lambda t: math.hypot(t.box.centre[0] - width / 2, t.box.centre[1] - height / 2),
        )
