"""Which face belongs to the speaking voice, from REP-155 candidate matches (core, no ROS)."""

import pytest

from insideout_dialogue.core.person_matches import (
    FACE,
    PERSON,
    VOICE,
    CandidateMatches,
    FaceMatch,
    reading_of_expression,
)


def test_a_direct_voice_face_match():
    matches = CandidateMatches()
    assert matches.face_of_voice("v") is None
    assert matches.add("v", VOICE, "f1", FACE, 0.7) is None
    assert matches.face_of_voice("v") == FaceMatch("f1", 0.7, "")
    assert matches.add("f2", FACE, "v", VOICE, 0.9) is None  # either order
    assert matches.face_of_voice("v") == FaceMatch("f2", 0.9, "")


def test_a_match_through_a_person_scores_the_product_and_respects_the_threshold():
    matches = CandidateMatches(threshold=0.5)
    matches.add("v", VOICE, "p", PERSON, 0.9)
    matches.add("p", PERSON, "f", FACE, 0.8)
    found = matches.face_of_voice("v")
    assert found.face_id == "f" and found.via == "p" and found.confidence == pytest.approx(0.72)
    matches.add("p", PERSON, "f", FACE, 0.5)  # an update replaces the link: 0.45 < 0.5
    assert matches.face_of_voice("v") is None
    matches.add("v", VOICE, "f3", FACE, 0.4)  # a link below the threshold never counts
    assert matches.face_of_voice("v") is None


def test_confidence_zero_withdraws_and_forget_drops_an_id():
    matches = CandidateMatches()
    matches.add("v", VOICE, "f", FACE, 0.9)
    matches.add("v", VOICE, "f", FACE, 0.0)
    assert matches.face_of_voice("v") is None
    matches.add("v", VOICE, "p", PERSON, 1.0)
    matches.add("p", PERSON, "f", FACE, 1.0)
    matches.forget(FACE, "f")
    assert matches.face_of_voice("v") is None
    matches.add("v", VOICE, "p", PERSON, 0.0)
    assert matches.size == 0  # nothing left behind


@pytest.mark.parametrize(
    "args, problem",
    [
        (("v", VOICE, "v", VOICE, 0.5), "two different ids"),
        (("", VOICE, "f", FACE, 0.5), "two different ids"),
        (("v", 9, "f", FACE, 0.5), "unknown id type 9"),
        (("v", VOICE, "f", FACE, 1.5), "outside [0, 1]"),
        (("v", VOICE, "a/b", FACE, 0.9), "'a/b' cannot name a topic"),
        (("v", VOICE, "1abc", FACE, 0.9), "'1abc' cannot name a topic"),
    ],
)
def test_bad_matches_are_refused_with_a_reason(args, problem):
    matches = CandidateMatches()
    assert problem in matches.add(*args)
    assert matches.face_of_voice("v") is None


def test_an_expression_becomes_a_reading():
    reading = reading_of_expression("sad", 0.8, 5.0)
    assert reading.dominant_label == "sadness" and reading.scores == pytest.approx(
        {"sadness": 0.8, "neutral": 0.2}
    )
    assert reading_of_expression("furious", 1.0, 0.0).dominant_label == "anger"
    assert reading_of_expression("neutral", 0.6, 0.0).scores == {"neutral": 0.6}
    assert reading_of_expression("happy", 0.0, 0.0).confidence == 1.0  # none given
    assert reading_of_expression("happy", float("nan"), 0.0).confidence == 1.0
    assert reading_of_expression("bored", 0.9, 0.0) is None
