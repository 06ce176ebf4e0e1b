"""Speech synthesisers behind one interface (`TtsBackend`), chosen by name.

backend = create_backend(BackendSettings(name="hibari"))
audio = backend.synthesize("Hello there.")   # float32 mono at backend.sample_rate
"""

from collections.abc import Callable
from dataclasses import dataclass

from .base import BackendUnavailable, SynthesisError, TtsBackend

BACKEND_NAMES = ("hibari", "espeak-ng", "piper")


@dataclass(frozen=True)
class BackendSettings:
    name: str = "hibari"
    speed: float = 1.0  # 1.0 = the voice's natural pace
    espeak_voice: str = "en-us"
    espeak_words_per_minute: int = 160
    hibari_voice: str = "heart"
    piper_model_path: str = ""
    piper_config_path: str = ""
    threads: int = 1  # onnxruntime threads for the neural voices
    use_gpu: bool = False


def create_backend(
    settings: BackendSettings, warn: Callable[[str], None] | None = None
) -> TtsBackend:
    """Build the named backend; raises BackendUnavailable saying what to install or configure."""
    if settings.name == "espeak-ng":
        from .espeak_ng import EspeakNgBackend

        return EspeakNgBackend(
            voice=settings.espeak_voice,
            words_per_minute=round(settings.espeak_words_per_minute * settings.speed),
        )
    if settings.name == "hibari":
        from .hibari_voice import HibariBackend

        return HibariBackend(
            voice=settings.hibari_voice, speed=settings.speed, threads=settings.threads
        )
    if settings.name == "piper":
        from .piper_voice import PiperBackend

        return PiperBackend(
            model_path=settings.piper_model_path,
            config_path=settings.piper_config_path,
            speed=settings.speed,
            use_gpu=settings.use_gpu,
            threads=settings.threads,
            logger=warn,
        )
    raise BackendUnavailable(
        f"unknown TTS backend {settings.name!r}; choose one of {', '.join(BACKEND_NAMES)}"
    )


__all__ = [
    "BACKEND_NAMES",
    "BackendSettings",
    "BackendUnavailable",
    "SynthesisError",
    "TtsBackend",
    "create_backend",
]
