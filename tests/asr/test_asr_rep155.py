"""asr_node's REP-155 (ROS4HRI) voice over DDS, read back with hri_msgs types as a ROS4HRI
application (libhri: reliable, volatile subscriptions) reads it."""

from lifecycle_msgs.msg import Transition
from std_msgs.msg import Bool
from support.lifecycle_client import Lifecycle
from support.ros_harness import wait_until
from support.word_error_rate import word_error_rate

from hri_msgs.msg import IdsList, LiveSpeech
from insideout_common.pcm import encode_s16le
from insideout_common.ros.qos import RELIABLE_EVENTS
from insideout_msgs.msg import Transcript

from .audio_capture_publisher import AudioCapturePublisher
from .speech_audio import SENTENCES
from .test_asr_node import spoken, start_asr, wait_finals

VOICE = "/humans/voices/anonymous_speaker"


def test_speech_reads_back_as_rep155_live_speech_of_the_tracked_voice(ros, spawn_node):
    tracked = ros.collect(IdsList, "/humans/voices/tracked")
    speech = ros.collect(LiveSpeech, VOICE + "/speech")
    is_speaking = ros.collect(Bool, VOICE + "/is_speaking")
    transcripts = ros.collect(Transcript, "/insideout/transcript", RELIABLE_EVENTS)
    # Two sentences, two utterances (no continuation, as when the robot answers the first).
    node = start_asr(
        spawn_node, publish_partials=True, partial_period_s=0.5, continuation_window_s=0.0
    )
    assert tracked.wait_for(lambda m: list(m.ids) == ["anonymous_speaker"], 10) is not None, (
        node.output()
    )
    assert ros.wait_for_publishers(VOICE + "/speech") and ros.wait_for_publishers(
        VOICE + "/is_speaking"
    )

    mic = AudioCapturePublisher(ros)
    mic.wait_for_node()
    sentences = SENTENCES[1:3]
    mic.send(encode_s16le(spoken([sentences[0].replace(".", ","), sentences[1]])), speed=1.0)
    got = wait_finals(transcripts, 2)
    assert wait_until(lambda: sum(bool(m.final) for m in speech.snapshot()) >= 2, 10), (
        speech.snapshot()
    )

    finals = [m for m in speech.snapshot() if m.final]
    assert [m.final for m in finals] == [m.text for m in got]
    assert all(word_error_rate(s, m.final) < 0.2 for s, m in zip(sentences, finals)), finals
    for message in finals:
        assert (
            message.incremental == message.final
        )  # the last words, for a listener to either field
        # hri_msgs 2.2+ calls it locale, older ones language (the node fills what exists).
        assert 0.0 < message.confidence <= 1.0
        assert "en" in (getattr(message, "locale", None), getattr(message, "language", None))
        assert message.header.stamp.sec > 0
    partials = [m for m in speech.snapshot() if not m.final]
    assert partials and all(m.incremental for m in partials)
    assert speech.snapshot().index(partials[0]) < speech.snapshot().index(finals[0])
    flags = [m.data for m in is_speaking.snapshot()]
    assert flags.count(True) >= 2 and flags[-1] is False, flags

    # Paused, the voice is no longer tracked and its topics go; active again, they come back.
    lifecycle = Lifecycle(ros, "asr_node")
    assert lifecycle.wait_for_services(10.0)

    def tracked_after(count, ids):  # a message newer than the first `count` ones
        return lambda: any(list(m.ids) == ids for m in tracked.snapshot()[count:])

    before = len(tracked.snapshot())
    assert lifecycle.transition(Transition.TRANSITION_DEACTIVATE)
    assert wait_until(tracked_after(before, []), 10)
    assert wait_until(lambda: ros.node.count_publishers(VOICE + "/speech") == 0, 10)
    before = len(tracked.snapshot())
    assert lifecycle.transition(Transition.TRANSITION_ACTIVATE)
    assert wait_until(tracked_after(before, ["anonymous_speaker"]), 10)
    assert ros.wait_for_publishers(VOICE + "/speech")
    assert node.stop() == 0


def test_with_rep155_off_nothing_is_published_under_humans(ros, spawn_node):
    node = start_asr(spawn_node, rep155=False)
    assert ros.wait_for_publishers("/insideout/transcript")
    topics = [
        name for name, _ in ros.node.get_topic_names_and_types() if name.startswith("/humans")
    ]
    assert topics == [], topics
    assert node.stop() == 0
