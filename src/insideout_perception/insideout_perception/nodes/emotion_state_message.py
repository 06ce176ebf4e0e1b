"""The one place an insideout_msgs/EmotionState is built from the core's SmoothedEmotion."""

from collections.abc import Sequence

from builtin_interfaces.msg import Time
from sensor_msgs.msg import RegionOfInterest

from insideout_common.emotions import LABELS
from insideout_common.ros.time_conversion import seconds_from_stamp, stamp_from_seconds
from insideout_msgs.msg import EmotionState


def emotion_state_message(
    emotion,
    *,
    frame_id: str,
    model_name: str,
    window_duration: float,
    valence_arousal_predicted: bool,
    frame_stamp: Time | None = None,
    box=None,
    raw_scores: Sequence[float] | None = None,
    face_id: str = "",
) -> EmotionState:
    """`emotion`: a core SmoothedEmotion. `frame_stamp`: the stamp of the frame the face was just
    seen in, copied exactly when set (else the window's newest stamp, `emotion.stamp`); `box` and
    `raw_scores`: the held face box and this frame's unsmoothed scores while a face is tracked;
    `face_id`: the face's REP-155 id (empty when none is published)."""
    state = EmotionState(
        labels=list(LABELS),
        model_name=model_name,
        window_duration=float(window_duration),
        valence_arousal_predicted=valence_arousal_predicted,
    )
    state.header.frame_id = frame_id
    state.header.stamp = (
        frame_stamp
        if frame_stamp is not None and seconds_from_stamp(frame_stamp)
        else stamp_from_seconds(emotion.stamp)
    )
    state.face_detected = emotion.face_detected
    if not emotion.face_detected:
        state.scores = state.raw_scores = [0.0] * len(LABELS)
        return state
    state.track_id = emotion.track_id
    state.face_id = face_id
    if box is not None:  # None: the face came from another detector (its region is its own topic)
        state.face_roi = RegionOfInterest(
            x_offset=int(round(box.x)),
            y_offset=int(round(box.y)),
            width=int(round(box.width)),
            height=int(round(box.height)),
        )
    state.scores = [float(v) for v in emotion.scores]
    state.raw_scores = [float(v) for v in raw_scores]
    state.dominant_label = emotion.dominant_label
    state.confidence = emotion.confidence
    state.valence = emotion.valence
    state.arousal = emotion.arousal
    state.window_frames = emotion.window_frames
    return state
