"""Where a dialogue turn's emotion comes from, wired to ROS.

In order: a Respond goal's own emotion; the face REP-155 candidate matches tie to the speaking
voice (rep155.follow_person: that face's EmotionStates when fer_node attends to it, else its
/humans/faces/<id>/expression) while the user spoke; the attended face while the user spoke; the
latest EmotionState. The computing is in the core (utterance_emotion, person_matches,
emotion_weights); this module keeps the inputs and says which one a turn used.
"""

import threading
import time

from insideout_common import topic_names
from insideout_common.rep155_conventions import TrackedIds
from insideout_common.ros.qos import HRI_STREAM, RELIABLE_EVENTS
from insideout_common.ros.time_conversion import now_seconds, seconds_from_stamp
from insideout_dialogue.core.emotion_weights import (
    EmotionReading,
    effective_emotion,
    emotion_problem,
)
from insideout_dialogue.core.person_matches import (
    FACE,
    CandidateMatches,
    FaceMatch,
    reading_of_expression,
)
from insideout_dialogue.core.turn_scheduler import TurnEmotion
from insideout_dialogue.core.utterance_emotion import EmotionHistory
from insideout_dialogue.nodes.dialogue_messages import (
    emotion_used_msg,
    mean_emotion_msg,
    reading_from,
)
from insideout_msgs.msg import EmotionState


class TurnEmotionSource:
    """Thread-safe: inputs arrive in the executor, turns ask from the scheduler's loop thread."""

    def __init__(self, node, params, log):
        self._node = node
        self._log = log  # a ThrottledLog
        self._timeout = params["emotion.timeout"]
        self._follow = params["rep155.follow_person"]
        self._voice_id = params["rep155.voice_id"]
        self._lock = threading.Lock()
        self._latest: tuple[EmotionState, EmotionReading] | None = None
        self._states = EmotionHistory()  # EmotionStates, tagged with their face_id
        self._expressions = EmotionHistory()  # the matched face's REP-155 expressions
        self._matches = CandidateMatches(params["rep155.match_threshold"])
        self._faces = TrackedIds()  # REP-155 faces tracked by any detector
        self._matched: FaceMatch | None = None
        self._expression_sub = self._group = None

    def subscribe(self, callback_group) -> None:
        """At activate: the inputs (destroyed by the node at deactivate, with `stop`)."""
        self._node.input_subscription(
            EmotionState,
            topic_names.EMOTION,
            self._on_emotion,
            RELIABLE_EVENTS,
            callback_group=callback_group,
        )
        if not self._follow:
            return
        try:
            from hri_msgs.msg import IdsMatch
        except ImportError as error:
            self._node.get_logger().warning(
                f"rep155.follow_person: hri_msgs is not installed ({error})"
            )
            return
        from hri_msgs.msg import IdsList

        self._group = callback_group
        self._node.input_subscription(
            IdsMatch,
            topic_names.HUMANS_CANDIDATE_MATCHES,
            self._on_match,
            HRI_STREAM,
            callback_group=callback_group,
        )
        self._node.input_subscription(
            IdsList,
            topic_names.HUMANS_FACES_TRACKED,
            self._on_faces_tracked,
            HRI_STREAM,
            callback_group=callback_group,
        )
        if self._matched is not None:  # matches are not repeated: follow the one held while paused
            self._follow_face(self._matched.face_id)

    def stop(self) -> None:
        self._follow_face(None)

    @property
    def matched_face(self) -> FaceMatch | None:
        return self._matched

    # --- inputs ----------------------------------------------------------------------------------
    def _on_emotion(self, msg: EmotionState) -> None:
        problem = emotion_problem(msg.labels, msg.scores)
        if problem:
            self._log.warning(f"EmotionState ignored: {problem}")
            return
        reading = reading_from(msg, time.monotonic())
        with self._lock:
            self._latest = (msg, reading)
            self._states.add(
                seconds_from_stamp(msg.header.stamp) or now_seconds(self._node),
                reading,
                msg.face_id,
            )

    def _on_match(self, msg) -> None:
        problem = self._matches.add(msg.id1, msg.id1_type, msg.id2, msg.id2_type, msg.confidence)
        if problem:
            self._log.warning(f"candidate match ignored: {problem}", kind="candidate match")
            return
        self._rematch()

    def _rematch(self) -> None:
        match = self._matches.face_of_voice(self._voice_id)
        if (match and match.face_id) != (self._matched and self._matched.face_id):
            self._node.get_logger().info(
                f"voice {self._voice_id} now matched to face {match.face_id}"
                if match
                else f"voice {self._voice_id} no longer matched to a face"
            )
            self._follow_face(match.face_id if match else None)
        self._matched = match

    def _on_faces_tracked(self, msg) -> None:
        """Faces that left the tracked list lose their matches (few publishers withdraw them)."""
        _, gone = self._faces.update(msg.ids)
        for face_id in gone:
            self._matches.forget(FACE, face_id)
        if gone:
            self._rematch()

    def _follow_face(self, face_id: str | None) -> None:
        if self._expression_sub is not None:
            self._node.destroy_subscription(self._expression_sub)
            self._expression_sub = None
        if face_id is None:
            return
        from hri_msgs.msg import Expression

        self._expression_sub = self._node.create_subscription(
            Expression,
            topic_names.humans_face_topic(face_id, "expression"),
            lambda msg: self._on_expression(face_id, msg),
            HRI_STREAM,
            callback_group=self._group,
        )

    def _on_expression(self, face_id: str, msg) -> None:
        reading = reading_of_expression(msg.expression, msg.confidence, time.monotonic())
        if reading is None:
            self._log.warning(
                f"expression {msg.expression!r} of face {face_id} has no counterpart "
                "among our labels: ignored",
                kind="unknown expression",
            )
            return
        with self._lock:
            self._expressions.add(
                seconds_from_stamp(msg.header.stamp) or now_seconds(self._node), reading, face_id
            )

    # --- a turn's emotion ------------------------------------------------------------------------
    def emotion_for(
        self, override: EmotionState | None, spoken_between: tuple | None
    ) -> TurnEmotion:
        """The goal's emotion, else the matched face's or the attended face's while the user spoke,
        else the latest one."""
        now = time.monotonic()
        timeout = self._timeout
        if override is not None:
            source, reading = override, reading_from(override, now)
            note, timeout = "the goal's emotion", float("inf")
        else:
            with self._lock:
                source, reading, note = self._while_speaking(spoken_between, now)
        scores, emotion = effective_emotion(reading, now, timeout)
        if emotion.fallback_reason:
            note = f"neutral: {emotion.fallback_reason} ({note})"
        return TurnEmotion(scores, emotion, note, emotion_used_msg(scores, emotion, source))

    def _while_speaking(self, spoken_between, now):
        prefix = ""
        match = self._matched
        if match is not None and spoken_between is not None:
            how = (
                f"ROS4HRI face {match.face_id} (voice {self._voice_id}"
                + (f" via person {match.via}" if match.via else "")
                + f", {match.confidence:.2f})"
            )
            during = self._states.during(
                *spoken_between, now, face_id=match.face_id
            ) or self._expressions.during(*spoken_between, now, face_id=match.face_id)
            if during is not None:
                source = mean_emotion_msg(during.reading)
                source.face_id = match.face_id
                return source, during.reading, f"{how}: {during.describe()}"
            prefix = f"{how} not seen while the user spoke; "
        if spoken_between is not None:
            during = self._states.during(*spoken_between, now)
            if during is not None:
                return mean_emotion_msg(during.reading), during.reading, prefix + during.describe()
        source, reading = self._latest or (None, None)
        return (
            source,
            reading,
            prefix
            + "the latest EmotionState"
            + (" (none during the utterance)" if spoken_between else ""),
        )
