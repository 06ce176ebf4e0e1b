"""FrameStampOrder: fer_node's published stamps never go back, yet a reset camera clock is
followed."""

import pytest

from insideout_perception.core.frame_order import FrameStampOrder


def test_frames_in_capture_order_are_all_admitted_and_repeats_of_the_newest_too():
    order = FrameStampOrder(late_window=1.0)
    assert [order.admit(s, s + 0.01) for s in (10.0, 10.033, 10.066)] == [True, True, True]
    assert order.admit(10.066, 10.2)  # the same frame again (a best-effort resend) is not late


def test_a_frame_delivered_after_a_newer_one_is_late():
    order = FrameStampOrder(late_window=1.0)
    assert order.admit(10.066, 10.07)
    assert not order.admit(10.033, 10.08)
    assert not order.admit(9.1, 10.09)  # 0.966 s back: still within the window


def test_a_frame_far_further_back_means_the_camera_clock_was_reset():
    order = FrameStampOrder(late_window=1.0)
    assert order.admit(100.0, 5.0)
    assert order.admit(3.0, 5.1)  # a looping bag starts again
    assert order.admit(3.033, 5.13) and not order.admit(3.0, 5.14)


def test_unstamped_frames_are_always_admitted():
    order = FrameStampOrder()
    assert order.admit(0.0, 1.0) and order.admit(0.0, 0.5)
    assert order.loss_report_stamp(3.0) is None


def test_the_loss_report_is_stamped_in_the_camera_time_base():
    order = FrameStampOrder(late_window=1.0)
    # The camera's clock runs 500 s behind this machine's monotonic clock; it does not matter.
    assert order.admit(1000.0, 1500.02)
    assert order.loss_report_stamp(1501.27) == pytest.approx(1001.25)


def test_frames_captured_before_the_loss_report_are_late_and_later_ones_resume():
    order = FrameStampOrder(late_window=1.0)
    assert order.admit(10.0, 10.0)
    report = order.loss_report_stamp(11.2)
    assert report == pytest.approx(11.2)
    # A stalled driver delivers what it captured during the stall: behind the report, dropped.
    assert not order.admit(10.5, 11.3) and not order.admit(11.19, 11.31)
    assert order.admit(11.25, 11.35)
    assert not order.admit(11.21, 11.36)  # and the newest frame rules again


def test_late_window_must_be_positive():
    with pytest.raises(ValueError):
        FrameStampOrder(late_window=0.0)


def test_the_newest_frame_delivered_by_two_subscriptions_is_taken_once():
    # While one frame subscription replaces another, both may deliver the same frame.
    order = FrameStampOrder()
    assert order.admit(100.0, 1.0, source=1)
    assert not order.admit(100.0, 1.001, source=2)
    assert order.admit(100.033, 1.033, source=2)
    assert order.admit(100.033, 1.05, source=2)  # a resend on the same subscription still is
