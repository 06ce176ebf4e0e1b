"""The frame subscription's reliability rule (core, no ROS)."""

import pytest

from insideout_common.frame_reliability import (
    AUTO,
    BEST_EFFORT,
    RELIABLE,
    subscription_reliability,
)


def test_auto_is_reliable_only_when_every_camera_is():
    assert subscription_reliability(AUTO, [RELIABLE]) == RELIABLE
    assert subscription_reliability(AUTO, [RELIABLE, RELIABLE]) == RELIABLE
    assert subscription_reliability(AUTO, [RELIABLE, BEST_EFFORT]) == BEST_EFFORT  # matches both
    assert subscription_reliability(AUTO, [BEST_EFFORT]) == BEST_EFFORT
    assert subscription_reliability(AUTO, []) == BEST_EFFORT  # no camera yet: match any


def test_an_explicit_setting_wins_over_the_offers():
    assert subscription_reliability(BEST_EFFORT, [RELIABLE]) == BEST_EFFORT
    assert subscription_reliability(RELIABLE, [BEST_EFFORT]) == RELIABLE


def test_an_unknown_setting_is_refused():
    with pytest.raises(ValueError):
        subscription_reliability("sometimes", [])
