"""The bag core (no ROS): write/read round trip, MCAP readable by an independent decoder, timing."""

import struct

import numpy as np
import pytest
import yaml
from mcap.reader import make_reader
from mcap_ros2.decoder import DecoderFactory

from insideout_common.bags import BagReader, BagWriter
from insideout_common.bags.timing import (
    PlaybackTimeline,
    header_stamp_ns,
    restamp_header,
    start_time_ns,
)
from insideout_common.bags.typestore import UnknownMessageType, build_typestore, starts_with_header

T0 = 1_700_000_000 * 10**9


def write_sample_bag(path):
    with BagWriter(path) as writer:
        writer.add_topic("/insideout/dialogue", "insideout_msgs/msg/DialogueTurn")
        writer.add_topic("/audio", "audio_common_msgs/msg/AudioData")
        writer.add_topic("/audio_info", "audio_common_msgs/msg/AudioInfo", latched=True, depth=1)
        writer.add_topic("/camera/image_raw", "sensor_msgs/msg/Image", reliable=False)
        m = writer.message
        stamp = m("builtin_interfaces/msg/Time", sec=1_700_000_000, nanosec=5)
        header = m("std_msgs/msg/Header", stamp=stamp, frame_id="camera")
        emotion = m(
            "insideout_msgs/msg/EmotionState",
            header=header,
            face_detected=True,
            track_id=3,
            face_id="fabcd_3",
            face_roi=m(
                "sensor_msgs/msg/RegionOfInterest",
                x_offset=1,
                y_offset=2,
                width=3,
                height=4,
                do_rectify=False,
            ),
            labels=["anger", "happiness"],
            scores=np.array([0.25, 0.75], np.float32),
            raw_scores=np.array([0.5, 0.5], np.float32),
            dominant_label="happiness",
            confidence=0.75,
            valence=0.5,
            arousal=0.25,
            valence_arousal_predicted=False,
            window_duration=1.0,
            window_frames=10,
            model_name="m",
        )
        reply = m(
            "insideout_msgs/msg/AgentReply",
            agent="fear",
            model="smol",
            text="Careful ✓",
            ok=True,
            error="",
            latency=1.5,
            first_token_latency=0.5,
        )
        writer.write(
            "/insideout/dialogue",
            T0,
            m(
                "insideout_msgs/msg/DialogueTurn",
                header=header,
                turn_id=7,
                user_text="Hi",
                emotion=emotion,
                emotion_source="the latest EmotionState",
                agent_replies=[reply],
                agent_weights=np.array([1.0], np.float32),
                aggregation_strategy="llm",
                reply="Hello there",
                reply_source="aggregator",
                success=True,
                error_code=0,
                error_message="",
                reply_spoken="",
                latency=2.0,
                agents_latency=1.5,
                aggregator_first_token_latency=1.75,
                first_sentence_latency=1.875,
            ),
        )
        writer.write(
            "/audio_info",
            T0,
            m(
                "audio_common_msgs/msg/AudioInfo",
                channels=1,
                sample_rate=16000,
                sample_format="S16LE",
                bitrate=256000,
                coding_format="wave",
            ),
        )
        for i in range(3):
            writer.write(
                "/audio",
                T0 + (i + 1) * 32_000_000,
                m("audio_common_msgs/msg/AudioData", data=np.full(1024, i, np.uint8)),
            )
        image = np.arange(4 * 6 * 3, dtype=np.uint8)
        writer.write(
            "/camera/image_raw",
            T0 + 50_000_000,
            m(
                "sensor_msgs/msg/Image",
                header=header,
                height=4,
                width=6,
                encoding="rgb8",
                is_bigendian=0,
                step=18,
                data=image,
            ),
        )
        writer.set_custom_data("insideout.note", "round trip")


def test_round_trip_keeps_every_field_order_and_qos(tmp_path):
    bag = tmp_path / "bag"
    write_sample_bag(bag)
    with BagReader(bag) as reader:
        topics = reader.topics()
        assert {t: (i.msgtype, i.count) for t, i in topics.items()} == {
            "/insideout/dialogue": ("insideout_msgs/msg/DialogueTurn", 1),
            "/audio": ("audio_common_msgs/msg/AudioData", 3),
            "/audio_info": ("audio_common_msgs/msg/AudioInfo", 1),
            "/camera/image_raw": ("sensor_msgs/msg/Image", 1),
        }
        assert topics["/audio_info"].latched and not topics["/audio"].latched
        assert not topics["/camera/image_raw"].reliable and topics["/audio"].reliable
        assert reader.custom_data["insideout.note"] == "round trip"
        messages = list(reader.messages())
        assert [m.timestamp_ns - T0 for m in messages] == [
            0,
            0,
            32_000_000,
            50_000_000,
            64_000_000,
            96_000_000,
        ]
        turn = reader.deserialize(
            messages[0] if messages[0].topic == "/insideout/dialogue" else messages[1]
        )
        assert turn.reply == "Hello there" and turn.turn_id == 7
        assert turn.agent_replies[0].text == "Careful ✓"
        assert list(turn.emotion.scores) == [0.25, 0.75]
        assert turn.emotion.header.stamp.nanosec == 5
        audio = [reader.deserialize(m) for m in messages if m.topic == "/audio"]
        assert [int(a.data[0]) for a in audio] == [0, 1, 2] and len(audio[0].data) == 1024
        only_audio = list(reader.messages(["/audio"], start_ns=T0 + 40_000_000))
        assert [m.timestamp_ns - T0 for m in only_audio] == [64_000_000, 96_000_000]


def test_bag_is_standard_rosbag2_mcap_readable_without_rosbags(tmp_path):
    """What `ros2 bag play` and Foxglove rely on: metadata.yaml naming the MCAP storage, and MCAP
    channels with ros2msg schemas and CDR messages that a ROS 2 MCAP decoder understands."""
    bag = tmp_path / "bag"
    write_sample_bag(bag)
    metadata = yaml.safe_load((bag / "metadata.yaml").read_text())["rosbag2_bagfile_information"]
    assert metadata["storage_identifier"] == "mcap"
    assert metadata["version"] >= 8
    (mcap_file,) = [bag / p for p in metadata["relative_file_paths"]]
    assert mcap_file.suffix == ".mcap" and mcap_file.exists()
    with open(mcap_file, "rb") as stream:
        reader = make_reader(stream, decoder_factories=[DecoderFactory()])
        summary = reader.get_summary()
        assert {s.encoding for s in summary.schemas.values()} == {"ros2msg"}
        assert {c.message_encoding for c in summary.channels.values()} == {"cdr"}
        decoded = {
            channel.topic: message for _, channel, _, message in reader.iter_decoded_messages()
        }
    assert decoded["/insideout/dialogue"].emotion.dominant_label == "happiness"
    assert decoded["/audio_info"].sample_format == "S16LE"
    assert decoded["/camera/image_raw"].encoding == "rgb8"


def test_unknown_type_is_a_clear_error(tmp_path):
    with BagWriter(tmp_path / "bag") as writer:
        with pytest.raises(UnknownMessageType, match="no_such_pkg/msg/Thing"):
            writer.add_topic("/x", "no_such_pkg/msg/Thing")


def test_reader_refuses_a_directory_that_is_not_a_bag(tmp_path):
    with pytest.raises(FileNotFoundError, match="metadata.yaml"):
        BagReader(tmp_path)


def test_timeline_maps_bag_time_to_wall_time_with_rate():
    timeline = PlaybackTimeline(bag_start_ns=T0, wall_start=100.0, rate=2.0)
    assert timeline.wall_time_of(T0) == 100.0
    assert timeline.wall_time_of(T0 + 3 * 10**9) == pytest.approx(101.5)
    assert timeline.bag_time_at(101.5) == T0 + 3 * 10**9
    with pytest.raises(ValueError):
        PlaybackTimeline(T0, 0.0, rate=0.0)


def test_start_offset_is_clamped_to_the_bag():
    assert start_time_ns(T0, T0 + 10**10, 2.5) == T0 + 2_500_000_000
    assert start_time_ns(T0, T0 + 10**10, 99.0) == T0 + 10**10
    with pytest.raises(ValueError):
        start_time_ns(T0, T0 + 10**10, -1.0)


def test_restamp_patches_only_the_header_stamp():
    typestore = build_typestore()
    assert starts_with_header(typestore, "sensor_msgs/msg/Image")
    assert starts_with_header(typestore, "audio_common_msgs/msg/AudioDataStamped")
    assert not starts_with_header(typestore, "audio_common_msgs/msg/AudioData")
    Image = typestore.types["sensor_msgs/msg/Image"]
    Header = typestore.types["std_msgs/msg/Header"]
    Time = typestore.types["builtin_interfaces/msg/Time"]
    image = Image(
        header=Header(stamp=Time(sec=1, nanosec=2), frame_id="cam"),
        height=1,
        width=2,
        encoding="mono8",
        is_bigendian=0,
        step=2,
        data=np.array([7, 9], np.uint8),
    )
    cdr = bytes(typestore.serialize_cdr(image, "sensor_msgs/msg/Image"))
    patched = restamp_header(cdr, 1_800_000_000_123_456_789)
    assert header_stamp_ns(patched) == 1_800_000_000_123_456_789
    back = typestore.deserialize_cdr(patched, "sensor_msgs/msg/Image")
    assert (back.header.stamp.sec, back.header.stamp.nanosec) == (1_800_000_000, 123_456_789)
    assert back.header.frame_id == "cam" and list(back.data) == [7, 9]
    assert struct.unpack("<iI", cdr[4:12]) == (1, 2)  # the input is left alone
