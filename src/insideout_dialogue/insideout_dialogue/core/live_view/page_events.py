"""ROS messages as the JSON events the page applies, one `type` each.

Duck-typed on the message fields (insideout_msgs, std_msgs), so the core needs no rclpy. `t` is
the server's wall-clock time of the event [s since the epoch]: the page's strip chart and the
benchmark's latency compare it with the browser's clock on the same machine.
"""

import math
import time

# DialogueTurn.error_code of a turn the user talked over (Respond.action's ERROR_INTERRUPTED; kept
# here so the live view does not import the dialogue pipeline).
ERROR_INTERRUPTED = 7


def _now(now: float | None) -> float:
    return time.time() if now is None else now


def _num(value, default: float = 0.0, digits: int = 3) -> float:
    """A finite float for the page (JSON has no NaN or Infinity; a bad publisher's NaN must not
    break the page)."""
    value = float(value)
    return round(value, digits) if math.isfinite(value) else default


def _round(values, digits: int = 3) -> list[float]:
    return [_num(v, 0.0, digits) for v in values]


def emotion_event(msg, now: float | None = None) -> dict:
    roi = msg.face_roi
    return {
        "type": "emotion",
        "t": _now(now),
        "face": bool(msg.face_detected),
        "track": int(msg.track_id),
        "face_id": msg.face_id,
        "box": [int(roi.x_offset), int(roi.y_offset), int(roi.width), int(roi.height)],
        "labels": list(msg.labels),
        "scores": _round(msg.scores),
        "dominant": msg.dominant_label,
        "confidence": _num(msg.confidence),
        "valence": _num(msg.valence),
        "arousal": _num(msg.arousal),
        "model": msg.model_name,
    }


def transcript_event(msg, now: float | None = None) -> dict:
    return {
        "type": "transcript",
        "t": _now(now),
        "utterance": int(msg.utterance_id),
        "text": msg.text,
        "final": bool(msg.is_final),
    }


def flag_event(kind: str, value: bool, now: float | None = None) -> dict:
    """kind: "user_speaking" or "robot_speaking"."""
    return {"type": kind, "t": _now(now), "on": bool(value)}


def spoken_event(text: str, now: float | None = None) -> dict:
    """The reply text whose audio starts now (insideout/reply/spoken)."""
    return {"type": "spoken", "t": _now(now), "text": text}


def progress_event(msg, now: float | None = None) -> dict:
    return {
        "type": "progress",
        "t": _now(now),
        "turn": int(msg.turn_id),
        "user_text": msg.user_text,
        "stage": msg.stage,
        "agent": msg.agent,
        "text": msg.text,
        "agents": list(msg.agent_names),
        "weights": _round(msg.agent_weights),
        "elapsed": _num(msg.elapsed),
    }


def turn_event(msg, now: float | None = None) -> dict:
    stamp = msg.header.stamp
    return {
        "type": "turn",
        "t": _now(now),
        "turn": int(msg.turn_id),
        "stamp": stamp.sec + stamp.nanosec * 1e-9,
        "user_text": msg.user_text,
        "emotion": msg.emotion.dominant_label or "none",
        "emotion_source": msg.emotion_source,
        "agents": [
            {
                "agent": a.agent,
                "model": a.model,
                "text": a.text,
                "ok": bool(a.ok),
                "error": a.error,
                "latency": _num(a.latency, -1.0),
                "first_token": _num(a.first_token_latency, -1.0),
            }
            for a in msg.agent_replies
        ],
        "weights": _round(msg.agent_weights),
        "strategy": msg.aggregation_strategy,
        "reply": msg.reply,
        "reply_source": msg.reply_source,
        "success": bool(msg.success),
        "error": msg.error_message,
        # Cut off (here: while still being written; LiveState marks later cuts): what was heard.
        "interrupted": int(msg.error_code) == ERROR_INTERRUPTED,
        "reply_spoken": msg.reply_spoken,
        "timings": {
            "agents": _num(msg.agents_latency, -1.0),
            "aggregator_first_token": _num(msg.aggregator_first_token_latency, -1.0),
            "first_sentence": _num(msg.first_sentence_latency, -1.0),
            "total": _num(msg.latency, -1.0),
        },
    }


def interrupted_event(msg, now: float | None = None) -> dict:
    """A reply cut off (ReplyInterrupted): the sentence that was playing and its words heard."""
    return {
        "type": "interrupted",
        "t": _now(now),
        "reply": msg.reply,
        "heard": msg.heard,
        "reason": msg.reason,
        "dropped": int(msg.replies_dropped),
    }


def turn_state_event(state: str, now: float | None = None) -> dict:
    """Whose turn it is (turn_state.TurnStateTracker): one of turn_state.STATES."""
    return {"type": "turn_state", "t": _now(now), "state": state}


def notice_event(level: str, text: str, now: float | None = None) -> dict:
    """A line for the page's status bar (a control's outcome, e.g. "forgot 2 turns")."""
    return {"type": "notice", "t": _now(now), "level": level, "text": text}
