"""The reply queue is bounded and says why a reply was refused; the playback clock paces chunks."""

import pytest

from insideout_common.warning_throttle import WarningThrottle
from insideout_dialogue.core.playback_clock import PlaybackClock
from insideout_dialogue.core.reply_queue import ReplyQueue


def test_replies_come_out_in_order():
    queue = ReplyQueue(max_replies=5)
    for text in ("first", "second", "third"):
        assert queue.offer(text).accepted
    assert [queue.take(0.01).text for _ in range(3)] == ["first", "second", "third"]
    assert queue.take(0.01) is None


@pytest.mark.parametrize("bad", ["", "   \n\t ", "...!?", None, 42])
def test_empty_or_non_text_replies_are_refused_with_a_reason(bad):
    admission = ReplyQueue().offer(bad)
    assert not admission.accepted
    assert admission.warning and admission.kind in ("empty", "unspeakable", "not_text")


def test_a_full_queue_refuses_new_replies_and_names_them():
    queue = ReplyQueue(max_replies=2)
    assert queue.offer("one").accepted and queue.offer("two").accepted
    admission = queue.offer("three is one too many")
    assert not admission.accepted
    assert (
        "max_queued_replies=2" in admission.warning and "three is one too many" in admission.warning
    )
    assert len(queue) == 2


def test_an_over_long_reply_is_shortened_with_a_warning():
    queue = ReplyQueue(max_chars=100)
    reply = "This is a sentence. " * 500  # 10,000 characters
    admission = queue.offer(reply)
    assert admission.accepted
    assert "10000 characters" in admission.warning and "max_reply_chars=100" in admission.warning
    kept = queue.take(0.01).text
    assert len(kept) <= 100 and kept.endswith("sentence.")


def test_clear_drops_everything():
    queue = ReplyQueue()
    queue.offer("a")
    queue.offer("b")
    assert queue.clear() == 2 and len(queue) == 0


class FakeTime:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_clock_sends_each_chunk_lead_seconds_before_it_plays():
    time = FakeTime()
    clock = PlaybackClock(lead_seconds=0.2, now=time)
    assert clock.send_delay() == 0.0
    assert clock.advance(0.1) == 100.0  # first chunk plays at once
    assert clock.send_delay() == 0.0  # the second is due at 100.1, within the lead
    assert clock.advance(0.1) == pytest.approx(100.1)
    assert clock.advance(0.1) == pytest.approx(100.2)
    # Three chunks sent, 0.3 s of audio: the fourth (due at 100.3) waits until 100.1.
    assert clock.send_delay() == pytest.approx(0.1)
    assert clock.playing()
    time.now = 100.35
    assert not clock.playing() and clock.end_time == pytest.approx(100.3)


def test_clock_restarts_after_a_gap():
    time = FakeTime()
    clock = PlaybackClock(lead_seconds=0.0, now=time)
    clock.advance(0.5)
    time.now = 105.0  # the player ran dry; the next chunk plays now, not in the past
    assert clock.advance(0.1) == 105.0
    assert clock.end_time == pytest.approx(105.1)


def test_warnings_are_throttled_per_kind_and_the_held_back_ones_are_counted():
    time = FakeTime()
    throttle = WarningThrottle(period=2.0, now=time)
    assert throttle.filter("empty", "empty reply") == "empty reply"
    assert throttle.filter("empty", "empty reply") is None
    assert throttle.filter("empty", "empty reply") is None
    # A different problem is not hidden by the flood of the first.
    assert throttle.filter("queue_full", "queue full") == "queue full"
    time.now += 2.5
    assert (
        throttle.filter("empty", "empty reply")
        == "empty reply (2 more like this since the last one logged)"
    )
