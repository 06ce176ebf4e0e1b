"""The canonical emotion labels every model maps onto (same order as EmotionState.labels)."""

LABELS = (
    "anger",
    "contempt",
    "disgust",
    "fear",
    "happiness",
    "neutral",
    "sadness",
    "surprise",
)

LABEL_INDEX = {label: index for index, label in enumerate(LABELS)}

NEUTRAL = "neutral"


def neutral_scores():
    """Scores of a person showing no emotion: all weight on 'neutral'."""
    return [1.0 if label == NEUTRAL else 0.0 for label in LABELS]
