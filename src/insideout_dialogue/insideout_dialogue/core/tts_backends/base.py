"""The one interface every speech synthesiser implements, and the errors it raises."""

from abc import ABC, abstractmethod

import numpy as np


class BackendUnavailable(RuntimeError):
    """The backend cannot run here: its package, program or voice file is missing.

    The message names what to install or configure; the node prints it once and exits.
    """


class SynthesisError(RuntimeError):
    """Synthesising one piece of text failed (the backend itself is still usable)."""


class TtsBackend(ABC):
    """Text in, mono float32 audio in [-1, 1] at `sample_rate` out."""

    #: Short name used in parameters, logs and diagnostics.
    name: str = ""
    #: Rate of the audio `synthesize` returns, in Hz.
    sample_rate: int = 0

    @abstractmethod
    def synthesize(self, text: str) -> np.ndarray:
        """Speak one sentence (or clause). Raises SynthesisError on failure."""

    def warm_up(self) -> None:
        """Synthesise a word once so lazily loaded parts (lexicons, ONNX sessions) are ready
        before the first reply, which then starts speaking sooner."""
        self.synthesize("Ready.")

    def describe(self) -> str:
        """One line for logs and diagnostics: backend, voice, rate."""
        return f"{self.name} at {self.sample_rate} Hz"

    # An optional hook, not abstract: a backend with nothing to release keeps this no-op.
    def close(self) -> None:  # noqa: B027
        """Release models or processes."""
