"""Smart Turn v3 (Pipecat's end-of-turn model, BSD 2-Clause) run with onnxruntime alone.

A Whisper-tiny encoder with a linear head that reads the last 8 s of 16 kHz audio and gives the
probability that the speaker has finished. Its input, as the model was trained: the last 8 s
(zero-padded at the front when shorter), normalised to zero mean and unit variance, as Whisper's
80-bin log-mel spectrogram of 800 frames (faster-whisper's feature extractor computes exactly
that). The set-up takes the ONNX file out of the pipecat-ai wheel
(scripts/fetch_smart_turn_model.py); pipecat itself is never imported.
"""

import time
from pathlib import Path

import numpy as np

from insideout_common.model_files import model_search_dirs

from .base import TurnEndDetector, TurnVerdict

SAMPLE_RATE = 16000
WINDOW_SECONDS = 8
MODEL_FILE = "smart_turn/smart-turn-v3.2-cpu.onnx"
COMPLETE_ABOVE = 0.5  # the model's own decision threshold
INSTALL_HINT = "run `make setup` (scripts/fetch_smart_turn_model.py) or set `turn_end_model`"


class TurnModelNotFound(RuntimeError):
    """The Smart Turn ONNX file is not where it was looked for."""


def locate_smart_turn_model() -> Path:
    for directory in model_search_dirs():
        path = directory / MODEL_FILE
        if path.is_file():
            return path
    searched = ", ".join(str(d) for d in model_search_dirs())
    raise TurnModelNotFound(
        f"Smart Turn model {MODEL_FILE} not found in {searched}: {INSTALL_HINT}"
    )


def last_window(audio: np.ndarray) -> np.ndarray:
    """The last 8 s of the audio, zero-padded at the front when shorter."""
    samples = WINDOW_SECONDS * SAMPLE_RATE
    audio = np.asarray(audio, dtype=np.float32)[-samples:]
    return np.pad(audio, (samples - len(audio), 0))


class SmartTurnV3(TurnEndDetector):
    name = "smart_turn"

    def __init__(self, model_path: str | None = None, threads: int = 1):
        import onnxruntime
        from faster_whisper.feature_extractor import FeatureExtractor

        path = Path(model_path).expanduser() if model_path else locate_smart_turn_model()
        if not path.is_file():
            raise TurnModelNotFound(
                f"Smart Turn model {str(path)!r} does not exist: {INSTALL_HINT}"
            )
        self.model_description = str(path)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._input = self._session.get_inputs()[0].name
        self._features = FeatureExtractor(
            feature_size=80,
            sampling_rate=SAMPLE_RATE,
            hop_length=160,
            chunk_length=WINDOW_SECONDS,
            n_fft=400,
        )

    def features(self, audio: np.ndarray) -> np.ndarray:
        """(1, 80, 800) float32 log-mel features of the last 8 s."""
        window = last_window(audio)
        window = (window - window.mean()) / np.sqrt(window.var() + 1e-7)
        return self._features(window, padding=0)[None].astype(np.float32)

    def verdict(self, audio: np.ndarray) -> TurnVerdict:
        started = time.perf_counter()
        (output,) = self._session.run(None, {self._input: self.features(audio)})
        probability = float(np.asarray(output).reshape(-1)[0])
        return TurnVerdict(
            complete=probability > COMPLETE_ABOVE,
            probability=probability,
            seconds=time.perf_counter() - started,
        )
