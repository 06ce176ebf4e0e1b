"""The interface every voice activity detector implements, and the error a missing model raises."""

from abc import ABC, abstractmethod

import numpy as np


class VadModelNotFound(RuntimeError):
    """The analyzer's package or model is not installed here; the message says what to do."""


class VadAnalyzer(ABC):
    """Speech probability per fixed-size frame of one continuous mono float32 stream.

    The UtteranceSegmenter cuts the stream into `frame_samples`-sample frames at `sample_rate`,
    asks `probability` of each in order, and calls `reset` when a new stream begins (an analyzer
    with a recurrent state forgets it there). asr_node's audio reaches it at 16 kHz.
    """

    name = "?"
    # What was loaded, for logs and diagnostics (a path or a model name).
    model_description = ""
    sample_rate = 16000
    frame_samples = 512

    @abstractmethod
    def probability(self, frame: np.ndarray) -> float:
        """Probability in [0, 1] that `frame` (`frame_samples` samples) holds speech."""

    @abstractmethod
    def reset(self) -> None:
        """Start a new stream: forget whatever was carried over from earlier frames."""

    @property
    def frame_seconds(self) -> float:
        return self.frame_samples / self.sample_rate
