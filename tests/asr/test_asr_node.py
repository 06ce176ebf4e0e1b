"""asr_node over DDS: the installed executable in its own process, fed like audio_capture feeds
it."""

import numpy as np
import pytest
from diagnostic_msgs.msg import DiagnosticArray
from std_msgs.msg import Bool
from support.ros_harness import wait_until
from support.word_error_rate import normalised_words, word_error_rate

from audio_common_msgs.msg import AudioData
from insideout_common.pcm import encode_s16le, resample
from insideout_common.ros.qos import LATCHED_STATE, RELIABLE_EVENTS
from insideout_msgs.msg import Transcript

from .audio_capture_publisher import AudioCapturePublisher
from .speech_audio import SAMPLE_RATE, SENTENCES, silence, speak, voiced_bounds, white_noise

READY = "asr_node ready"


def start_asr(spawn_node, **params):
    node = spawn_node("insideout_perception", "asr_node", params=params)
    assert node.wait_for_output(READY, 60), node.output()
    return node


def finals(collector):
    return [m for m in collector.snapshot() if m.is_final]


def wait_finals(collector, count, timeout=30.0):
    wait_until(lambda: len(finals(collector)) >= count, timeout)
    return finals(collector)


def spoken(sentences, gap_s=1.0, lead_s=0.5):
    """Sentences separated by pauses, over a quiet room's noise floor (about -54 dBFS), as a
    real microphone hears them: never digital silence."""
    parts = [silence(lead_s)]
    for sentence in sentences:
        parts += [speak(sentence), silence(gap_s)]
    clip = np.concatenate(parts)
    return clip + white_noise(len(clip) / SAMPLE_RATE, 0.002, seed=len(clip))


def seconds(t):
    return t.sec + t.nanosec * 1e-9


def test_spoken_sentences_come_back_as_transcripts(ros, spawn_node):
    transcripts = ros.collect(Transcript, "/insideout/transcript", RELIABLE_EVENTS)
    speaking = ros.collect(Bool, "/insideout/user_speaking", LATCHED_STATE)
    diagnostics = ros.collect(DiagnosticArray, "/diagnostics", 10)
    # One utterance per sentence, as when the robot answers each: the pause alone ends an
    # utterance and none continues another.
    node = start_asr(spawn_node, turn_end="silence", end_silence_s=0.5, continuation_window_s=0.0)
    mic = AudioCapturePublisher(ros)
    mic.wait_for_node()
    mic.send_info()
    sentences = SENTENCES[:3]
    # In real time: sent faster, a loaded machine's recogniser falls behind and every pause's
    # speculation is refused (finals are waiting), so none could be used.
    mic.send(encode_s16le(spoken(sentences)), speed=1.0)

    got = wait_finals(transcripts, 3)
    assert [word_error_rate(s, m.text) < 0.2 for s, m in zip(sentences, got)] == [True] * 3, [
        m.text for m in got
    ]
    assert len(got) == 3
    ids = [m.utterance_id for m in got]
    assert ids == sorted(ids) and len(set(ids)) == 3
    for message in got:
        assert message.language == "en" and 0.0 < message.confidence <= 1.0
        assert seconds(message.utterance_start) < seconds(message.utterance_end)
    assert seconds(got[0].utterance_end) <= seconds(got[1].utterance_start)
    flags = [m.data for m in speaking.snapshot()]
    assert flags.count(True) == 3 and flags[-1] is False
    report = diagnostics.wait_for(
        lambda a: any(
            "asr_node" in s.name
            and any(k.key == "transcripts" and k.value == "3" for k in s.values)
            for s in a.status
        ),
        10,
    )
    assert report is not None
    values = {k.key: k.value for s in report.status if "asr_node" in s.name for k in s.values}
    # Recognition started in the pauses and its text was used for the finals.
    assert int(values["speculations_used"]) >= 1, values
    assert node.stop() == 0


def test_speech_resuming_before_the_robot_answers_is_one_utterance(ros, spawn_node):
    transcripts = ros.collect(Transcript, "/insideout/transcript", RELIABLE_EVENTS)
    node = start_asr(spawn_node)
    mic = AudioCapturePublisher(ros)
    mic.wait_for_node()
    mic.send_info()
    sentences = SENTENCES[1:3]
    mic.send(encode_s16le(spoken(sentences, gap_s=1.0)), speed=1.0)
    whole = " ".join(sentences)
    assert wait_until(
        lambda: any(word_error_rate(whole, m.text) < 0.2 for m in finals(transcripts)), 30
    ), (transcripts.snapshot(), node.output())
    got = transcripts.snapshot()
    # Every message is about one utterance. A final of the first sentence alone (when it was out
    # before the user went on) was followed by a partial that reopened the utterance.
    assert len({m.utterance_id for m in got}) == 1, got
    first_alone = [
        i for i, m in enumerate(got) if m.is_final and word_error_rate(whole, m.text) >= 0.2
    ]
    reopened = [i for i, m in enumerate(got) if not m.is_final]
    assert len(first_alone) == len(reopened) <= 1 and all(
        a < r for a, r in zip(first_alone, reopened)
    ), got
    assert got[-1].is_final
    whole_questions = finals(transcripts)
    assert seconds(whole_questions[-1].utterance_start) == pytest.approx(
        seconds(whole_questions[0].utterance_start)
    )
    assert "continues after a 1." in node.output()


def test_voice_without_words_publishes_no_transcript(ros, spawn_node):
    transcripts = ros.collect(Transcript, "/insideout/transcript", RELIABLE_EVENTS)
    diagnostics = ros.collect(DiagnosticArray, "/diagnostics", 10)
    node = start_asr(spawn_node, turn_end="silence", end_silence_s=0.5, continuation_window_s=0.0)
    mic = AudioCapturePublisher(ros)
    mic.wait_for_node()
    mic.send_info()
    # A long "aaah" (voice the VAD hears, no words for Whisper), then a sentence.
    mic.send(
        encode_s16le(
            np.concatenate(
                [
                    silence(0.5),
                    speak("aaaaaaaaaah"),
                    silence(1.5),
                    speak(SENTENCES[0]),
                    silence(1.0),
                ]
            )
        )
    )
    got = wait_finals(transcripts, 1)
    assert len(got) == 1 and word_error_rate(SENTENCES[0], got[0].text) < 0.2, got
    assert all(m.text for m in transcripts.snapshot())
    assert "no words recognised" in node.output() and "no transcript published" in node.output()
    report = diagnostics.wait_for(
        lambda a: any(
            "asr_node" in s.name
            and any(k.key == "empty_utterances" and k.value == "1" for k in s.values)
            for s in a.status
        ),
        10,
    )
    assert report is not None


def test_stamped_48k_stereo_float_audio_with_latched_info(ros, spawn_node):
    transcripts = ros.collect(Transcript, "/insideout/transcript", RELIABLE_EVENTS)
    mic = AudioCapturePublisher(ros, stamped=True, latched_info=True)
    # Published before the node exists: it must still get the format (transient local).
    mic.send_info(channels=2, sample_rate=48000, sample_format="F32LE")
    node = start_asr(spawn_node, stamped_audio=True)
    mic.wait_for_node()
    assert node.wait_for_output("audio format: 48000 Hz, 2 ch, F32LE", 10)
    sentence = SENTENCES[3]
    speech = speak(sentence)
    lead = 0.8
    clip = np.concatenate([silence(lead), speech, silence(1.0)])
    high = resample(clip, SAMPLE_RATE, 48000)
    stereo = np.stack([high, high], axis=1).astype("<f4").tobytes()
    mic.send(stereo, chunk_bytes=48000 * 8 // 50, bytes_per_second=48000 * 8, start_stamp=1000.0)

    got = wait_finals(transcripts, 1)
    assert got, "no transcript"
    assert word_error_rate(sentence, got[0].text) < 0.2, got[0].text
    # The utterance is placed on the audio's own time base (its header stamps).
    true_start = 1000.0 + lead + voiced_bounds(speech)[0] / SAMPLE_RATE
    assert abs(seconds(got[0].utterance_start) - true_start) < 0.3


def test_robot_speaking_mutes_the_asr(ros, spawn_node):
    transcripts = ros.collect(Transcript, "/insideout/transcript", RELIABLE_EVENTS)
    robot = ros.publisher(Bool, "/insideout/robot_speaking", LATCHED_STATE)
    robot.publish(Bool(data=True))
    node = start_asr(spawn_node, barge_in=False)  # mute while speaking: the mode of old
    mic = AudioCapturePublisher(ros)
    mic.wait_for_node()
    mic.send_info()
    mic.send(encode_s16le(spoken([SENTENCES[0]])))  # the robot's own voice
    assert wait_finals(transcripts, 1, timeout=4.0) == []
    assert "robot speaking: audio ignored" in node.output()

    robot.publish(Bool(data=False))
    assert node.wait_for_output("robot silent: listening", 10)
    mic.send(encode_s16le(spoken([SENTENCES[4]])))
    got = wait_finals(transcripts, 1)
    assert len(got) == 1 and word_error_rate(SENTENCES[4], got[0].text) < 0.2, got


def test_audio_stopping_mid_utterance_still_gives_its_transcript(ros, spawn_node):
    transcripts = ros.collect(Transcript, "/insideout/transcript", RELIABLE_EVENTS)
    node = start_asr(spawn_node)
    mic = AudioCapturePublisher(ros)
    mic.wait_for_node()
    # The stream ends right after the last word, as a bag or a stalled driver would.
    speech = speak(SENTENCES[3])
    speech = np.concatenate([silence(0.5), speech[: voiced_bounds(speech)[1]]])
    mic.send(encode_s16le(speech))
    got = wait_finals(transcripts, 1, timeout=15.0)
    assert got and word_error_rate(SENTENCES[3], got[0].text) < 0.2, got
    assert "in the middle of an utterance" in node.output()


def test_a_volatile_robot_speaking_publisher_mutes_too(ros, spawn_node):
    transcripts = ros.collect(Transcript, "/insideout/transcript", RELIABLE_EVENTS)
    node = start_asr(spawn_node, barge_in=False)
    robot = ros.publisher(Bool, "/insideout/robot_speaking", 10)  # volatile, as many drivers
    assert ros.wait_for_subscribers(robot, 1)
    robot.publish(Bool(data=True))
    assert node.wait_for_output("robot speaking: audio ignored", 10)
    mic = AudioCapturePublisher(ros)
    mic.wait_for_node()
    mic.send(encode_s16le(spoken([SENTENCES[0]])), speed=8.0)
    assert wait_finals(transcripts, 1, timeout=3.0) == []


def test_barge_in_keeps_listening_while_the_robot_speaks(ros, spawn_node):
    transcripts = ros.collect(Transcript, "/insideout/transcript", RELIABLE_EVENTS)
    robot = ros.publisher(Bool, "/insideout/robot_speaking", LATCHED_STATE)
    robot.publish(Bool(data=True))
    start_asr(spawn_node, barge_in=True)
    mic = AudioCapturePublisher(ros)
    mic.wait_for_node()
    mic.send(encode_s16le(spoken([SENTENCES[2]])))  # no AudioInfo: parameters give the format
    got = wait_finals(transcripts, 1)
    assert got and word_error_rate(SENTENCES[2], got[0].text) < 0.2


def test_partial_transcripts_precede_the_final_one(ros, spawn_node):
    transcripts = ros.collect(Transcript, "/insideout/transcript", RELIABLE_EVENTS)
    start_asr(spawn_node, publish_partials=True, partial_period_s=0.5)
    mic = AudioCapturePublisher(ros)
    mic.wait_for_node()
    sentence = " ".join(SENTENCES[1:3])  # about 5 s without a pause long enough to end it
    mic.send(encode_s16le(spoken([sentence.replace(".", ",")])), speed=1.0)
    got = wait_finals(transcripts, 1)
    assert got and word_error_rate(sentence, got[0].text) < 0.2, got
    partials = [m for m in transcripts.snapshot() if not m.is_final]
    assert partials, "no partial transcript"
    assert all(m.utterance_id == got[0].utterance_id for m in partials)
    messages = transcripts.snapshot()
    assert messages.index(partials[0]) < messages.index(got[0])
    # The latest partial heard the beginning of what was said.
    said = set(normalised_words(sentence))
    heard = normalised_words(partials[-1].text)
    assert heard and sum(w in said for w in heard) / len(heard) > 0.5, partials[-1].text


def test_bad_input_warns_and_the_node_keeps_working(ros, spawn_node):
    transcripts = ros.collect(Transcript, "/insideout/transcript", RELIABLE_EVENTS)
    node = start_asr(spawn_node, silence_warning_s=1.0, max_utterance_s=4.0)
    mic = AudioCapturePublisher(ros)
    mic.wait_for_node()
    mic.send_info()

    # Odd byte counts: every chunk splits a sample; the remainder is carried over.
    mic.send(encode_s16le(spoken([SENTENCES[0]])), chunk_bytes=641)
    got = wait_finals(transcripts, 1)
    assert got and word_error_rate(SENTENCES[0], got[0].text) < 0.2
    assert "does not end on a whole frame" in node.output()

    # Empty chunks, an unknown sample format, compressed audio: warned about, audio dropped.
    mic.audio.publish(AudioData(data=b""))
    mic.send_info(sample_format="X99")
    mic.send(encode_s16le(spoken([SENTENCES[1]])), speed=8.0)
    mic.send_info(coding_format="mp3")
    mic.send(encode_s16le(spoken([SENTENCES[1]])), speed=8.0)
    assert node.wait_for_output("format:=wave", 10)
    output = node.output()
    assert "empty audio chunk" in output
    assert "unsupported sample format 'X99'" in output
    assert "audio dropped" in output

    # Digital silence (a muted microphone): warned about, nothing transcribed.
    assert "digital silence" not in node.output()
    mic.send_info()
    assert node.wait_for_output("usable format again", 10)
    mic.send(encode_s16le(silence(3.0)), speed=8.0)
    assert node.wait_for_output("digital silence", 10)
    assert len(finals(transcripts)) == 1

    # Continuous speech beyond max_utterance_s: cut into pieces, each transcribed.
    long_speech = np.concatenate([speak(s) for s in SENTENCES] + [silence(1.0)])
    long_speech += white_noise(len(long_speech) / SAMPLE_RATE, 0.002)
    mic.send(encode_s16le(long_speech))
    pieces = wait_finals(transcripts, 4)[1:]
    assert len(pieces) >= 3, [m.text for m in pieces]
    assert node.wait_for_output("reached max_utterance_s", 10)
    joined = " ".join(m.text for m in wait_finals(transcripts, 99, timeout=3.0)[1:])
    # Cuts fall mid-word, so allow some damage at each of them.
    assert word_error_rate(" ".join(SENTENCES), joined) < 0.35, joined
    assert node.running()
    assert node.stop() == 0


@pytest.mark.parametrize(
    "params,message",
    [
        ({"backend": "transformers"}, "set the `model` parameter"),
        ({"model": "/no/such/model"}, "does not exist"),
        ({"end_silence_s": 0.0}, "end_silence_s"),
        ({"rep155_voice_id": "9lives"}, "rep155_voice_id"),
    ],
)
def test_unusable_configuration_exits_with_one_clear_error(spawn_node, params, message):
    node = spawn_node("insideout_perception", "asr_node", params=params)
    node.process.wait(60)
    assert node.process.returncode == 2
    output = node.output()
    assert message in output and "Traceback" not in output
