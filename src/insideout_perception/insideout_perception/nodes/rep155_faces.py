"""fer_node's REP-155 (ROS4HRI) output: /humans/faces/tracked, and per tracked face /roi and
/expression, whose publishers exist exactly as long as the face is tracked. When the faces come
from another REP-155 detector (face_source ros4hri), that detector owns the list and the regions:
only /expression is published, on its ids.

The ids and values come from insideout_perception.core.rep155; this module only makes messages.
"""

from collections.abc import Callable, Iterable

from std_msgs.msg import Header

from hri_msgs.msg import Expression, IdsList, NormalizedRegionOfInterest2D
from insideout_common import topic_names
from insideout_common.ros.qos import HRI_STREAM
from insideout_perception.core import rep155


class Rep155FacePublisher:
    """Publishes what fer_node sees of each face, the REP-155 way. Call `publish_frame` for every
    processed frame and `clear` when the node stops seeing (face lost, deactivated)."""

    def __init__(self, node, face_id_of: Callable[[int], str], owns_tracking: bool = True):
        """`face_id_of(track id)`: the face's REP-155 id; `owns_tracking`: publish the tracked list
        and the regions (false when another detector does)."""
        self._node = node
        self._face_id_of = face_id_of
        self._owns_tracking = owns_tracking
        self._tracked = rep155.TrackedIds()
        self._tracked_pub = (
            node.create_publisher(IdsList, topic_names.HUMANS_FACES_TRACKED, HRI_STREAM)
            if owns_tracking
            else None
        )
        self._per_face: dict[
            str, tuple[object, object]
        ] = {}  # face id -> (roi, expression) publishers
        self._paused = False

    def face_id(self, track_id: int) -> str:
        return self._face_id_of(track_id) if track_id else ""

    def publish_frame(
        self, header: Header, image_size: tuple[int, int], result, expressions
    ) -> None:
        """`result`: the core's FrameResult; `expressions`: {track id: core ExpressionValue} for the
        faces whose expression is known (the attended one)."""
        if self._paused:
            return  # a frame that was in flight when the node was paused
        track_ids = result.track_ids if self._owns_tracking else tuple(expressions)
        self._set_tracked(header, filter(None, (self.face_id(track_id) for track_id in track_ids)))
        width, height = image_size
        for face in result.visible_faces:
            publishers = self._per_face.get(self.face_id(face.track_id))
            if publishers is None or publishers[0] is None:
                continue
            box = face.box
            xmin, ymin, xmax, ymax = rep155.normalized_roi(
                box.x, box.y, box.width, box.height, width, height
            )
            publishers[0].publish(
                NormalizedRegionOfInterest2D(
                    header=header, xmin=xmin, ymin=ymin, xmax=xmax, ymax=ymax, c=float(box.score)
                )
            )
        for track_id, value in expressions.items():
            publishers = self._per_face.get(self.face_id(track_id))
            if publishers is not None:
                publishers[1].publish(
                    Expression(
                        header=header,
                        expression=value.expression,
                        valence=value.valence,
                        arousal=value.arousal,
                        confidence=value.confidence,
                    )
                )

    def clear(self, header: Header | None = None) -> None:
        """No face is tracked any more: an empty list, and every per-face topic goes."""
        self._set_tracked(header or Header(), ())

    def pause(self) -> None:
        """The node is paused: no face is tracked until `resume`."""
        self.clear()
        self._paused = True

    def resume(self) -> None:
        self._paused = False

    def others_publishing_tracked(self) -> bool:
        """True when another node (a REP-155 face detector) also publishes the tracked list."""
        return (
            self._tracked_pub is not None
            and self._node.count_publishers(self._tracked_pub.topic_name) > 1
        )

    def close(self) -> None:
        self.clear()
        if self._tracked_pub is not None:
            self._node.destroy_publisher(self._tracked_pub)

    def _set_tracked(self, header: Header, ids: Iterable[str]) -> None:
        appeared, gone = self._tracked.update(ids)
        for face_id in gone:
            for publisher in self._per_face.pop(face_id):
                if publisher is not None:
                    self._node.destroy_publisher(publisher)
        for face_id in appeared:
            roi = (
                self._node.create_publisher(
                    NormalizedRegionOfInterest2D,
                    topic_names.humans_face_topic(face_id, "roi"),
                    HRI_STREAM,
                )
                if self._owns_tracking
                else None
            )
            self._per_face[face_id] = (
                roi,
                self._node.create_publisher(
                    Expression, topic_names.humans_face_topic(face_id, "expression"), HRI_STREAM
                ),
            )
        if self._tracked_pub is not None:
            self._tracked_pub.publish(IdsList(header=header, ids=sorted(self._tracked.ids)))
