"""Time-based smoothing and the face-loss timeout, with synthetic timestamps."""

import numpy as np
import pytest

from insideout_common.emotions import LABEL_INDEX, LABELS
from insideout_perception.core.circumplex import estimate_valence_arousal
from insideout_perception.core.emotion_smoothing import EmotionSmoother


def one_hot(label):
    scores = np.zeros(len(LABELS))
    scores[LABEL_INDEX[label]] = 1.0
    return scores


def test_single_frame_is_reported_as_is():
    state = EmotionSmoother(0.75).add(10.0, 1, one_hot("fear"), -0.6, 0.6)
    assert state.face_detected and state.dominant_label == "fear" and state.confidence == 1.0
    assert (state.valence, state.arousal, state.window_frames, state.stamp) == (-0.6, 0.6, 1, 10.0)


def test_window_is_in_seconds_not_frames():
    smoother = EmotionSmoother(window=0.48)
    for i in range(30):  # 1 s of sadness at 30 frames/s
        smoother.add(i / 30, 1, one_hot("sadness"), -0.6, -0.3)
    for i in range(30, 45):  # then 0.5 s of happiness: more than the window
        state = smoother.add(i / 30, 1, one_hot("happiness"), 0.8, 0.5)
    assert state.dominant_label == "happiness"
    assert state.scores[LABEL_INDEX["happiness"]] == pytest.approx(1.0)
    assert state.window_frames == 15


def test_scores_mix_in_proportion_to_time_within_the_window():
    smoother = EmotionSmoother(window=1.0)
    stamps = np.arange(0, 3.0, 0.1)
    for stamp in stamps:
        label = "happiness" if stamp < 2.45 else "surprise"
        state = smoother.add(
            float(stamp), 1, one_hot(label), 1.0 if label == "happiness" else 0.0, 0.0
        )
    # Window (1.9, 2.9]: happiness 1.9..2.4 (5 intervals), surprise 2.5..2.9 (5 intervals).
    assert state.scores[LABEL_INDEX["happiness"]] == pytest.approx(0.5)
    assert state.scores[LABEL_INDEX["surprise"]] == pytest.approx(0.5)
    assert state.valence == pytest.approx(0.5)
    assert state.scores.sum() == pytest.approx(1.0)


def test_variable_frame_rate_does_not_let_a_burst_outvote_steady_frames():
    smoother = EmotionSmoother(window=1.0)
    # 0.5 s of anger at 4 frames/s, then 0.5 s of neutral at 60 frames/s.
    for stamp in np.arange(0.0, 0.5, 0.25):
        smoother.add(float(stamp), 1, one_hot("anger"), -0.5, 0.6)
    for stamp in np.arange(0.5, 1.0, 1 / 60):
        state = smoother.add(float(stamp), 1, one_hot("neutral"), 0.0, 0.0)
    anger = state.scores[LABEL_INDEX["anger"]]
    # Counting frames would give anger 2/32 = 6 %; by time it holds about half the window.
    assert 0.4 < anger < 0.6


def test_dropped_frames_are_covered_by_the_next_frame():
    smoother = EmotionSmoother(window=1.0)
    for stamp in np.arange(0.0, 0.6, 0.1):
        smoother.add(float(stamp), 1, one_hot("sadness"), -0.6, -0.3)
    # Frames 0.6 .. 0.9 dropped; the frame at 1.0 stands for that gap.
    state = smoother.add(1.0, 1, one_hot("happiness"), 0.8, 0.5)
    assert state.scores[LABEL_INDEX["happiness"]] == pytest.approx(0.5)
    assert state.window_frames == 6


def test_old_samples_leave_the_window():
    smoother = EmotionSmoother(window=0.75)
    smoother.add(0.0, 1, one_hot("anger"), -0.5, 0.6)
    state = smoother.add(5.0, 1, one_hot("happiness"), 0.8, 0.5)
    assert state.dominant_label == "happiness" and state.window_frames == 1
    assert state.scores[LABEL_INDEX["anger"]] == 0.0


def test_a_new_track_starts_a_fresh_window():
    smoother = EmotionSmoother(window=2.0)
    for i in range(10):
        smoother.add(i * 0.05, 1, one_hot("anger"), -0.5, 0.6)
    state = smoother.add(0.55, 2, one_hot("happiness"), 0.8, 0.5)
    assert state.track_id == 2 and state.window_frames == 1
    assert state.scores[LABEL_INDEX["anger"]] == 0.0


def test_time_going_backwards_restarts_the_window():
    smoother = EmotionSmoother(window=1.0)
    smoother.add(100.0, 1, one_hot("anger"), -0.5, 0.6)
    state = smoother.add(3.0, 1, one_hot("happiness"), 0.8, 0.5)
    assert state.window_frames == 1 and state.dominant_label == "happiness" and state.stamp == 3.0


def test_short_face_loss_holds_the_state():
    smoother = EmotionSmoother(window=0.75, face_loss_timeout=1.0)
    for i in range(10):
        smoother.add(i / 10, 4, one_hot("surprise"), 0.4, 0.7)
    held = smoother.no_face(1.5)  # 0.6 s after the last face frame
    assert held.face_detected and held.track_id == 4 and held.dominant_label == "surprise"
    assert held.stamp == pytest.approx(0.9)  # still the newest frame in the window


def test_face_lost_longer_than_the_timeout_reports_no_face():
    smoother = EmotionSmoother(window=0.75, face_loss_timeout=1.0)
    for i in range(10):
        smoother.add(i / 10, 4, one_hot("surprise"), 0.4, 0.7)
    assert smoother.no_face(1.8).face_detected  # 0.9 s: still held
    lost = smoother.no_face(2.0)  # 1.1 s after the last face frame
    assert not lost.face_detected and lost.track_id == 0 and lost.dominant_label == ""
    assert lost.confidence == 0.0 and not lost.scores.any() and lost.stamp == 2.0
    assert not smoother.has_face
    # The old emotion is gone: a face coming back starts from scratch.
    back = smoother.add(2.1, 5, one_hot("neutral"), 0.0, 0.0)
    assert back.window_frames == 1 and back.dominant_label == "neutral"


def test_no_face_from_the_start():
    state = EmotionSmoother().no_face(3.0)
    assert not state.face_detected and state.scores.shape == (len(LABELS),)


def test_circumplex_estimate_places_emotions_in_their_quadrants():
    happy = estimate_valence_arousal(one_hot("happiness"))
    sad = estimate_valence_arousal(one_hot("sadness"))
    angry = estimate_valence_arousal(one_hot("anger"))
    assert happy[0] > 0.5 and happy[1] > 0
    assert sad[0] < -0.3 and sad[1] < 0
    assert angry[0] < 0 and angry[1] > 0.3
    assert estimate_valence_arousal(one_hot("neutral")) == (0.0, 0.0)
    mixed = estimate_valence_arousal(0.5 * one_hot("happiness") + 0.5 * one_hot("sadness"))
    assert mixed[0] == pytest.approx((happy[0] + sad[0]) / 2)
    with pytest.raises(ValueError):
        estimate_valence_arousal([1.0, 0.0])


def test_rate_limit_lets_a_jittery_camera_at_the_limit_through_without_waiting():
    from insideout_perception.core.frame_rate_limit import FrameRateLimiter

    limiter = FrameRateLimiter(30.0, now=0.0)
    rng = np.random.default_rng(3)
    now = 0.0
    for _ in range(300):
        now += 1 / 30 + rng.uniform(-0.004, 0.004)
        assert limiter.wait_time(now) == 0.0
        limiter.take(now)


def test_rate_limit_caps_a_fast_camera_at_max_rate():
    from insideout_perception.core.frame_rate_limit import FrameRateLimiter

    limiter = FrameRateLimiter(10.0, now=0.0)
    now, processed = 0.0, 0
    while now < 3.0:  # frames every 10 ms for 3 s, processed only when allowed
        if limiter.wait_time(now) == 0.0:
            limiter.take(now)
            processed += 1
        now += 0.01
    assert 29 <= processed <= 32  # 10 per second, plus the burst of two
    assert FrameRateLimiter(0.0, now=0.0).wait_time(0.0) == 0.0  # 0 = unlimited
