"""The emotion while the user spoke (core, no ROS): states weighted by the time they stood for."""

import pytest

from insideout_dialogue.core.emotion_weights import EmotionReading
from insideout_dialogue.core.utterance_emotion import EmotionHistory


def face(label, score=0.9):
    rest = (1.0 - score) / 7
    scores = {
        name: (score if name == label else rest)
        for name in (
            "neutral",
            "happiness",
            "sadness",
            "surprise",
            "fear",
            "disgust",
            "anger",
            "contempt",
        )
    }
    return EmotionReading(
        face_detected=True, scores=scores, dominant_label=label, confidence=score, received_at=0.0
    )


NO_FACE = EmotionReading(
    face_detected=False, scores={}, dominant_label="", confidence=0.0, received_at=0.0
)


def test_a_smile_through_the_question_outweighs_a_frown_at_its_end():
    history = EmotionHistory()
    for t in range(0, 30):  # 10 frames/s: happy from 100.0 to 102.9 s
        history.add(100.0 + t / 10, face("happiness"))
    history.add(103.0, face("anger"))  # the last 0.5 s, and what the latest message says
    result = history.during(100.0, 103.5, now=5.0)
    assert result.reading.dominant_label == "happiness"
    assert result.reading.scores["happiness"] == pytest.approx((3.0 * 0.9 + 0.5 * 0.1 / 7) / 3.5)
    assert result.states == 31 and result.face_seconds == pytest.approx(3.5)
    assert result.reading.received_at == 5.0


def test_the_state_standing_when_the_user_began_covers_the_first_moments():
    history = EmotionHistory()
    history.add(10.0, face("sadness"))
    history.add(12.0, face("happiness"))
    result = history.during(11.0, 12.5, now=0.0)  # sad for 1 s of 1.5 s
    assert result.reading.dominant_label == "sadness" and result.states == 2


def test_time_without_a_face_is_not_averaged_in():
    history = EmotionHistory()
    history.add(0.0, face("fear"))
    history.add(1.0, NO_FACE)
    result = history.during(0.0, 4.0, now=0.0)
    assert result.reading.face_detected and result.reading.dominant_label == "fear"
    assert result.face_seconds == pytest.approx(1.0)
    only_absent = history.during(1.5, 3.0, now=0.0)
    assert not only_absent.reading.face_detected


def test_no_state_covering_the_utterance_gives_none_and_time_going_back_restarts():
    history = EmotionHistory()
    assert history.during(0.0, 1.0, now=0.0) is None
    history.add(50.0, face("anger"))
    assert history.during(10.0, 20.0, now=0.0) is None  # before any state
    history.add(5.0, face("happiness"))  # a looping bag: the clock went back
    assert history.during(5.0, 6.0, now=0.0).reading.dominant_label == "happiness"
    assert history.during(50.0, 51.0, now=0.0) is None  # the anger state is gone


def test_a_state_stands_no_longer_than_the_hold_time():
    history = EmotionHistory(hold_seconds=2.0)
    history.add(0.0, face("sadness"))
    history.add(10.0, face("happiness"))
    result = history.during(0.0, 12.0, now=0.0)  # sad 2 s (held), then happy 2 s (until the end)
    assert result.face_seconds == pytest.approx(4.0)
    assert history.during(3.0, 9.0, now=0.0) is None  # fer_node said nothing then


def test_old_states_are_forgotten():
    history = EmotionHistory(keep_seconds=10.0)
    history.add(0.0, face("anger"))
    history.add(20.0, face("happiness"))
    assert history.during(0.0, 5.0, now=0.0) is None


def test_the_history_can_be_read_for_one_face():
    def reading(label):
        return EmotionReading(
            face_detected=True,
            scores={label: 1.0},
            dominant_label=label,
            confidence=1.0,
            received_at=0.0,
        )

    history = EmotionHistory()
    for i in range(10):  # two faces interleaved, 10 states/s each
        history.add(10.0 + i / 10, reading("happiness"), "fa")
        history.add(10.0 + i / 10 + 0.05, reading("sadness"), "fb")
    assert history.during(10.0, 11.0, 0.0, face_id="fb").reading.dominant_label == "sadness"
    only_a = history.during(10.0, 11.0, 0.0, face_id="fa")
    assert only_a.reading.dominant_label == "happiness" and only_a.states == 10
    assert only_a.face_seconds == pytest.approx(1.0)
    assert history.during(10.0, 11.0, 0.0, face_id="nobody") is None
    assert history.during(10.0, 11.0, 0.0).states == 20  # all faces, as before
