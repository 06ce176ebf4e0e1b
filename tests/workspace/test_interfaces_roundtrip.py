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
    collectors = {topic: ros.collect(msg_type, topic) for topic, (msg_type, _) in TOPIC_SAMPLES.items()}
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
        "header": "std_msgs/Header", "audio": "audio_common_msgs/AudioData"}
    assert list(AudioInfo.get_fields_and_field_types().items()) == [
        ("channels", "uint8"), ("sample_rate", "uint32"), ("sample_format", "string"),
        ("bitrate", "uint32"), ("coding_format", "string")]
