"""Conversions between the dialogue core's types and insideout_msgs."""

from collections.abc import Iterable

from insideout_common.emotions import LABELS, neutral_scores
from insideout_dialogue.core.agent_config import redact
from insideout_dialogue.core.dialogue_turn import TurnResult
from insideout_dialogue.core.emotion_weights import EmotionReading
from insideout_dialogue.core.prompts import UserEmotion
from insideout_msgs.action import Respond
from insideout_msgs.msg import AgentReply, DialogueTurn, EmotionState


def reading_from(msg: EmotionState, received_at: float) -> EmotionReading:
    scores = {label: float(score) for label, score in zip(msg.labels, msg.scores)}
    return EmotionReading(
        face_detected=msg.face_detected,
        scores=scores,
        dominant_label=msg.dominant_label,
        confidence=float(msg.confidence),
        received_at=received_at,
    )


def mean_emotion_msg(reading: EmotionReading) -> EmotionState:
    """An EmotionState holding the emotion over an utterance (a mean, not one received message)."""
    scores = [float(reading.scores.get(label, 0.0)) for label in LABELS]
    return EmotionState(
        face_detected=reading.face_detected,
        labels=list(LABELS),
        scores=scores,
        raw_scores=scores,
        dominant_label=reading.dominant_label,
        confidence=float(reading.confidence),
    )


def emotion_used_msg(
    scores: dict[str, float], emotion: UserEmotion, source: EmotionState | None
) -> EmotionState:
    """The EmotionState a turn was conditioned on (the neutral default when none was usable)."""
    if source is not None and not emotion.fallback_reason:
        return source
    return EmotionState(
        face_detected=False,
        labels=list(LABELS),
        scores=neutral_scores(),
        raw_scores=neutral_scores(),
        dominant_label="neutral",
        confidence=1.0,
    )


def dialogue_turn_msg(
    turn_id: int,
    utterance: str,
    result: TurnResult,
    emotion_used: EmotionState,
    strategy: str,
    secrets: Iterable[str],
) -> DialogueTurn:
    """The DialogueTurn of a finished turn (header stamp left to the caller); API keys scrubbed."""
    replies = [
        AgentReply(
            agent=a.agent,
            model=a.model,
            text=a.text if a.ok else "",
            ok=a.ok,
            error=redact(a.error, secrets),
            latency=float(a.latency),
            first_token_latency=float(a.first_token_latency),
        )
        for a in result.answers
    ]
    return DialogueTurn(
        turn_id=turn_id,
        user_text=utterance,
        emotion=emotion_used,
        agent_replies=replies,
        agent_weights=[float(w) for w in result.weights],
        aggregation_strategy=strategy,
        reply=result.reply,
        reply_source=result.reply_source,
        emotion_source=result.emotion_source,
        success=result.success,
        error_code=result.error_code,
        error_message=redact(result.error_message, secrets),
        reply_spoken=result.reply_spoken,
        latency=float(result.latency),
        agents_latency=float(result.agents_latency if result.answers else -1.0),
        aggregator_first_token_latency=float(result.aggregator_first_token_latency),
        first_sentence_latency=float(result.first_sentence_latency),
    )


def respond_result(turn: DialogueTurn) -> Respond.Result:
    return Respond.Result(
        reply=turn.reply,
        agent_replies=turn.agent_replies,
        emotion_used=turn.emotion,
        success=turn.success,
        error_code=turn.error_code,
        error_message=turn.error_message,
        reply_spoken=turn.reply_spoken,
    )


def stage_summary(result: TurnResult) -> str:
    first_token = min(
        (a.first_token_latency for a in result.answers if a.first_token_latency >= 0), default=-1.0
    )
    return (
        f"agents first token {first_token:.2f} s, agents done {result.agents_latency:.2f} s, "
        f"aggregator first token {result.aggregator_first_token_latency:.2f} s, "
        f"first sentence {result.first_sentence_latency:.2f} s"
    )
