"""Every interface type crosses DDS between two processes with every field intact."""

import pytest
from support.sample_messages import TOPIC_SAMPLES
from support.script_process import ScriptProcess


@pytest.fixture
def sample_publisher():
    process = ScriptProcess("publish_samples.py")
    yield process
    process.stop()


def test_every_message_type_round_trips_between_processes(ros, sample_publisher):
    collectors = {
        topic: ros.collect(msg_type, topic) for topic, (msg_type, _) in TOPIC_SAMPLES.items()
    }
    missing = []
    for topic, collector in collectors.items():
        received = collector.wait_for(timeout=30.0)
        if received is None:
            missing.append(topic)
            continue
        expected = TOPIC_SAMPLES[topic][1]()
        assert received == expected, f"{topic}: received {received}\nexpected {expected}"
    assert not missing, f"nothing received on {missing}; publisher said:\n{sample_publisher.stop()}"


def test_audio_common_msgs_match_the_ros_drivers_field_lists():
    # Wire compatibility with ros-drivers/audio_common depends on names, types and order.
    from audio_common_msgs.msg import AudioData, AudioDataStamped, AudioInfo

    assert AudioData.get_fields_and_field_types() == {"data": "sequence<uint8>"}
    assert AudioDataStamped.get_fields_and_field_types() == {
        "header": "std_msgs/Header",
        "audio": "audio_common_msgs/AudioData",
    }
    assert list(AudioInfo.get_fields_and_field_types().items()) == [
        ("channels", "uint8"),
        ("sample_rate", "uint32"),
        ("sample_format", "string"),
        ("bitrate", "uint32"),
        ("coding_format", "string"),
    ]


def test_hri_msgs_match_the_ros4hri_field_lists():
    # Wire compatibility with ros4hri/hri_msgs (ROS 2) depends on names, types and order.
    from hri_msgs.msg import Expression, IdsList, IdsMatch, LiveSpeech, NormalizedRegionOfInterest2D

    header = ("header", "std_msgs/Header")
    assert list(Expression.get_fields_and_field_types().items()) == [
        header,
        ("expression", "string"),
        ("valence", "float"),
        ("arousal", "float"),
        ("confidence", "float"),
    ]
    assert list(IdsList.get_fields_and_field_types().items()) == [
        header,
        ("ids", "sequence<string>"),
    ]
    assert list(IdsMatch.get_fields_and_field_types().items()) == [
        ("id1", "string"),
        ("id1_type", "int8"),
        ("id2", "string"),
        ("id2_type", "int8"),
        ("confidence", "float"),
    ]
    # hri_msgs 2.2 renamed language to locale; the stand-in follows 2.2+, a distro may be older.
    assert list(LiveSpeech.get_fields_and_field_types().items()) in (
        [
            header,
            ("incremental", "string"),
            ("final", "string"),
            ("confidence", "double"),
            ("locale", "string"),
        ],
        [
            header,
            ("incremental", "string"),
            ("final", "string"),
            ("confidence", "double"),
            ("language", "string"),
        ],
    )
    assert list(NormalizedRegionOfInterest2D.get_fields_and_field_types().items()) == [
        header,
        ("xmin", "float"),
        ("ymin", "float"),
        ("xmax", "float"),
        ("ymax", "float"),
        ("c", "float"),
    ]
    assert (IdsMatch.PERSON, IdsMatch.FACE, IdsMatch.VOICE) == (1, 2, 4)
    assert Expression.SCARED == "scared"
