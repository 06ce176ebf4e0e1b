"""Aggregation strategy `select`: no extra call, the answer of the top-weighted agent that
answered is the reply."""

from collections.abc import Sequence

from insideout_dialogue.core.agent_config import AgentConfig, EndpointConfig
from insideout_dialogue.core.agent_panel import AgentAnswer
from insideout_dialogue.core.aggregation_strategies.base import PanelStrategy
from insideout_dialogue.core.llm_client import DeltaCallback, LlmClient
from insideout_dialogue.core.prompts import History, PromptSet, UserEmotion


def select_answer(answers: Sequence[AgentAnswer], weights: Sequence[float]) -> AgentAnswer | None:
    """The successful answer with the highest weight (the first in agent order on a tie)."""
    best = None
    for answer, weight in zip(answers, weights):
        if answer.ok and (best is None or weight > best[1]):
            best = (answer, weight)
    return best[0] if best else None


class SelectAggregation(PanelStrategy):
    asks_aggregator = False

    async def aggregate(
        self,
        client: LlmClient,
        prompts: PromptSet,
        endpoint: EndpointConfig,
        agents: Sequence[AgentConfig],
        question: str,
        answers: Sequence[AgentAnswer],
        weights: Sequence[float],
        emotion: UserEmotion,
        history: History = (),
        on_delta: DeltaCallback | None = None,
    ) -> str:
        chosen = select_answer(answers, weights)
        if chosen is None:
            raise ValueError("no successful answer to select")
        if on_delta is not None:
            on_delta(chosen.text)
        return chosen.text
