"""Helpers for the dialogue node tests: parameters pointing at a test server, and I/O over DDS."""

from std_msgs.msg import String

from insideout_common.emotions import LABELS
from insideout_common.ros.qos import RELIABLE_EVENTS
from insideout_msgs.msg import DialogueTurn, EmotionState, Transcript

AGENTS = ["happiness", "sadness", "fear", "anger"]


def answered(reply) -> bool:
    """An AgentReply the model gave: usable, or set aside by the content checks (how
    agent_panel.refuse_unusable says why: a prompt read back, a stock refusal, the user's words)."""
    set_aside = ("recital:", "a stock refusal", "the user's own words")
    return bool(reply.ok and reply.text.strip()) or reply.error.startswith(set_aside)


# The aggregator model name that streaming_behaviors() answers with its reply.
STREAMING_AGGREGATOR = "aggregator-stream"


def streaming_behaviors(reply: str, words_per_second: float = 10.0):
    """FakeOpenAIServer behaviours: each agent (params_for's model names) and the aggregator
    (STREAMING_AGGREGATOR, answering `reply`) stream word by word, so progress shows them grow."""
    from support.fake_openai_server import Behavior

    behaviors = {f"agent-{agent}": Behavior(tokens_per_second=words_per_second) for agent in AGENTS}
    behaviors[STREAMING_AGGREGATOR] = Behavior(text=reply, tokens_per_second=words_per_second)
    return behaviors


def params_for(
    base_url: str,
    models: dict[str, str] | None = None,
    timeout: float = 5.0,
    aggregator_model: str = "fake-ok",
    **overrides,
) -> dict[str, object]:
    """Every agent and the aggregator at `base_url` (through llm.base_url, which they all fall
    back to); per-agent model names pick fake behaviours. The strategy is weighted_llm, whose
    every turn has all four agents and one aggregate, unless `aggregation.strategy` is given
    (the default, leading_voice, has its own tests: test_dialogue_leading_voice_node.py)."""
    models = models or {}
    params: dict[str, object] = {
        "local_llm.autostart": False,
        "aggregation.strategy": "weighted_llm",
        "llm.base_url": base_url,
        "aggregator.model": aggregator_model,
        "aggregator.timeout": timeout,
    }
    for agent in AGENTS:
        params[f"agents.{agent}.model"] = models.get(agent, f"agent-{agent}")
        params[f"agents.{agent}.timeout"] = timeout
    params.update(overrides)
    return params


class DialogueIO:
    """Publishers and collectors for one dialogue node under test."""

    def __init__(self, ros):
        self.ros = ros
        self.transcripts = ros.publisher(Transcript, "/insideout/transcript", RELIABLE_EVENTS)
        self.emotions = ros.publisher(EmotionState, "/insideout/emotion", RELIABLE_EVENTS)
        self.turns = ros.collect(DialogueTurn, "/insideout/dialogue", RELIABLE_EVENTS)
        self.replies = ros.collect(String, "/insideout/reply", RELIABLE_EVENTS)
        self._utterance_id = 0

    def wait_connected(self, timeout: float = 20.0) -> bool:
        return (
            self.ros.wait_for_subscribers(self.transcripts, 1, timeout)
            and self.ros.wait_for_subscribers(self.emotions, 1, timeout)
            and self.ros.wait_for_publishers("/insideout/dialogue", 1, timeout)
        )

    def say(self, text: str, final: bool = True) -> int:
        self._utterance_id += 1
        self.transcripts.publish(
            Transcript(
                utterance_id=self._utterance_id,
                text=text,
                is_final=final,
                confidence=0.9,
                language="en",
            )
        )
        return self._utterance_id

    def turn_for(self, text: str, timeout: float = 20.0) -> DialogueTurn | None:
        return self.turns.wait_for(lambda t: t.user_text == text, timeout)


def face(label: str | None, confidence: float = 1.0) -> EmotionState:
    """An EmotionState with all weight on `label` (None: no face)."""
    if label is None:
        return EmotionState(
            face_detected=False,
            labels=list(LABELS),
            scores=[0.0] * len(LABELS),
            raw_scores=[0.0] * len(LABELS),
        )
    scores = [
        confidence if name == label else (1.0 - confidence) / (len(LABELS) - 1) for name in LABELS
    ]
    return EmotionState(
        face_detected=True,
        track_id=1,
        labels=list(LABELS),
        scores=scores,
        raw_scores=scores,
        dominant_label=label,
        confidence=confidence,
        model_name="test",
    )
