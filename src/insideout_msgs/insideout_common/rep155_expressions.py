"""Our eight labels and the expression names of REP-155's hri_msgs/Expression, both ways.

Shared by fer_node (which publishes expressions) and dialogue_node (which reads another face's).
"""

from typing import Dict

# Our canonical label -> hri_msgs/Expression constant. REP-155 has no "contempt"; its one-sided
# sneer reads as scepticism in conversation, the closest listed expression.
EXPRESSION_OF_LABEL: Dict[str, str] = {
    "anger": "angry",
    "contempt": "skeptical",
    "disgust": "disgusted",
    "fear": "scared",
    "happiness": "happy",
    "neutral": "neutral",
    "sadness": "sad",
    "surprise": "surprised",
}
# hri_msgs/Expression constant -> our label, for the inverse (and the REP-155 names that are
# intensities of one of ours).
LABEL_OF_EXPRESSION: Dict[str, str] = {
    **{expression: label for label, expression in EXPRESSION_OF_LABEL.items()},
    "furious": "anger", "annoyed": "anger", "horrified": "fear", "amazed": "surprise",
    "despaired": "sadness", "disappointed": "sadness",
}
