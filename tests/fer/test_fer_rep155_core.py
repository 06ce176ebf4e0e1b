"""The REP-155 (ROS4HRI) values the perception cores produce: ids, expressions, regions, speech,
and the faces a frame shows. No ROS graph here: the DDS tests are beside this file."""

import random

import pytest

from insideout_common.emotions import LABELS
from insideout_perception.core import rep155
from insideout_perception.core.face_detection import FaceBox
from insideout_perception.core.face_tracking import FaceTracker


def test_every_label_maps_to_a_rep155_expression_constant():
    from hri_msgs.msg import Expression

    constants = {
        value
        for name, value in vars(Expression).items()
        if name.isupper() and isinstance(value, str)
    }
    assert set(rep155.EXPRESSION_OF_LABEL) == set(LABELS)
    assert set(rep155.EXPRESSION_OF_LABEL.values()) <= constants
    assert len(set(rep155.EXPRESSION_OF_LABEL.values())) == len(LABELS)  # no two labels collapse
    assert set(rep155.LABEL_OF_EXPRESSION) <= constants
    for label, expression in rep155.EXPRESSION_OF_LABEL.items():
        assert rep155.LABEL_OF_EXPRESSION[expression] == label


def test_expression_of_a_smoothed_emotion():
    value = rep155.expression_of("fear", 0.7, -0.6, 0.8)
    assert value == rep155.ExpressionValue("scared", -0.6, 0.8, 0.7)
    assert rep155.expression_of("happiness", 1.2, 0.5, 0.1).confidence == 1.0
    with pytest.raises(KeyError):
        rep155.expression_of("", 0.5, 0.0, 0.0)


def test_face_ids_are_valid_name_tokens_and_differ_between_runs():
    prefixes = {rep155.new_id_prefix() for _ in range(50)}
    assert len(prefixes) > 45  # 26**4 choices: a repeat in 50 draws is rare
    prefix = rep155.new_id_prefix(random.Random(3))
    assert prefix == rep155.new_id_prefix(random.Random(3))
    for track_id in (1, 12, 40000):
        face_id = rep155.face_id(prefix, track_id)
        assert rep155.is_valid_id(face_id) and face_id.endswith(str(track_id))
    assert not rep155.is_valid_id("1abc")
    assert not rep155.is_valid_id("a/b")
    assert not rep155.is_valid_id("")
    assert not rep155.is_valid_id("café")
    assert rep155.is_valid_id(rep155.ANONYMOUS_SPEAKER)


def test_normalized_roi_is_clipped_to_the_image():
    assert rep155.normalized_roi(160, 120, 320, 240, 640, 480) == (0.25, 0.25, 0.75, 0.75)
    assert rep155.normalized_roi(-20, 400, 100, 200, 640, 480) == (0.0, 400 / 480, 80 / 640, 1.0)


def test_tracked_ids_say_which_per_id_topics_come_and_go():
    tracked = rep155.TrackedIds()
    assert tracked.update(["b", "a"]) == (("a", "b"), ())
    assert tracked.update(["a", "b"]) == ((), ())
    assert tracked.update(["c", "b"]) == (("c",), ("a",))
    assert tracked.update([]) == ((), ("b", "c"))
    assert tracked.ids == frozenset()


@pytest.mark.parametrize(
    "language, locale", [("en", "en"), ("en-GB", "en_GB"), ("pt_br", "pt_BR"), ("zh-Hant-TW", "zh")]
)
def test_locale_of_a_language_tag(language, locale):
    assert rep155.locale_of(language) == locale


def test_live_speech_of_partial_and_final_transcripts():
    assert rep155.live_speech_of("hello ro", False, -1.0) == rep155.SpeechValue("hello ro", "", 1.0)
    assert rep155.live_speech_of("hello robot", True, 0.8) == rep155.SpeechValue(
        "hello robot", "hello robot", 0.8
    )


def test_the_tracker_reports_every_visible_face_and_keeps_tracks_until_max_age():
    tracker = FaceTracker("largest", max_age=0.5)
    big, small = FaceBox(100, 100, 120, 120, 0.9), FaceBox(400, 120, 60, 60, 0.8)
    attended = tracker.update([big, small], 0.0, (640, 480))
    assert [face.box for face in tracker.visible] == [big, small]
    ids = tracker.track_ids
    assert len(ids) == 2 and attended.track_id == ids[0]

    # The big face leaves: it is no longer visible but stays tracked (held) for max_age.
    tracker.update([small], 0.2, (640, 480))
    assert [face.track_id for face in tracker.visible] == [ids[1]]
    assert tracker.track_ids == ids
    tracker.update([small], 0.8, (640, 480))
    assert tracker.track_ids == (ids[1],)

    tracker.reset()
    assert tracker.visible == () and tracker.track_ids == ()


def test_ros4hri_attention_keeps_the_attended_face_while_it_is_tracked():
    from insideout_perception.core.ros4hri_faces import Ros4hriAttention

    attention = Ros4hriAttention("largest")
    assert attention.update_tracked(["b", "a"]) is None  # no regions yet: no choice
    attention.update_region("a", (0.0, 0.0, 0.2, 0.2))
    assert attention.attended is None  # b's region is still unknown
    assert attention.update_region("b", (0.0, 0.0, 0.6, 0.6)) == "b"  # the larger
    attention.update_region("a", (0.0, 0.0, 0.9, 0.9))
    assert attention.attended == "b"  # kept while tracked, even when someone larger is there
    number_b = attention.number("b")
    assert attention.update_tracked(["a", "c"]) is None  # b left; c's region unknown yet
    assert attention.update_region("c", (0.4, 0.4, 0.6, 0.6)) == "a"
    assert attention.number("a") not in (0, number_b) and attention.number("a") == attention.number(
        "a"
    )
    assert attention.update_tracked(["c"]) == "c"
    assert attention.update_tracked([]) is None
    attention.update_region("x", (0.0, 0.0, 1.0, 1.0))  # not tracked: ignored
    assert attention.attended is None

    central = Ros4hriAttention("central")
    central.update_tracked(["a", "b"])
    central.update_region("a", (0.0, 0.0, 0.3, 0.3))
    assert central.update_region("b", (0.45, 0.45, 0.55, 0.55)) == "b"  # the most central


@pytest.mark.parametrize("classify_all", [True, False])
def test_the_pipeline_classifies_every_face_in_view_when_asked(classify_all):
    from insideout_perception.core.emotion_smoothing import EmotionSmoother
    from insideout_perception.core.expression_classifier import load_classifier
    from insideout_perception.core.expression_models import get_model_spec
    from insideout_perception.core.face_detection import BlazeFaceDetector
    from insideout_perception.core.fer_pipeline import FacialEmotionPipeline

    from .test_fer_rep155 import two_people

    classifier = load_classifier(get_model_spec("fer_mini_xception"), None, ["cpu"], 1)[0]
    pipeline = FacialEmotionPipeline(
        BlazeFaceDetector("full_range"),
        classifier,
        FaceTracker("largest", 1.0),
        EmotionSmoother(0.75, 1.0),
        classify_all=classify_all,
    )
    try:
        for i in range(3):
            result = pipeline.process(two_people(), 10.0 + i / 10)
    finally:
        pipeline.close()
    assert result.emotion.face_detected and len(result.visible_faces) == 2
    if not classify_all:
        assert result.other_emotions == {}
        return
    ((other_id, other),) = result.other_emotions.items()
    assert other_id != result.emotion.track_id and other.track_id == other_id
    assert other.face_detected and other.window_frames == 3 and other.dominant_label
    assert other.scores.sum() == pytest.approx(1.0)
