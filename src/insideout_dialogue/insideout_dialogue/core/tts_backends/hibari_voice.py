"""hibari: a small neural voice (Kokoro-distilled, 24 kHz) whose default voice ships in its wheel.

Only the voices already on disk are used: hibari downloads the others on first use, and nothing may
be downloaded at run time, so a missing voice is an error that says where to put the file.
"""

import numpy as np

from .base import BackendUnavailable, SynthesisError, TtsBackend

INSTALL_HINT = (
    "install it with: pip install --no-deps hibari-tts "
    "(requirements/nodeps.txt; it needs numpy and onnxruntime)"
)


class HibariBackend(TtsBackend):
    name = "hibari"

    def __init__(self, voice: str = "heart", speed: float = 1.0, threads: int = 1, seed: int = 0):
        try:
            import hibari
            from hibari.voices import VOICES, voice_path
        except ImportError as error:
            raise BackendUnavailable(
                f"TTS backend 'hibari': the hibari-tts package is not importable "
                f"({error}); {INSTALL_HINT}"
            ) from error
        if voice not in VOICES:
            raise BackendUnavailable(
                f"TTS backend 'hibari': unknown voice {voice!r}; known: {', '.join(VOICES)}"
            )
        try:
            model_path = voice_path(voice, download_missing=False)
        except FileNotFoundError as error:
            raise BackendUnavailable(
                f"TTS backend 'hibari': voice {voice!r} is not on this machine "
                f"({error.args[0]}); only 'heart' ships in the wheel, the others are separate "
                "files: copy the voice's .onnx file there (or set HIBARI_HOME), or use "
                "hibari_voice: heart"
            ) from error
        try:
            self._tts = hibari.Hibari(voice=voice, model=model_path, threads=threads)
        except Exception as error:  # onnxruntime load errors have no common base class
            raise BackendUnavailable(
                f"TTS backend 'hibari': could not load {model_path}: {error}"
            ) from error
        self.sample_rate = int(hibari.SAMPLE_RATE)
        self._voice = voice
        self._speed = float(speed)
        self._seed = seed

    def synthesize(self, text: str) -> np.ndarray:
        try:
            # A fixed seed makes the same text sound the same every time (its noise component).
            audio = self._tts(text, speed=self._speed, seed=self._seed)
        except Exception as error:  # G2P or onnxruntime failure on odd text
            raise SynthesisError(f"hibari failed on {text[:40]!r}: {error}") from error
        return np.asarray(audio, dtype=np.float32)

    def describe(self) -> str:
        return f"hibari voice {self._voice} at {self.sample_rate} Hz"
