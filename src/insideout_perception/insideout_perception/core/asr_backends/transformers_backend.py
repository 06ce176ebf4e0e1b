"""Hugging Face transformers Whisper pipeline, loaded from a local model directory only.

The directory is what `save_pretrained` writes for a Whisper model, its tokenizer and its feature
extractor (config.json, model.safetensors, tokenizer files, preprocessor_config.json). No weights
for it ship in any package here, so there is no default; the hub is never contacted.
"""

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

INSTALL_HINT = "pip install torch==2.13.0 transformers==5.23.0"


class TransformersWhisperBackend(AsrBackend):
    name = "transformers"

    def __init__(self, options: BackendOptions):
        force_offline()
        if not options.model.strip():
            raise ModelNotAvailable(
                "transformers backend: set the `model` parameter to a local directory holding a "
                "Whisper model saved with save_pretrained (model, tokenizer and feature "
                "extractor); nothing is downloaded at run time. Or use backend:=faster_whisper, "
                "which has a bundled model"
            )
        path = Path(options.model).expanduser()
        if not (path / "config.json").is_file():
            raise ModelNotAvailable(
                f"transformers backend: {str(path)!r} is not a model directory (no config.json); "
                "save one with `WhisperForConditionalGeneration.save_pretrained(dir)` plus the "
                "processor's `save_pretrained(dir)` on a machine that has the weights"
            )
        try:
            import torch
            from transformers import pipeline
        except ImportError:
            raise ModelNotAvailable(
                f"transformers backend: torch and transformers are missing: `{INSTALL_HINT}`"
            ) from None
        self.device = (
            "cuda" if options.device in ("cuda", "auto") and torch.cuda.is_available() else "cpu"
        )
        torch.set_num_threads(max(1, options.cpu_threads))
        try:
            # HF_HUB_OFFLINE (set above) keeps every loader off the network.
            self._pipeline = pipeline(
                "automatic-speech-recognition", model=str(path), device=self.device
            )
        except Exception as error:
            raise ModelNotAvailable(
                f"transformers backend: cannot load the model in {str(path)!r}: {error}"
            ) from None
        self.model_description = str(path)
        self._language = options.language or ""
        generation = getattr(self._pipeline.model, "generation_config", None)
        multilingual = bool(getattr(generation, "is_multilingual", False))
        # English-only Whisper models reject a language/task prompt.
        self._generate_kwargs = (
            {"language": self._language, "task": "transcribe"}
            if multilingual and self._language
            else {}
        )
        if options.beam_size > 1:
            self._generate_kwargs["num_beams"] = options.beam_size

    def transcribe(self, audio: np.ndarray, speech_spans: SpeechSpans = ()) -> Recognition:
        result = self._pipeline(
            {"raw": audio.astype(np.float32, copy=False), "sampling_rate": SAMPLE_RATE},
            generate_kwargs=dict(self._generate_kwargs),
        )
        return Recognition(str(result.get("text", "")).strip(), -1.0, self._language)

    def close(self) -> None:
        self._pipeline = None
