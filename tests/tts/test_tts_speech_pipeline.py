"""The speech pipeline, without ROS: paced chunks, the speaking flag, order, cancel, failures."""

import threading
import time

import numpy as np
import pytest

from insideout_dialogue.core.reply_queue import ReplyQueue
from insideout_dialogue.core.speech_audio import OutputFormat, to_output_pcm
from insideout_dialogue.core.speech_pipeline import SEGMENTS_AHEAD, PipelineListener, SpeechPipeline
from insideout_dialogue.core.tts_backends import (
    BackendSettings,
    SynthesisError,
    TtsBackend,
    create_backend,
)

OUTPUT = OutputFormat(sample_rate=16000, chunk_seconds=0.1)


class Recorder(PipelineListener):
    def __init__(self):
        self.events = []
        self.lock = threading.Lock()

    def _add(self, *event):
        with self.lock:
            self.events.append((time.monotonic(), *event))

    def on_speaking(self, speaking):
        self._add("speaking", speaking)

    def on_reply_start(self, reply_id, text):
        self._add("start", reply_id, text)

    def on_chunk(self, chunk):
        self._add("chunk", chunk)

    def on_reply_end(self, reply_id, completed):
        self._add("end", reply_id, completed)

    def on_warning(self, message, kind=""):
        self._add("warning", message)

    def of(self, kind):
        with self.lock:
            return [event for event in self.events if event[1] == kind]

    def wait(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.01)
        return predicate()


@pytest.fixture(scope="module")
def espeak():
    return create_backend(BackendSettings(name="espeak-ng", espeak_words_per_minute=300))


class FakeFailingBackend(TtsBackend):
    """Fault injection: wraps a real backend and fails on every sentence containing 'FAIL'."""

    def __init__(self, real):
        self.real, self.name, self.sample_rate = real, "fake-failing", real.sample_rate

    def synthesize(self, text):
        if "FAIL" in text:
            raise SynthesisError("injected failure")
        return self.real.synthesize(text)


def run(
    backend, replies, max_replies=10, max_chars=2000, lead=0.2, cancel_after=None, timeout=20.0
):
    recorder = Recorder()
    pipeline = SpeechPipeline(
        backend, OUTPUT, ReplyQueue(max_replies, max_chars), recorder, lead_seconds=lead
    )
    admissions = [pipeline.submit(text) for text in replies]
    pipeline.start()
    try:
        if cancel_after is not None:
            recorder.wait(lambda: len(recorder.of("chunk")) >= cancel_after, timeout)
            pipeline.cancel()
        recorder.wait(
            lambda: (
                recorder.of("speaking")[-1:]
                and not recorder.of("speaking")[-1][2]
                and pipeline.pending_replies == 0
            ),
            timeout,
        )
    finally:
        pipeline.close()
    return recorder, pipeline, admissions


def test_audio_is_paced_and_speaking_covers_it(espeak):
    recorder, pipeline, _ = run(espeak, ["Hello there. This is the second sentence of my reply."])
    chunks = recorder.of("chunk")
    speaking = recorder.of("speaking")
    assert [event[2] for event in speaking] == [True, False]
    audio_seconds = sum(OUTPUT.seconds(len(c[2].pcm)) for c in chunks)
    assert audio_seconds > 1.5
    assert all(len(c[2].pcm) <= OUTPUT.chunk_bytes for c in chunks)
    assert all(len(c[2].pcm) % 2 == 0 for c in chunks)
    # Sent at playback speed: the span of sending is the audio length less the lead.
    send_span = chunks[-1][0] - chunks[0][0]
    assert audio_seconds - 0.2 - 0.15 < send_span < audio_seconds + 0.3  # slack: a busy machine
    # robot_speaking: true before the first chunk, false once the last one has played out.
    assert speaking[0][0] <= chunks[0][0]
    last = chunks[-1][2]
    assert speaking[1][0] >= last.play_start + OUTPUT.seconds(len(last.pcm)) - 0.01
    assert speaking[1][0] - chunks[0][0] < audio_seconds + 0.6
    # Play-out times run back to back.
    starts = [c[2].play_start for c in chunks]
    durations = [OUTPUT.seconds(len(c[2].pcm)) for c in chunks]
    assert all(abs(starts[i] + durations[i] - starts[i + 1]) < 1e-6 for i in range(len(starts) - 1))
    assert chunks[0][2].first_of_reply and not any(c[2].first_of_reply for c in chunks[1:])
    stats = pipeline.stats()
    assert stats.replies_spoken == 1 and stats.sentences_spoken == 2
    # Reported (the benchmark measures it); a busy machine gets a generous bound here.
    assert 0 < stats.last_time_to_first_audio < 2.0


def test_replies_are_spoken_in_order_and_speaking_stays_true_between_them(espeak):
    recorder, pipeline, _ = run(espeak, ["First reply.", "Second reply.", "Third reply."])
    assert [e[2] for e in recorder.of("start")] == [1, 2, 3]
    assert [e[3] for e in recorder.of("start")] == ["First reply.", "Second reply.", "Third reply."]
    assert [e[2] for e in recorder.of("speaking")] == [True, False]
    assert [c[2].reply_id for c in recorder.of("chunk")] == sorted(
        c[2].reply_id for c in recorder.of("chunk")
    )
    assert pipeline.stats().replies_spoken == 3


def test_a_failing_sentence_is_reported_and_the_rest_is_spoken(espeak):
    recorder, pipeline, _ = run(
        FakeFailingBackend(espeak), ["One is fine. FAIL here. Three is fine too."]
    )
    warnings = [e[2] for e in recorder.of("warning")]
    assert any("FAIL here" in w and "injected failure" in w for w in warnings)
    stats = pipeline.stats()
    assert stats.sentences_failed == 1 and stats.sentences_spoken == 2 and stats.replies_spoken == 1


def test_cancel_stops_speech_within_the_lead_and_drops_waiting_replies(espeak):
    long_reply = " ".join(f"This is sentence number {n}." for n in range(30))
    recorder, pipeline, _ = run(espeak, [long_reply, "waiting one", "waiting two"], cancel_after=5)
    chunks = recorder.of("chunk")
    assert len(chunks) < 20
    assert {c[2].reply_id for c in chunks} == {1}
    stats = pipeline.stats()
    assert stats.replies_cancelled == 3 and stats.replies_spoken == 0
    assert recorder.of("speaking")[-1][2] is False


def test_ten_thousand_character_reply_is_cut_and_memory_stays_bounded(espeak):
    reply = "Robots like to talk about the weather. " * 257  # just over 10,000 characters
    recorder = Recorder()
    pipeline = SpeechPipeline(espeak, OUTPUT, ReplyQueue(10, 2000), recorder, lead_seconds=0.2)
    admission = pipeline.submit(reply)
    assert admission.accepted and "max_reply_chars=2000" in admission.warning
    pipeline.start()
    try:
        # Synthesis runs ahead of playback by at most SEGMENTS_AHEAD sentences.
        assert recorder.wait(lambda: len(recorder.of("chunk")) >= 10, 10)
        time.sleep(1.0)
        assert pipeline._segments.qsize() <= SEGMENTS_AHEAD
        assert pipeline.stats().sentences_spoken <= 2 + SEGMENTS_AHEAD + 2
    finally:
        pipeline.cancel()
        pipeline.close()


def test_a_full_queue_refuses_with_a_warning(espeak):
    recorder = Recorder()
    pipeline = SpeechPipeline(espeak, OUTPUT, ReplyQueue(2, 2000), recorder)
    results = [pipeline.submit(f"Reply number {n}.") for n in range(4)]
    assert [r.accepted for r in results] == [True, True, False, False]
    assert "max_queued_replies=2" in results[2].warning
    assert pipeline.pending_replies == 2


def test_resampled_output_keeps_the_duration(espeak):
    audio = espeak.synthesize("Checking the sample rate conversion.")
    from insideout_dialogue.core.speech_audio import to_output_pcm

    pcm = to_output_pcm(audio, espeak.sample_rate, OUTPUT)
    assert OUTPUT.seconds(len(pcm)) == pytest.approx(len(audio) / espeak.sample_rate, abs=0.001)
    decoded = np.frombuffer(pcm, dtype="<i2")
    assert np.abs(decoded).max() > 1000


def _started_pipeline(backend, lead=0.1):
    recorder = Recorder()
    pipeline = SpeechPipeline(backend, OUTPUT, ReplyQueue(10, 2000), recorder, lead_seconds=lead)
    pipeline.start()
    return pipeline, recorder


def test_pause_holds_the_audio_and_resume_goes_on_without_losing_any(espeak):
    pipeline, recorder = _started_pipeline(espeak)
    try:
        pipeline.submit("One two three four five six seven eight nine ten.")
        assert recorder.wait(lambda: len(recorder.of("chunk")) >= 3, 10)
        pipeline.pause()
        paused_at = time.monotonic()
        time.sleep(0.6)
        sent_while_paused = [e for e in recorder.of("chunk") if e[0] > paused_at + 0.15]
        assert sent_while_paused == []  # at most the chunk in flight, nothing after the lead
        pipeline.resume()
        assert recorder.wait(lambda: recorder.of("end"), 15)
        assert recorder.of("end")[0][3] is True
        audio = sum(len(e[2].pcm) for e in recorder.of("chunk"))
        whole = len(
            to_output_pcm(
                espeak.synthesize("One two three four five six seven eight nine ten."),
                espeak.sample_rate,
                OUTPUT,
            )
        )
        assert abs(audio - whole) < OUTPUT.chunk_bytes * 2  # nothing skipped or repeated
    finally:
        pipeline.close()


def test_interrupt_reports_the_words_sent_so_far_and_drops_the_rest(espeak):
    pipeline, recorder = _started_pipeline(espeak)
    try:
        first = "Alpha bravo charlie delta echo foxtrot golf hotel india juliet."
        pipeline.submit(first)
        pipeline.submit("This one waits and is dropped.")
        assert recorder.wait(lambda: len(recorder.of("chunk")) >= 8, 10)
        interruption = pipeline.interrupt()
        assert interruption.reply == first
        heard = interruption.heard.split()
        assert 1 <= len(heard) < 10 and first.split()[: len(heard)] == heard
        assert interruption.dropped == 1
        chunks_at_stop = len(recorder.of("chunk"))
        assert recorder.wait(lambda: recorder.of("speaking")[-1][2] is False, 5)
        assert len(recorder.of("chunk")) <= chunks_at_stop + 1
        assert recorder.wait(lambda: len(recorder.of("end")) == 2, 5)  # the dropped one's too
        assert [e[3] for e in recorder.of("end")] == [False, False]
        assert pipeline.interrupt() is None  # nothing left to cut
    finally:
        pipeline.close()


def test_a_pause_nobody_ends_ends_by_itself(espeak, monkeypatch):
    monkeypatch.setattr("insideout_dialogue.core.speech_pipeline.MAX_PAUSE_S", 0.3)
    pipeline, recorder = _started_pipeline(espeak)
    try:
        pipeline.submit("Short reply here.")
        pipeline.pause()
        assert recorder.wait(lambda: recorder.of("end"), 10)
        assert any("without a resume" in e[2] for e in recorder.of("warning"))
    finally:
        pipeline.close()
