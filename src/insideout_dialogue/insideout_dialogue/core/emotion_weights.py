"""From the user's facial emotion to agent weights, through a configurable mapping.

Each emotion label maps to weights over agents (e.g. sadness -> sadness 0.5, happiness 0.3, ...).
The agent weights are the score-weighted sum of those rows, normalised to sum to 1. No face, or
an EmotionState older than the timeout, counts as neutral.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from insideout_common.emotions import LABELS, NEUTRAL, neutral_scores
from insideout_dialogue.core.prompts import UserEmotion

# label -> [("agent:weight"), ...]: the defaults of the `emotion_to_agent.<label>` parameters.
DEFAULT_EMOTION_TO_AGENT: dict[str, list[str]] = {
    "anger": ["anger:0.4", "sadness:0.2", "fear:0.2", "happiness:0.2"],
    "contempt": ["anger:0.4", "sadness:0.2", "fear:0.2", "happiness:0.2"],
    "disgust": ["anger:0.4", "fear:0.3", "sadness:0.2", "happiness:0.1"],
    "fear": ["fear:0.5", "happiness:0.3", "sadness:0.1", "anger:0.1"],
    "happiness": ["happiness:0.7", "sadness:0.1", "fear:0.1", "anger:0.1"],
    "neutral": ["happiness:0.25", "sadness:0.25", "fear:0.25", "anger:0.25"],
    "sadness": ["sadness:0.5", "happiness:0.3", "fear:0.1", "anger:0.1"],
    "surprise": ["happiness:0.4", "fear:0.4", "sadness:0.1", "anger:0.1"],
}


class MappingError(ValueError):
    pass


def parse_mapping_row(entries: Sequence[str]) -> dict[str, float]:
    """["agent:weight", ...] -> {agent: weight}; raises MappingError naming the bad entry."""
    row: dict[str, float] = {}
    for entry in entries:
        agent, sep, weight = str(entry).partition(":")
        try:
            value = float(weight)
        except ValueError:
            value = -1.0
        if not sep or not agent.strip() or value < 0:
            raise MappingError(f"{entry!r} is not 'agent:weight' with a weight >= 0")
        row[agent.strip()] = value
    return row


def check_mapping_row(entries: Sequence[str], agents: Sequence[str]) -> str | None:
    """Why a mapping row is unusable with these agents, or None."""
    try:
        row = parse_mapping_row(entries)
    except MappingError as error:
        return str(error)
    unknown = sorted(set(row) - set(agents))
    if unknown:
        return f"names agents that are not in agents.names: {unknown}"
    return None


def emotion_problem(labels: Sequence[str], scores: Sequence[float]) -> str | None:
    """Why an EmotionState's scores cannot be used, or None."""
    if len(labels) != len(scores):
        return f"{len(labels)} labels but {len(scores)} scores"
    bad = [
        f"{label}={score}"
        for label, score in zip(labels, scores)
        if not math.isfinite(score) or score < 0.0
    ]
    if bad:
        return f"scores must be finite and >= 0, got {', '.join(bad)}"
    return None


@dataclass
class EmotionReading:
    """The latest EmotionState as the dialogue needs it, with the time it was received."""

    face_detected: bool
    scores: dict[str, float]
    dominant_label: str
    confidence: float
    received_at: float  # monotonic seconds


def effective_emotion(
    reading: EmotionReading | None, now: float, timeout: float
) -> "tuple[dict[str, float], UserEmotion]":
    """Scores and emotion to condition a turn on: neutral without a recent face."""
    neutral = dict(zip(LABELS, neutral_scores()))
    if reading is None:
        return neutral, UserEmotion(fallback_reason="no EmotionState received")
    if now - reading.received_at > timeout:
        return neutral, UserEmotion(fallback_reason=f"EmotionState older than {timeout:g} s")
    if not reading.face_detected or not reading.scores or sum(reading.scores.values()) <= 0:
        return neutral, UserEmotion(fallback_reason="no face detected")
    label = reading.dominant_label or max(reading.scores, key=reading.scores.get)
    return dict(reading.scores), UserEmotion(label=label, confidence=reading.confidence)


def agent_weights(
    scores: Mapping[str, float], mapping: Mapping[str, Mapping[str, float]], agents: Sequence[str]
) -> list[float]:
    """Weights over `agents` (same order), summing to 1; equal when the mapping gives nothing."""
    totals = [0.0] * len(agents)
    for label, score in scores.items():
        row = mapping.get(label, {})
        for index, agent in enumerate(agents):
            totals[index] += float(score) * row.get(agent, 0.0)
    total = sum(totals)
    if total <= 0:
        return [1.0 / len(agents)] * len(agents) if agents else []
    return [value / total for value in totals]


def renormalise(weights: Sequence[float], keep: Sequence[bool]) -> list[float]:
    """Zero the weights of agents that failed and rescale the rest to sum to 1."""
    kept = [w if k else 0.0 for w, k in zip(weights, keep)]
    total = sum(kept)
    if total <= 0:
        count = sum(1 for k in keep if k)
        return [(1.0 / count if k else 0.0) for k in keep] if count else list(weights)
    return [w / total for w in kept]


__all__ = [
    "NEUTRAL",
    "DEFAULT_EMOTION_TO_AGENT",
    "EmotionReading",
    "agent_weights",
    "emotion_problem",
    "check_mapping_row",
    "effective_emotion",
    "parse_mapping_row",
    "renormalise",
]
