"""The interface every aggregation strategy implements, and the panel strategies' common run.

A strategy is what a turn needs to make its reply from the emotion agents: which agents it asks
first and how (`run`), whether the aggregator's prompt carries the agents' weights, whether an
aggregator call makes the reply at all, the prompts of its own that no answer may read back, and
the aggregator prefill it can use. `run` gets the turn in progress (dialogue_turn.ReplyTurn): the
common steps (asking agents, speaking an aggregate, completing the reply) and the result to fill.
"""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING

from insideout_dialogue.core.agent_config import AgentConfig, EndpointConfig
from insideout_dialogue.core.agent_panel import AgentAnswer
from insideout_dialogue.core.aggregator_prefill import AggregatorPrefill
from insideout_dialogue.core.llm_client import DeltaCallback, LlmClient
from insideout_dialogue.core.prompts import (
    AnswerForAggregation,
    History,
    PromptSet,
    UserEmotion,
    aggregator_system_text,
)

if TYPE_CHECKING:  # the turn imports the strategies
    from insideout_dialogue.core.dialogue_turn import ReplyTurn, TurnResult, TurnSettings


class AggregationStrategy(ABC):
    """How a turn's reply is made from the agents (`aggregation.strategy`; see strategy_for)."""

    # The aggregator is given the agents' weights: the weighted prompt, best-weighted thought last.
    weighted_prompt = False
    # An aggregator LLM call makes (or continues) the reply; False: no call (its prompt is then
    # not warmed up).
    asks_aggregator = True

    def secret_prompts(self, settings: "TurnSettings", emotion: UserEmotion) -> dict[str, str]:
        """The prompts of the turn besides the agents' own that no answer may read back, by name:
        the aggregator's instructions with the user's mood, as sent (prompt_recital)."""
        return {
            "the aggregator's prompt": aggregator_system_text(
                settings.prompts, self.weighted_prompt, emotion, ()
            )
        }

    def prefill(
        self,
        client: LlmClient,
        settings: "TurnSettings",
        emotion: UserEmotion,
        weights: Sequence[float],
    ) -> AggregatorPrefill | None:
        """What sends the aggregator's settled prompt start ahead while agents write, or None."""
        return None

    @abstractmethod
    async def run(self, turn: "ReplyTurn") -> "TurnResult":
        """Ask the agents and speak the reply, filling `turn.result`."""


class PanelStrategy(AggregationStrategy):
    """Every agent at once, then one aggregate of their answers, spoken as it streams."""

    async def run(self, turn: "ReplyTurn") -> "TurnResult":
        settings, emotion = turn.settings, turn.result.emotion
        prefill = self.prefill(turn.client, settings, emotion, turn.emotion_weights)
        try:
            await turn.ask_every_agent(prefill)
            return await turn.speak_aggregate(self)
        finally:
            if prefill is not None:
                await prefill.close()

    @abstractmethod
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
        """The reply text from the answers (at least one successful); `on_delta` gets it as it
        streams. Raises LlmCallError when the aggregator fails."""


def aggregation_thoughts(
    agents: Sequence[AgentConfig], answers: Sequence[AgentAnswer], weights: Sequence[float]
) -> list[AnswerForAggregation]:
    """The successful answers as the aggregator's thoughts, in agent order, with their weights."""
    words = {agent.name: agent.paper_word for agent in agents}
    return [
        AnswerForAggregation(
            agent=a.agent,
            paper_word=words.get(a.agent, a.agent),
            text=a.text,
            weight=w,
            finished=a.finished_at,
        )
        for a, w in zip(answers, weights)
        if a.ok
    ]
