"""The demo bag scripts/make_demo_bag.py generates (set-up writes it to data/demo_bag)."""

import subprocess
import sys

import numpy as np
import pytest
from support.ros_harness import REPO_ROOT

from insideout_common.bags import BagReader

SAMPLE_RATE, CHUNK_BYTES = 16000, 1024


@pytest.fixture(scope="module")
def demo_bag(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo_bag"
    subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "make_demo_bag.py"), str(path)],
        check=True,
        capture_output=True,
    )
    with BagReader(path) as reader:
        messages = {}
        for message in reader.messages():
            messages.setdefault(message.topic, []).append(
                (message.timestamp_ns, reader.deserialize(message))
            )
        yield reader, messages


def test_topics_and_types_are_what_a_camera_and_audio_capture_publish(demo_bag):
    reader, _ = demo_bag
    topics = {name: info.msgtype for name, info in reader.topics().items()}
    assert topics == {
        "/camera/image_raw": "sensor_msgs/msg/Image",
        "/audio": "audio_common_msgs/msg/AudioData",
        "/audio_stamped": "audio_common_msgs/msg/AudioDataStamped",
        "/audio_info": "audio_common_msgs/msg/AudioInfo",
    }
    assert reader.topics()["/audio_info"].latched


def test_audio_is_wave_s16le_16k_mono_in_real_time_chunks(demo_bag):
    reader, messages = demo_bag
    infos = [m for _, m in messages["/audio_info"]]
    assert all(
        (i.channels, i.sample_rate, i.sample_format, i.coding_format)
        == (1, SAMPLE_RATE, "S16LE", "wave")
        for i in infos
    )
    chunks = messages["/audio"]
    assert all(len(m.data) == CHUNK_BYTES for _, m in chunks)
    # Each chunk is stamped when its last sample was captured: 32 ms apart, from bag start.
    start = reader.start_time_ns
    stamps = np.array([t for t, _ in chunks]) - start
    expected = (np.arange(len(chunks)) + 1) * CHUNK_BYTES // 2 * 1_000_000_000 // SAMPLE_RATE
    assert np.abs(stamps - expected).max() <= 1
    stamped = messages["/audio_stamped"]
    assert len(stamped) == len(chunks)
    for (t, plain), (t2, with_header) in zip(chunks, stamped):
        assert t == t2 and bytes(plain.data) == bytes(with_header.audio.data)
        assert with_header.header.stamp.sec * 10**9 + with_header.header.stamp.nanosec == t


def test_question_is_speech_between_quiet_stretches(demo_bag):
    reader, messages = demo_bag
    facts = reader.custom_data
    pcm = np.frombuffer(b"".join(bytes(m.data) for _, m in messages["/audio"]), "<i2") / 32768.0
    first, last = (
        int(facts["insideout.speech_start_sample"]),
        int(facts["insideout.speech_end_sample"]),
    )
    rms = lambda x: float(np.sqrt(np.mean(x**2)))  # noqa: E731
    assert last - first > SAMPLE_RATE  # a sentence, not a click
    assert rms(pcm[first:last]) > 20 * rms(pcm[:first])
    trailing = pcm[last:]
    assert len(trailing) >= 2 * SAMPLE_RATE and rms(trailing) < 0.01, "a VAD needs the silence"
    assert rms(pcm[:first]) > 0, "a real microphone is never digitally silent"
    assert "celebrate" in facts["insideout.question"]


def test_camera_shows_two_real_faces_moving(demo_bag):
    reader, messages = demo_bag
    frames = messages["/camera/image_raw"]
    assert len(frames) >= 100
    times = np.diff([t for t, _ in frames]) / 1e9
    assert np.allclose(times, 0.1), "10 fps"
    image = lambda m: np.asarray(m.data, np.uint8).reshape(m.height, m.width, 3)  # noqa: E731
    first = frames[0][1]
    assert (first.encoding, first.width, first.height, first.step) == ("rgb8", 640, 480, 1920)
    assert first.header.frame_id == "camera_optical_frame"
    # The face drifts: consecutive frames of the same photo differ, the wall around stays.
    a, b = image(frames[10][1]), image(frames[15][1])
    assert np.any(a != b)
    # The person changes at 3 s (Grace Hopper, then the astronaut).
    faces = reader.custom_data["insideout.faces"]
    assert faces.startswith("grace_hopper:0.0-3.0,astronaut:3.0-")
    assert np.abs(image(frames[25][1]).astype(int) - image(frames[35][1]).astype(int)).mean() > 20
