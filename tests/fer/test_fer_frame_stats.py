"""fer_node's frame accounting (core.fer_frame_stats): what its /diagnostics report says."""

from insideout_perception.core.fer_frame_stats import FrameStats


def test_a_steady_stream_reports_its_rate_latency_and_stages():
    stats = FrameStats()
    for k in range(31):  # 30 frames/s for 1 s, 20 ms from arrival to published
        t = 100.0 + k / 30
        stats.frame_received(t)
        stats.frame_processed(
            received=t,
            started=t + 0.002,
            decoded=t + 0.004,
            done=t + 0.020,
            detection_s=0.010,
            classification_s=0.006,
        )
    now = 100.0 + 1.0 + 0.020
    values = stats.values(now)
    assert values["processed_rate_hz"] == "30.0"
    assert values["latency_p50_ms"] == "20.0" and values["latency_p95_ms"] == "20.0"
    assert values["stage_p50_ms"] == "wait 2.0, decode 2.0, detect 10.0, expression 6.0"
    assert values["frames_received"] == values["frames_processed"] == 31
    assert stats.health(now, "/camera") == (True, "30.0 frames/s")


def test_bad_frames_warn_once_per_report_and_silence_warns_until_frames_come():
    stats = FrameStats()
    assert stats.health(0.0, "/camera") == (False, "no frames on /camera for 5 s")
    assert stats.values(0.0)["latency_p50_ms"] == "n/a"
    stats.frame_received(1.0)
    stats.frame_rejected("data holds 3 bytes, fewer than height x step", "data_too_short")
    stats.frame_rejected("data holds 3 bytes, fewer than height x step", "data_too_short")
    assert stats.health(1.5, "/camera") == (
        False,
        "2 bad frame(s) dropped: data holds 3 bytes, fewer than height x step",
    )
    healthy, _ = stats.health(2.0, "/camera")
    assert healthy, "the next report period starts clean"
    assert stats.values(2.0)["frames_rejected_bad_input"] == 2
    assert stats.health(7.0, "/camera")[0] is False, "no frame for over 5 s"


def test_rejected_frames_are_counted_overall_and_per_kind_of_problem():
    stats = FrameStats()
    assert not [
        key
        for key in stats.values(0.0)
        if key.startswith("frames_rejected_") and key != "frames_rejected_bad_input"
    ], "no key for a problem not seen"
    for problem, reason in [
        ("unsupported encoding 'nv12'", "unsupported_encoding"),
        ("empty image: 0x0 pixels", "zero_size"),
        ("unsupported encoding 'bayer_rggb8'", "unsupported_encoding"),
        ("corrupt JPEG: truncated", "truncated"),
    ]:
        stats.frame_rejected(problem, reason)
    values = stats.values(1.0)
    assert values["frames_rejected_bad_input"] == 4
    assert {
        key: value
        for key, value in values.items()
        if key.startswith("frames_rejected_") and key != "frames_rejected_bad_input"
    } == {
        "frames_rejected_unsupported_encoding": 2,
        "frames_rejected_zero_size": 1,
        "frames_rejected_truncated": 1,
    }
    assert values["last_problem"] == "corrupt JPEG: truncated"
    stats.health(1.0, "/camera")
    assert stats.values(2.0)["frames_rejected_zero_size"] == 1, "counts are totals, not per report"


def test_last_activity_is_the_latest_arrival_or_publication():
    stats = FrameStats()
    assert stats.last_activity() is None
    stats.frame_received(5.0)
    assert stats.last_activity() == 5.0
    stats.frame_received(5.3, admitted=False)  # a late frame: the camera is not keeping up
    assert stats.last_activity() == 5.0 and stats.received == 2
    stats.frame_processed(5.0, 5.1, 5.2, 5.6, 0.2, 0.1)
    assert stats.last_activity() == 5.6
    stats.frame_skipped()
    stats.frame_failed("processing failed: ValueError: x")
    assert stats.values(6.0)["frames_skipped_newer_arrived"] == 1
    assert stats.values(6.0)["last_problem"] == "processing failed: ValueError: x"
