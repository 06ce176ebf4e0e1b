"""core.speech_recognizer and core.speaker_mute without ROS: real Silero VAD, real Whisper tiny.en,
espeak-ng speech; the listener records what asr_node would publish and log."""

import threading
import time

import numpy as np
import pytest
from support.word_error_rate import word_error_rate

from insideout_common.pcm import encode_s16le
from insideout_perception.core.asr_backends import BackendOptions, create_backend
from insideout_perception.core.audio_stream import AudioFormat
from insideout_perception.core.barge_in import PAUSE, RESUME, STOP
from insideout_perception.core.echo_cancellation import EchoCanceller
from insideout_perception.core.speaker_mute import SpeakerMute
from insideout_perception.core.speech_recognizer import (
    RecognitionListener,
    RecognizerSettings,
    SpeechRecognizer,
)
from insideout_perception.core.utterance_segmenter import SegmenterConfig
from insideout_perception.core.vad.silero import SileroVad

from .speech_audio import SAMPLE_RATE, SENTENCES, silence, speak, voiced_bounds

CHUNK_BYTES = 1024  # 32 ms of 16 kHz S16LE, as audio_capture sends


class RecordingListener(RecognitionListener):
    def __init__(self):
        self.events, self.transcripts = [], []
        self.final = threading.Event()

    def on_user_speaking(self, speaking):
        self.events.append(("user_speaking", speaking))

    def on_user_pausing(self, pausing):
        self.events.append(("user_pausing", pausing))

    def on_utterance_reopened(self, utterance_id, text_so_far):
        self.events.append(("reopened", utterance_id))

    def on_transcript(self, result):
        self.transcripts.append(result)
        if result.is_final:
            self.final.set()

    def on_info(self, message):
        self.events.append(("info", message))

    def on_warning(self, message, period=None):
        self.events.append(("warning", message))

    def on_error(self, message, throttled=True):
        self.events.append(("error", message))

    def on_barge_in(self, event, onset_time):
        self.events.append(("barge_in", (event.action, onset_time)))

    def messages(self, kind):
        return [m for k, m in self.events if k == kind]


def make_recognizer(segmenter=None, turn_end=None, **settings):
    segmenter = segmenter or SegmenterConfig()
    listener = RecordingListener()
    recognizer = SpeechRecognizer(
        RecognizerSettings(
            segmenter=segmenter, audio_format=AudioFormat(SAMPLE_RATE, 1, "S16LE"), **settings
        ),
        SileroVad(),
        create_backend("faster_whisper", BackendOptions()),
        listener,
        turn_end=turn_end,
    )
    return recognizer, listener


def feed(recognizer, audio, start_time=100.0):
    data = encode_s16le(audio)
    for offset in range(0, len(data), CHUNK_BYTES):
        recognizer.feed(data[offset : offset + CHUNK_BYTES], start_time + offset / 2 / SAMPLE_RATE)


def test_an_utterance_becomes_one_final_transcript_with_its_stream_times():
    recognizer, listener = make_recognizer()
    try:
        speech = speak(SENTENCES[0])
        feed(recognizer, np.concatenate([silence(0.5), speech, silence(1.0)]))
        assert listener.final.wait(30), listener.events
        final = [t for t in listener.transcripts if t.is_final]
        assert len(final) == 1 and final[0].utterance_id == 1
        assert word_error_rate(SENTENCES[0], final[0].text) < 0.2, final[0].text
        # Stream time of the voiced span: it starts about 0.5 s into the audio fed from t=100 s.
        assert 100.0 < final[0].start_time < 100.8 < final[0].end_time
        assert listener.events[:1] == [("user_speaking", True)]
        assert ("user_speaking", False) in listener.events
        assert recognizer.report()[:2] == ("ok", "listening")
    finally:
        recognizer.close()


def test_while_the_robot_speaks_audio_is_ignored_and_listening_restarts_after():
    recognizer, listener = make_recognizer()
    try:
        recognizer.robot_speaking(True)
        feed(recognizer, np.concatenate([speak(SENTENCES[1]), silence(1.0)]))
        assert not listener.final.wait(2.0)
        assert recognizer.counters["ignored_while_robot_speaking"] > 0
        assert recognizer.report()[:2] == ("ok", "muted while the robot speaks")
        recognizer.robot_speaking(False)
        assert listener.messages("info") == [
            "robot speaking: audio ignored",
            "robot silent: listening",
        ]
    finally:
        recognizer.close()


def test_an_unusable_audio_info_rejects_audio_until_a_good_one_comes():
    recognizer, listener = make_recognizer()
    try:
        recognizer.set_audio_info(1, 16000, "S16LE", "mp3")
        recognizer.feed(b"\x00" * CHUNK_BYTES, 1.0)
        assert recognizer.report()[0] == "error"
        assert any("format:=wave" in m for m in listener.messages("error"))
        assert any(m.startswith("audio dropped") for m in listener.messages("error"))
        recognizer.set_audio_info(1, 16000, "S16LE", "")
        assert "audio_info: usable format again (16000 Hz, 1 ch, S16LE)" in listener.messages(
            "info"
        )
        recognizer.feed(b"", 1.1)
        assert listener.messages("warning") == ["empty audio chunk ignored"]
    finally:
        recognizer.close()


def test_a_dead_microphone_is_reported_after_the_configured_silence():
    recognizer, listener = make_recognizer(silence_warning_s=2.0)
    try:
        feed(recognizer, np.zeros(int(1.5 * SAMPLE_RATE), np.float32))
        assert not listener.messages("warning")
        feed(recognizer, np.zeros(SAMPLE_RATE, np.float32), start_time=101.5)
        assert any("digital silence for 2 s" in m for m in listener.messages("warning"))
    finally:
        recognizer.close()


def test_speaker_mute_follows_the_state_and_the_speakers_liveliness():
    mute = SpeakerMute(barge_in=False)
    assert [c.message for c in mute.robot_speaking(True)] == ["robot speaking: audio ignored"]
    assert mute.muted and mute.robot_speaking(True) == []
    mute.speaker_state(True)
    # tts_node dies mid-sentence: its latched "true" stays behind, its liveliness goes.
    changes = mute.speaker_liveliness(alive_count=0, alive_count_change=-1)
    assert [c.is_problem for c in changes] == [True, False] and not mute.muted
    assert changes[1].restart_listening
    # It was only stalled and still says "true": muted again.
    changes = mute.speaker_liveliness(alive_count=1, alive_count_change=1)
    assert mute.muted and changes[-1].message == "robot speaking: audio ignored"
    mute.speaker_state(False)
    mute.robot_speaking(False)
    assert mute.speaker_liveliness(alive_count=1, alive_count_change=1) == [] and not mute.muted


def test_with_barge_in_the_state_is_tracked_but_audio_never_ignored():
    mute = SpeakerMute(barge_in=True)
    assert mute.robot_speaking(True) == [] and mute.robot_is_speaking and not mute.muted


def test_talking_over_the_robot_pauses_it_at_once_stops_it_and_is_transcribed():
    recognizer, listener = make_recognizer(barge_in=True)
    try:
        recognizer.robot_speaking(True)
        speech = speak(SENTENCES[0])
        onset = voiced_bounds(speech)[0] / SAMPLE_RATE + 0.5
        feed(recognizer, np.concatenate([silence(0.5), speech, silence(1.0)]))
        barge_ins = listener.messages("barge_in")
        assert [action for action, _ in barge_ins] == [PAUSE, STOP]
        # Stream time: fed from t=100 s, the voice starts `onset` s in; the pause is at its onset.
        assert abs(barge_ins[0][1] - (100.0 + onset)) < 0.1
        recognizer.robot_speaking(False)  # tts_node obeyed the stop
        assert listener.final.wait(30), listener.events
        assert word_error_rate(SENTENCES[0], _finals(listener)[0].text) < 0.2
    finally:
        recognizer.close()


def say_over_the_robot(recognizer, text):
    """The user says `text` (espeak-ng) while the robot speaks, then is quiet for 1.5 s."""
    recognizer.robot_speaking(True)
    feed(recognizer, np.concatenate([silence(0.5), speak(text), silence(1.5)]))


def test_a_backchannel_over_the_robot_only_holds_it_and_is_not_a_turn():
    recognizer, listener = make_recognizer(barge_in=True)
    try:
        say_over_the_robot(recognizer, "Mm-hmm.")
        assert wait_until(lambda: len(listener.messages("barge_in")) == 2, 30), listener.events
        assert [action for action, _ in listener.messages("barge_in")] == [PAUSE, RESUME]
        assert recognizer.counters["voices_over_robot_ignored"] == 1
        assert not listener.final.wait(1.0), listener.transcripts
    finally:
        recognizer.close()


def test_a_short_command_over_the_robot_stops_it_by_its_words():
    recognizer, listener = make_recognizer(barge_in=True)
    try:
        say_over_the_robot(recognizer, "Stop.")
        assert listener.final.wait(30), listener.events
        assert [action for action, _ in listener.messages("barge_in")] == [PAUSE, STOP]
        assert "stop" in _finals(listener)[0].text.lower()
    finally:
        recognizer.close()


class LearningFakeEchoCanceller(EchoCanceller):
    """FAKE echo canceller (fault injection): passes the audio through and says it is still
    learning the room, so the barge-in detector may not trust a pause."""

    name = "learning_fake"

    @property
    def learning(self):
        return True


def test_a_long_voice_over_the_robot_is_the_users_turn_even_if_nothing_held_the_robot():
    listener = RecordingListener()
    recognizer = SpeechRecognizer(
        RecognizerSettings(
            segmenter=SegmenterConfig(),
            barge_in=True,
            audio_format=AudioFormat(SAMPLE_RATE, 1, "S16LE"),
        ),
        SileroVad(),
        create_backend("faster_whisper", BackendOptions()),
        listener,
        echo_canceller=LearningFakeEchoCanceller(),
    )
    try:
        recognizer.robot_speaking(True)
        feed(recognizer, np.concatenate([silence(0.5), speak(SENTENCES[0]), silence(1.5)]))
        assert listener.final.wait(30), listener.events
        assert [action for action, _ in listener.messages("barge_in")] == [STOP]
        assert word_error_rate(SENTENCES[0], _finals(listener)[0].text) < 0.2
    finally:
        recognizer.close()


def wait_until(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.02)
    return predicate()


def _finals(listener):
    return [t for t in listener.transcripts if t.is_final]


def _wait_for_final(listener, predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(predicate(t) for t in _finals(listener)):
            return
        time.sleep(0.05)
    raise AssertionError(f"no such final transcript: {listener.transcripts} {listener.events}")


FIRST_PART, SECOND_PART = "I passed my exam today.", "So what should I do tonight to celebrate?"


def test_speech_resuming_before_the_robot_answers_continues_the_utterance():
    recognizer, listener = make_recognizer(continuation_window_s=3.0)
    try:
        feed(recognizer, np.concatenate([silence(0.5), speak(FIRST_PART), silence(1.0)]))
        _wait_for_final(listener, lambda t: t.utterance_id == 1)
        feed(recognizer, np.concatenate([speak(SECOND_PART), silence(1.5)]), start_time=102.9)
        whole = f"{FIRST_PART} {SECOND_PART}"
        _wait_for_final(listener, lambda t: word_error_rate(whole, t.text) < 0.2)
        assert {t.utterance_id for t in listener.transcripts} == {1}, listener.transcripts
        # The first part's final went out, so it was reopened before the whole one came.
        assert ("reopened", 1) in listener.events
        assert recognizer.counters["continuations"] == 1
        # The whole question's final starts where the first part did.
        assert _finals(listener)[-1].start_time == pytest.approx(_finals(listener)[0].start_time)
    finally:
        recognizer.close()


def test_a_first_part_not_yet_transcribed_when_speech_resumes_is_never_published():
    recognizer, listener = make_recognizer(continuation_window_s=3.0)
    try:
        # Fed faster than real time: the second part starts before the first is transcribed.
        feed(
            recognizer,
            np.concatenate(
                [silence(0.5), speak(FIRST_PART), silence(1.0), speak(SECOND_PART), silence(1.5)]
            ),
        )
        whole = f"{FIRST_PART} {SECOND_PART}"
        _wait_for_final(listener, lambda t: word_error_rate(whole, t.text) < 0.2)
        time.sleep(0.5)
        finals = _finals(listener)
        assert len(finals) == 1 and finals[0].utterance_id == 1, finals
        assert not [e for e in listener.events if e[0] == "reopened"]
        assert any(
            "not published: the user went on speaking" in m for m in listener.messages("info")
        )
    finally:
        recognizer.close()


def test_after_the_robot_answered_speech_is_a_new_utterance():
    recognizer, listener = make_recognizer(continuation_window_s=3.0)
    try:
        feed(recognizer, np.concatenate([silence(0.5), speak(FIRST_PART), silence(1.0)]))
        _wait_for_final(listener, lambda t: t.utterance_id == 1)
        recognizer.robot_speaking(True)
        recognizer.robot_speaking(False)
        feed(recognizer, np.concatenate([speak(SECOND_PART), silence(1.5)]), start_time=110.0)
        _wait_for_final(listener, lambda t: t.utterance_id == 2)
        assert word_error_rate(SECOND_PART, _finals(listener)[-1].text) < 0.2
        assert not [e for e in listener.events if e[0] == "reopened"]
    finally:
        recognizer.close()


def test_a_continuation_cut_off_gives_the_earlier_part_back_as_its_final():
    recognizer, listener = make_recognizer(continuation_window_s=3.0)
    try:
        feed(recognizer, np.concatenate([silence(0.5), speak(FIRST_PART), silence(1.0)]))
        _wait_for_final(listener, lambda t: t.utterance_id == 1)
        second = speak(SECOND_PART)
        feed(recognizer, second[: len(second) // 2], start_time=102.9)
        assert ("reopened", 1) in listener.events
        recognizer.robot_speaking(True)  # the robot starts speaking: listening restarts
        assert wait_until_count(listener, 2)
        finals = _finals(listener)
        assert [t.utterance_id for t in finals] == [1, 1]
        assert word_error_rate(FIRST_PART, finals[-1].text) < 0.2, finals
    finally:
        recognizer.close()


def wait_until_count(listener, count, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(_finals(listener)) < count:
        time.sleep(0.05)
    return len(_finals(listener)) >= count


class NeverFinishedFakeJudge:
    """FAKE end-of-turn judge (fault injection): hears every pause as a thinking pause."""

    name = "never_finished_fake"

    def verdict(self, audio):
        from insideout_perception.core.turn_end import TurnVerdict

        return TurnVerdict(complete=False, probability=0.05, seconds=0.0)


def test_a_finished_sentence_ends_the_turn_by_its_words_when_the_model_hears_a_pause():
    recognizer, listener = make_recognizer(
        SegmenterConfig(end_silence_s=0.2, max_end_silence_s=5.0), NeverFinishedFakeJudge()
    )
    try:
        feed(recognizer, np.concatenate([silence(0.5), speak(SENTENCES[0])]))
        # The pause, in real time: the words arrive from the worker while it lasts.
        pause = encode_s16le(silence(4.0))
        started = time.monotonic()
        for offset in range(0, len(pause), 640):
            recognizer.feed(pause[offset : offset + 640], 110.0 + offset / 32000)
            if listener.final.is_set():
                break
            time.sleep(max(0.0, started + (offset + 640) / 32000 - time.monotonic()))
        assert listener.final.wait(10), listener.events
        waited = time.monotonic() - started
        assert recognizer.counters["turns_ended_by_words"] == 1
        assert waited < 4.0, waited  # well before max_end_silence_s
        # The held pause was shown as the user's (a thinking pause), until the turn ended.
        pausing = listener.messages("user_pausing")  # each held pause: True, then False
        assert pausing and pausing == [True, False] * (len(pausing) // 2), pausing
        assert word_error_rate(SENTENCES[0], _finals(listener)[0].text) < 0.2
    finally:
        recognizer.close()


class FailingFakeJudge:
    """FAKE end-of-turn judge (fault injection): its model fails on every pause."""

    name = "failing_fake"

    def verdict(self, audio):
        raise RuntimeError("model file corrupt")


def test_a_failing_end_of_turn_model_ends_the_turn_and_says_so():
    recognizer, listener = make_recognizer(SegmenterConfig(end_silence_s=0.2), FailingFakeJudge())
    try:
        feed(recognizer, np.concatenate([silence(0.5), speak(SENTENCES[4]), silence(1.0)]))
        assert listener.final.wait(30), listener.events
        assert word_error_rate(SENTENCES[4], _finals(listener)[0].text) < 0.2
        assert any(
            "end-of-turn model (failing_fake) failed" in m for m in listener.messages("error")
        )
    finally:
        recognizer.close()
