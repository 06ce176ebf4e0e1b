"""fer_node's frames with face_source ros4hri: the per-face images (cropped or aligned) a REP-155
face detector such as hri_face_detect publishes, for the attended face only.

It follows /humans/faces/tracked and each tracked face's /roi (for attention, see
core/ros4hri_faces.py), and subscribes to the attended face's image topic. It offers fer_node the
same interface as CameraSubscription; `face_for(generation)` says which face a frame shows.
"""

import threading
from collections.abc import Callable

from sensor_msgs.msg import Image

from hri_msgs.msg import IdsList, NormalizedRegionOfInterest2D
from insideout_common import topic_names
from insideout_common.rep155_conventions import is_valid_id
from insideout_common.ros.qos import HRI_STREAM
from insideout_perception.core.ros4hri_faces import Ros4hriAttention


class Ros4hriFaceInput:
    reliability = "reliable"
    frame_type = Image

    def __init__(
        self,
        node,
        image_leaf: str,
        policy: str,
        on_frame: Callable[[object, int], None],
        on_attention: Callable[[str | None], None],
        warn: Callable[[str], None],
    ):
        """`image_leaf`: "cropped" or "aligned"; `on_frame(msg, generation)` as for a camera;
        `on_attention(face id or None)` when attention moves; `warn`: a throttled warning."""
        self._node = node
        self._warn = warn
        self._image_leaf = image_leaf
        self._on_frame = on_frame
        self._on_attention = on_attention
        self._policy = policy
        self.attention = Ros4hriAttention(policy)
        self._lock = threading.Lock()  # generation and attended face, read by the frame worker
        # For logs and diagnostics: the attended face's id replaces <id>.
        self.topic = (
            node.resolve_topic_name(topic_names.HUMANS_FACES_TRACKED).rsplit("/", 1)[0]
            + f"/<id>/{image_leaf}"
        )
        self.generation = 0
        self._faces: dict[int, tuple[str, int]] = {}  # generation -> (face id, number)
        self._tracked_sub = self._image_sub = None
        self._roi_subs: dict[str, object] = {}

    def open(self) -> None:
        self._tracked_sub = self._node.create_subscription(
            IdsList, topic_names.HUMANS_FACES_TRACKED, self._on_tracked, HRI_STREAM
        )

    def close(self) -> None:
        for subscription in [self._tracked_sub, self._image_sub, *self._roi_subs.values()]:
            if subscription is not None:
                self._node.destroy_subscription(subscription)
        self._tracked_sub = self._image_sub = None
        self._roi_subs.clear()
        # Paused: forget the faces, so the next /tracked after activate attends afresh.
        self.attention = Ros4hriAttention(self._policy)
        with self._lock:
            self.generation += 1
            self._faces = {}

    def delivered(self, generation: int) -> None:
        pass

    def follow(self) -> str | None:
        return None

    def face_for(self, generation: int) -> tuple[str, int] | None:
        """(face id, number) of the face a frame from `generation` shows; None once attention
        moved."""
        with self._lock:
            return self._faces.get(generation) if generation == self.generation else None

    def face_id(self, number: int) -> str:
        """The attended face's id when `number` is its number, else "" (attention moved)."""
        with self._lock:
            return next((face for face, n in self._faces.values() if n == number), "")

    def _on_tracked(self, msg: IdsList) -> None:
        ids = [face for face in msg.ids if is_valid_id(face)]
        if len(ids) != len(msg.ids):
            self._warn(
                f"ignored face ids that cannot name a topic in {list(msg.ids)} on "
                f"{topic_names.HUMANS_FACES_TRACKED}"
            )
        previous = self.attention.attended
        attended = self.attention.update_tracked(ids)
        for face_id in set(self._roi_subs) - set(self.attention.tracked):
            self._node.destroy_subscription(self._roi_subs.pop(face_id))
        for face_id in set(self.attention.tracked) - set(self._roi_subs):
            self._roi_subs[face_id] = self._node.create_subscription(
                NormalizedRegionOfInterest2D,
                topic_names.humans_face_topic(face_id, "roi"),
                lambda roi, face_id=face_id: self._on_region(face_id, roi),
                HRI_STREAM,
            )
        if attended != previous:
            self._attend(attended)

    def _on_region(self, face_id: str, roi: NormalizedRegionOfInterest2D) -> None:
        previous = self.attention.attended
        attended = self.attention.update_region(face_id, (roi.xmin, roi.ymin, roi.xmax, roi.ymax))
        if attended != previous:
            self._attend(attended)

    def _attend(self, face_id: str | None) -> None:
        if self._image_sub is not None:
            self._node.destroy_subscription(self._image_sub)
            self._image_sub = None
        with self._lock:
            self.generation += 1
            generation = self.generation
            self._faces = {generation: (face_id, self.attention.number(face_id))} if face_id else {}
        if face_id is not None:
            self._image_sub = self._node.create_subscription(
                Image,
                topic_names.humans_face_topic(face_id, self._image_leaf),
                lambda msg: self._on_frame(msg, generation),
                HRI_STREAM,
            )
        self._on_attention(face_id)
