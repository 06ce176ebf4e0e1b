"""Aggregation strategy `llm`, the paper's: an aggregator LLM call given every successful answer
and the user's current emotion."""

from collections.abc import Sequence

from insideout_dialogue.core.agent_config import AgentConfig, EndpointConfig
from insideout_dialogue.core.agent_panel import AgentAnswer
from insideout_dialogue.core.aggregation_strategies.base import PanelStrategy, aggregation_thoughts
from insideout_dialogue.core.aggregator_prefill import AggregatorPrefill
from insideout_dialogue.core.llm_client import DeltaCallback, LlmClient
from insideout_dialogue.core.prompts import History, PromptSet, UserEmotion, aggregator_messages


class LlmAggregation(PanelStrategy):
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
        thoughts = aggregation_thoughts(agents, answers, weights)
        messages = aggregator_messages(
            prompts, self.weighted_prompt, question, thoughts, emotion, history
        )
        return await client.chat(endpoint, messages, on_delta)

    def prefill(self, client, settings, emotion, weights) -> AggregatorPrefill | None:
        """A prefill for the aggregator's pinned slot (embedded server, improved prompts) when
        `aggregator_prefill` is on (aggregator_prefill.py)."""
        if (
            not settings.aggregator_prefill
            or settings.aggregator.server_slot < 0
            or settings.prompts.style != "improved"
        ):
            return None
        words = {agent.name: agent.paper_word for agent in settings.agents}
        return AggregatorPrefill(
            client,
            settings.aggregator,
            settings.prompts,
            self.weighted_prompt,
            emotion,
            weights,
            words,
        )
