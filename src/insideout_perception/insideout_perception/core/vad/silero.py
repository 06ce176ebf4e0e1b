"""Silero VAD (the ONNX model shipped in the `silero-vad` wheel) run with onnxruntime alone.

`import silero_vad` needs torch, so the model file is located through the package's import spec
without importing it. The model takes 512-sample frames at 16 kHz, each preceded by the last 64
samples of the previous frame, and carries a recurrent state from frame to frame.
"""

import importlib.util
from pathlib import Path

import numpy as np

from .base import VadAnalyzer, VadModelNotFound

SAMPLE_RATE = 16000
FRAME_SAMPLES = 512  # 32 ms: the frame size the 16 kHz model is trained on
CONTEXT_SAMPLES = 64
STATE_SHAPE = (2, 1, 128)

INSTALL_HINT = "install it with `pip install --no-deps silero-vad` (only its ONNX file is used)"


def locate_silero_vad_model() -> Path:
    """Path of silero_vad/data/silero_vad.onnx in the installed wheel."""
    spec = importlib.util.find_spec("silero_vad")
    if spec is None or not spec.submodule_search_locations:
        raise VadModelNotFound(f"the silero-vad package is not installed: {INSTALL_HINT}")
    for location in spec.submodule_search_locations:
        path = Path(location) / "data" / "silero_vad.onnx"
        if path.is_file():
            return path
    raise VadModelNotFound(
        f"silero-vad is installed but has no data/silero_vad.onnx: {INSTALL_HINT}"
    )


def _cpu_session(model_path: Path, threads: int):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    # One frame costs well under a millisecond: threads would only add scheduling overhead.
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(
        str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
    )


class SileroVad(VadAnalyzer):
    """Speech probability per 32 ms frame of a continuous 16 kHz stream."""

    name = "silero"
    sample_rate = SAMPLE_RATE
    frame_samples = FRAME_SAMPLES

    def __init__(self, model_path: Path | None = None, threads: int = 1):
        self.model_path = Path(model_path) if model_path else locate_silero_vad_model()
        self.model_description = str(self.model_path)
        self._session = _cpu_session(self.model_path, threads)
        self._sample_rate_input = np.array(SAMPLE_RATE, dtype=np.int64)
        self.reset()

    def reset(self) -> None:
        """Start a new stream (forget the recurrent state and the context)."""
        self._state = np.zeros(STATE_SHAPE, dtype=np.float32)
        self._context = np.zeros(CONTEXT_SAMPLES, dtype=np.float32)

    def probability(self, frame: np.ndarray) -> float:
        if frame.shape != (FRAME_SAMPLES,):
            raise ValueError(f"a VAD frame has {FRAME_SAMPLES} samples, got shape {frame.shape}")
        window = np.concatenate([self._context, frame.astype(np.float32, copy=False)])[None, :]
        output, self._state = self._session.run(
            None, {"input": window, "state": self._state, "sr": self._sample_rate_input}
        )
        self._context = window[0, -CONTEXT_SAMPLES:]
        return float(output[0, 0])
