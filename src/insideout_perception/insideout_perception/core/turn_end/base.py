"""The interface every end-of-turn detector implements."""

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TurnVerdict:
    complete: bool
    probability: float  # that the turn is complete, in [0, 1]
    seconds: float = 0.0  # what the decision cost


class TurnEndDetector(ABC):
    name = "?"
    # What was loaded, for logs and diagnostics.
    model_description = ""

    @abstractmethod
    def verdict(self, audio: np.ndarray) -> TurnVerdict:
        """Is the turn in `audio` (mono float32, 16 kHz, ending in the pause) complete?"""
