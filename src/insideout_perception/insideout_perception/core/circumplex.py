"""Valence and arousal from class scores, for models that do not predict them.

Each label sits at a point of Russell's circumplex (valence, arousal in [-1, 1]); the estimate is
the score-weighted mean of those points. Positions after Russell & Mehrabian (1977) and the
AffectNet category/valence-arousal statistics (Mollahosseini et al. 2017), rounded: they are a
coarse stand-in for a model trained on valence/arousal, and EmotionState says which one it is.
"""

from collections.abc import Sequence

import numpy as np

from insideout_common.emotions import LABELS

CIRCUMPLEX_POSITIONS: dict[str, tuple[float, float]] = {
    "anger": (-0.51, 0.59),
    "contempt": (-0.55, 0.25),
    "disgust": (-0.60, 0.35),
    "fear": (-0.64, 0.60),
    "happiness": (0.76, 0.48),
    "neutral": (0.0, 0.0),
    "sadness": (-0.63, -0.27),
    "surprise": (0.40, 0.67),
}

_POSITIONS = np.array([CIRCUMPLEX_POSITIONS[label] for label in LABELS], dtype=np.float64)


def estimate_valence_arousal(scores: Sequence[float]) -> tuple[float, float]:
    """Scores over the canonical LABELS (any non-negative weights) -> (valence, arousal)."""
    weights = np.asarray(scores, dtype=np.float64)
    if weights.shape != (len(LABELS),):
        raise ValueError(
            f"expected {len(LABELS)} scores in canonical order, got shape {weights.shape}"
        )
    total = weights.sum()
    if total <= 0:
        return 0.0, 0.0
    valence, arousal = (weights / total) @ _POSITIONS
    return float(np.clip(valence, -1, 1)), float(np.clip(arousal, -1, 1))
