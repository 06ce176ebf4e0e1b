"""The one seconds <-> builtin_interfaces/Time conversion the nodes share."""

from builtin_interfaces.msg import Time

from insideout_common.ros.time_conversion import seconds_from_stamp, stamp_from_seconds


def test_rounding_carries_into_seconds():
    assert stamp_from_seconds(1.9999999997) == Time(sec=2, nanosec=0)
    assert stamp_from_seconds(1.5) == Time(sec=1, nanosec=500_000_000)
    assert stamp_from_seconds(0.0) == Time(sec=0, nanosec=0)


def test_negative_times_become_zero():
    assert stamp_from_seconds(-3.2) == Time(sec=0, nanosec=0)


def test_round_trip_of_todays_stamps_within_a_microsecond():
    for seconds in (1_796_395_629.321516798, 1_600_000_001.2, 12.000000001):
        assert abs(seconds_from_stamp(stamp_from_seconds(seconds)) - seconds) < 1e-6
    stamp = Time(sec=1_796_395_629, nanosec=999_999_999)
    back = stamp_from_seconds(seconds_from_stamp(stamp))
    assert 0 <= back.nanosec < 1_000_000_000
    assert abs((back.sec - stamp.sec) * 1_000_000_000 + back.nanosec - stamp.nanosec) < 1_000
