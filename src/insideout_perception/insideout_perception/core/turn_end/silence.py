"""Silence alone ends the turn: every pause the segmenter asks about is an end."""

import numpy as np

from .base import TurnEndDetector, TurnVerdict


class SilenceTurnEnd(TurnEndDetector):
    name = "silence"
    model_description = "silence only"

    def verdict(self, audio: np.ndarray) -> TurnVerdict:
        return TurnVerdict(complete=True, probability=1.0)
