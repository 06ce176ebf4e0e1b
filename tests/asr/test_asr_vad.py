"""The VAD behind its interface (core.vad): the factory gives the Silero analyzer asr_node uses and
refuses an unknown name; any VadAnalyzer plugs into the segmenter, which takes its frame size,
sample rate and reset from it."""

import numpy as np
import pytest

from insideout_perception.core.audio_stream import AudioFormat
from insideout_perception.core.speech_recognizer import (
    RecognitionListener,
    RecognizerSettings,
    SpeechRecognizer,
)
from insideout_perception.core.utterance_segmenter import (
    SegmenterConfig,
    SpeechEnded,
    SpeechStarted,
    Utterance,
    UtteranceSegmenter,
)
from insideout_perception.core.vad import VAD_ANALYZERS, VadAnalyzer, create_vad
from insideout_perception.core.vad.silero import FRAME_SAMPLES, SileroVad

from .speech_audio import SAMPLE_RATE, SENTENCES, silence, speak


class ScriptedVad(VadAnalyzer):
    """Test double standing for a user's own analyzer: 10 ms frames, and a speech probability
    read from a script (frame index -> probability) instead of a model."""

    name = "scripted"
    frame_samples = 160

    def __init__(self, voiced_frames: range, sample_rate: int = 16000):
        self.sample_rate = sample_rate
        self.voiced_frames = voiced_frames
        self.frames_heard: list[int] = []  # the length of each frame it was given
        self.resets = 0

    def probability(self, frame: np.ndarray) -> float:
        index = len(self.frames_heard)
        self.frames_heard.append(len(frame))
        return 0.9 if index in self.voiced_frames else 0.02

    def reset(self) -> None:
        self.resets += 1
        self.frames_heard = []


def test_the_factory_gives_the_silero_analyzer():
    assert tuple(VAD_ANALYZERS) == ("silero",)
    vad = create_vad("silero")
    assert isinstance(vad, SileroVad) and isinstance(vad, VadAnalyzer)
    assert (vad.name, vad.sample_rate, vad.frame_samples) == ("silero", 16000, FRAME_SAMPLES)
    assert vad.model_description.endswith("silero_vad.onnx")
    speech = speak(SENTENCES[0])
    frames = speech[: len(speech) // FRAME_SAMPLES * FRAME_SAMPLES].reshape(-1, FRAME_SAMPLES)
    assert max(vad.probability(f) for f in frames) > 0.9
    vad.reset()
    assert vad.probability(silence(1.0)[:FRAME_SAMPLES]) < 0.2


def test_an_unknown_vad_is_refused_with_the_choices():
    with pytest.raises(ValueError, match=r"unknown VAD 'webrtc'; choose one of silero"):
        create_vad("webrtc")


def test_the_segmenter_through_the_interface_matches_the_silero_callables():
    """with_analyzer wires the same model, frames and reset as the callables given one by one."""
    clip = np.concatenate([silence(0.8), speak(SENTENCES[1]), silence(1.5)])

    def events(segmenter):
        found = []
        for start in range(0, len(clip), 1000):
            found += segmenter.feed(clip[start : start + 1000])
        return [
            (type(e).__name__, getattr(e, "start_sample", None), getattr(e, "end_sample", None))
            for e in found
        ]

    vad = SileroVad()
    through_interface = events(UtteranceSegmenter.with_analyzer(vad, SegmenterConfig()))
    vad = SileroVad()
    callables = UtteranceSegmenter(
        vad.probability, SegmenterConfig(), SAMPLE_RATE, FRAME_SAMPLES, reset_vad=vad.reset
    )
    assert through_interface == events(callables)
    assert [kind for kind, _, _ in through_interface].count("Utterance") == 1


def test_a_custom_analyzer_plugs_into_the_segmenter():
    vad = ScriptedVad(voiced_frames=range(100, 200))  # 1.0 to 2.0 s, in 10 ms frames
    segmenter = UtteranceSegmenter.with_analyzer(
        vad, SegmenterConfig(end_silence_s=0.5, pre_roll_s=0.3)
    )
    assert vad.resets == 1  # a new stream
    assert (segmenter.sample_rate, segmenter.frame_samples) == (16000, 160)
    events = []
    audio = np.zeros(4 * 16000, dtype=np.float32)
    for start in range(0, len(audio), 1000):  # chunks that are not whole frames
        events += segmenter.feed(audio[start : start + 1000])
    assert set(vad.frames_heard) == {160} and len(vad.frames_heard) == 400
    started = [e for e in events if isinstance(e, SpeechStarted)]
    utterances = [e for e in events if isinstance(e, Utterance)]
    assert [e.start_sample for e in started] == [100 * 160]
    assert len(utterances) == 1 and any(isinstance(e, SpeechEnded) for e in events)
    utterance = utterances[0]
    assert (utterance.start_sample, utterance.end_sample) == (100 * 160, 200 * 160)
    assert utterance.speech_spans == ((0.3, 1.3),)  # after 0.3 s of pre-roll
    segmenter.reset()
    assert vad.resets == 2


def test_the_recognizer_refuses_an_analyzer_at_another_sample_rate():
    settings = RecognizerSettings(SegmenterConfig(), AudioFormat(16000, 1, "S16LE"))
    with pytest.raises(ValueError, match="scripted VAD reads 8000 Hz audio"):
        SpeechRecognizer(settings, ScriptedVad(range(0), 8000), None, RecognitionListener())
