"""The one warning throttle (insideout_common.warning_throttle) every node logs through."""

from insideout_common.warning_throttle import WarningThrottle, kind_of


class FakeClock:  # a settable monotonic clock, so the test does not sleep
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_same_problem_with_other_numbers_is_one_kind():
    assert kind_of("dropped a 640x480 frame after 12.5 ms") == kind_of(
        "dropped a 320x240 frame after 3 ms"
    )
    assert kind_of("empty audio chunk ignored") != kind_of("audio dropped: bad format")


def test_held_back_messages_are_counted_in_the_next_one_and_kinds_have_own_budgets():
    clock = FakeClock()
    throttle = WarningThrottle(period=5.0, now=clock)
    assert throttle.filter("", "frame 1 dropped") == "frame 1 dropped"
    assert throttle.filter("", "frame 2 dropped") is None
    assert throttle.filter("", "another problem") == "another problem"
    clock.now += 5.0
    assert (
        throttle.filter("", "frame 3 dropped")
        == "frame 3 dropped (1 more like this since the last one logged)"
    )


def test_an_explicit_kind_is_one_budget_for_different_texts_and_kinds_never_share_one():
    """How fer_node throttles bad frames: per kind of problem, whatever the frame's details."""
    clock = FakeClock()
    throttle = WarningThrottle(period=5.0, now=clock)
    assert (
        throttle.filter("bad frame: unsupported_encoding", "unsupported encoding 'nv12'")
        is not None
    )
    assert (
        throttle.filter("bad frame: unsupported_encoding", "unsupported encoding 'bayer_rggb8'")
        is None
    )
    assert throttle.filter("bad frame: zero_size", "empty image: 0x0 pixels") is not None
    assert throttle.filter("bad frame: zero_size", "empty image: 0x64 pixels") is None
    clock.now += 5.0
    assert throttle.filter("bad frame: unsupported_encoding", "unsupported encoding 'yuv420'") == (
        "unsupported encoding 'yuv420' (1 more like this since the last one logged)"
    )


def test_a_longer_period_for_one_kind():
    clock = FakeClock()
    throttle = WarningThrottle(period=5.0, now=clock)
    assert throttle.filter("silence", "silent for 30 s", period=30.0) is not None
    clock.now += 10.0
    assert throttle.filter("silence", "silent for 40 s", period=30.0) is None
    clock.now += 20.0
    assert throttle.filter("silence", "silent for 60 s", period=30.0).endswith(
        "(1 more like this since the last one logged)"
    )


def test_a_ros_logger_takes_warnings_and_errors_through_one_throttled_log():
    """rclpy refuses a call site that logs at two severities; ThrottledLog has one per severity."""
    from rclpy.logging import get_logger

    from insideout_common.ros.throttled_log import ThrottledLog

    log = ThrottledLog(get_logger("throttled_log_test"))
    log.warning("first problem")
    log.error("second problem")
    log.warning("third problem")
    assert log.last_message == "third problem"
