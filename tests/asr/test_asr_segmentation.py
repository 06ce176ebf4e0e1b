"""Silero VAD + UtteranceSegmenter on real synthesised speech: boundaries, cuts, bounded memory."""

import numpy as np
import pytest

from insideout_perception.core.utterance_segmenter import (
    PauseSnapshot,
    SegmenterConfig,
    SpeechDiscarded,
    SpeechEnded,
    SpeechStarted,
    Utterance,
    UtteranceSegmenter,
)
from insideout_perception.core.vad.silero import FRAME_SAMPLES, SileroVad, locate_silero_vad_model

from .speech_audio import SAMPLE_RATE, SENTENCES, silence, speak, voiced_bounds, white_noise

TOLERANCE_S = 0.25


@pytest.fixture(scope="module")
def vad():
    return SileroVad()


def segment(vad, audio, config=None, chunk=1000):
    """Feed `audio` in uneven chunks, as it would arrive; return every event.
    `config`: the SegmenterConfig (None: the defaults)."""
    config = config or SegmenterConfig()
    segmenter = UtteranceSegmenter(
        vad.probability, config, SAMPLE_RATE, FRAME_SAMPLES, reset_vad=vad.reset
    )
    events = []
    for start in range(0, len(audio), chunk):
        events += segmenter.feed(audio[start : start + chunk])
    return segmenter, events


def test_model_is_found_in_the_wheel_without_importing_silero_vad():
    import sys

    path = locate_silero_vad_model()
    assert path.name == "silero_vad.onnx" and path.is_file()
    assert "silero_vad" not in sys.modules  # importing it would need torch


def test_speech_scores_high_and_silence_low(vad):
    speech = speak(SENTENCES[0])
    first, last = voiced_bounds(speech)
    vad.reset()
    voiced = [
        vad.probability(speech[i : i + FRAME_SAMPLES])
        for i in range(first, last - FRAME_SAMPLES, FRAME_SAMPLES)
    ]
    vad.reset()
    quiet = [
        vad.probability(f) for f in silence(1.0)[: 31 * FRAME_SAMPLES].reshape(-1, FRAME_SAMPLES)
    ]
    assert np.mean(voiced) > 0.7
    assert max(quiet) < 0.2


@pytest.mark.parametrize("noise_rms", [0.0, 0.01], ids=["silence", "noise"])
def test_boundaries_land_within_a_quarter_second_of_the_truth(vad, noise_rms):
    speech = speak(SENTENCES[1])
    lead, tail = 1.5, 1.2
    clip = np.concatenate([silence(lead), speech, silence(tail)])
    clip += white_noise(len(clip) / SAMPLE_RATE, noise_rms, seed=1)
    first, last = voiced_bounds(speech)
    true_start = (lead * SAMPLE_RATE + first) / SAMPLE_RATE
    true_end = (lead * SAMPLE_RATE + last) / SAMPLE_RATE

    _, events = segment(vad, clip)
    utterances = [e for e in events if isinstance(e, Utterance)]
    assert len(utterances) == 1, events
    utterance = utterances[0]
    assert abs(utterance.start_sample / SAMPLE_RATE - true_start) <= TOLERANCE_S
    assert abs(utterance.end_sample / SAMPLE_RATE - true_end) <= TOLERANCE_S
    kinds = [type(e) for e in events]
    assert kinds == [SpeechStarted, PauseSnapshot, Utterance, SpeechEnded]
    # The snapshot taken early in the final pause covers the same speech as the utterance.
    assert events[1].end_sample == utterance.end_sample
    assert np.array_equal(events[1].audio, utterance.audio[: len(events[1].audio)])
    # The recogniser gets the pre-roll before the start and keeps the speech whole.
    assert len(utterance.audio) >= utterance.end_sample - utterance.start_sample


def test_two_sentences_with_a_pause_are_two_utterances(vad):
    clip = np.concatenate(
        [silence(0.5), speak(SENTENCES[2]), silence(1.0), speak(SENTENCES[3]), silence(1.0)]
    )
    _, events = segment(vad, clip)
    assert sum(isinstance(e, Utterance) for e in events) == 2


def test_short_burst_is_not_an_utterance(vad):
    config = SegmenterConfig(min_speech_s=1.0)
    word = speak("yes")  # well under a second of voice
    _, events = segment(vad, np.concatenate([silence(0.5), word, silence(1.0)]), config)
    assert not any(isinstance(e, (Utterance, SpeechStarted)) for e in events)
    assert any(isinstance(e, SpeechDiscarded) for e in events)


def test_endless_silence_and_noise_produce_nothing_and_hold_no_audio(vad):
    config = SegmenterConfig(pre_roll_s=0.3)
    segmenter, events = segment(
        vad, np.concatenate([silence(30.0), white_noise(30.0, 0.005)]), config, chunk=4000
    )
    assert events == []
    # Only the pre-roll ring and less than one frame are held, however long the silence.
    assert segmenter.buffered_samples <= int(0.3 * SAMPLE_RATE) + 2 * FRAME_SAMPLES


def test_continuous_speech_is_cut_at_the_maximum_length(vad):
    config = SegmenterConfig(max_utterance_s=4.0)
    # Sentences back to back with no pause: about 13 s of continuous speech.
    speech = np.concatenate([speak(s) for s in SENTENCES])
    segmenter, events = segment(vad, np.concatenate([speech, silence(1.0)]), config)
    utterances = [e for e in events if isinstance(e, Utterance)]
    assert len(utterances) >= 3
    assert sum(u.cut_at_max_length for u in utterances) >= 2
    limit = int((4.0 + config.pre_roll_s) * SAMPLE_RATE) + FRAME_SAMPLES
    assert all(len(u.audio) <= limit for u in utterances)
    # The user spoke without a break: one start, one end around all the pieces.
    assert sum(isinstance(e, SpeechStarted) for e in events) == 1
    assert isinstance(events[-1], SpeechEnded)
    # No audio is lost between pieces.
    spans = [(u.start_sample, u.end_sample) for u in utterances]
    assert all(spans[i][1] == spans[i + 1][0] for i in range(len(spans) - 2))


def test_speech_resuming_after_a_snapshot_gives_a_longer_utterance(vad):
    # A 0.4 s pause inside the sentence: long enough for a snapshot, too short to end it.
    clip = np.concatenate(
        [silence(0.5), speak(SENTENCES[0]), silence(0.4), speak(SENTENCES[4]), silence(1.0)]
    )
    _, events = segment(vad, clip, SegmenterConfig(end_silence_s=0.7))
    snapshots = [e for e in events if isinstance(e, PauseSnapshot)]
    utterances = [e for e in events if isinstance(e, Utterance)]
    # A snapshot in each pause of 0.1 s or more (the comma after "Hello robot" is one too).
    assert len(utterances) == 1 and len(snapshots) >= 2
    assert snapshots[0].end_sample < utterances[0].end_sample == snapshots[-1].end_sample


def test_snapshots_can_be_disabled(vad):
    clip = np.concatenate([silence(0.5), speak(SENTENCES[0]), silence(1.0)])
    _, events = segment(vad, clip, SegmenterConfig(speculate_after_s=0.0))
    assert not any(isinstance(e, PauseSnapshot) for e in events)


def test_flush_closes_an_utterance_whose_audio_stopped(vad):
    segmenter, events = segment(vad, np.concatenate([silence(0.5), speak(SENTENCES[0])]))
    assert segmenter.in_utterance and not any(isinstance(e, Utterance) for e in events)
    closing = segmenter.flush()
    assert [type(e) for e in closing] == [Utterance, SpeechEnded]
    assert not segmenter.in_utterance


def test_reset_drops_the_utterance_in_progress(vad):
    segmenter = UtteranceSegmenter(vad.probability, SegmenterConfig(), reset_vad=vad.reset)
    events = segmenter.feed(speak(SENTENCES[0])[:SAMPLE_RATE])
    assert any(isinstance(e, SpeechStarted) for e in events) and segmenter.speaking
    segmenter.reset()
    assert not segmenter.speaking
    assert segmenter.feed(silence(2.0)) == []


def test_invalid_config_is_rejected():
    with pytest.raises(ValueError, match="threshold"):
        SegmenterConfig(threshold=1.5).validate()
    with pytest.raises(ValueError, match="max_utterance_s"):
        SegmenterConfig(max_utterance_s=0.2).validate()


def test_ten_minutes_of_continuous_speech_stay_within_bounded_memory(vad):
    config = SegmenterConfig(max_utterance_s=15.0)
    speech = np.concatenate([speak(s) for s in SENTENCES])
    repeats = int(np.ceil(600 * SAMPLE_RATE / len(speech)))
    segmenter = UtteranceSegmenter(
        vad.probability, config, SAMPLE_RATE, FRAME_SAMPLES, reset_vad=vad.reset
    )
    limit = int((15.0 + config.pre_roll_s) * SAMPLE_RATE) + 2 * FRAME_SAMPLES
    pieces, largest_buffer = [], 0
    for _ in range(repeats):  # fed as a stream: never ten minutes in memory at once
        for start in range(0, len(speech), 8000):
            for event in segmenter.feed(speech[start : start + 8000]):
                if isinstance(event, Utterance):
                    pieces.append((event.start_sample, event.end_sample, len(event.audio)))
            largest_buffer = max(largest_buffer, segmenter.buffered_samples)
    assert largest_buffer <= limit
    assert len(pieces) >= 35  # 600 s / 15 s, fewer only where espeak's own pauses ended one
    assert all(length <= limit for _, _, length in pieces)
    # Between them the pieces cover the stream: no stretch of speech is skipped.
    covered = sum(end - start for start, end, _ in pieces)
    assert covered >= 0.9 * segmenter.samples_seen - 15 * SAMPLE_RATE
