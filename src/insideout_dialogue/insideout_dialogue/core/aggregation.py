"""Make one reply from the agents' answers: `llm`, `weighted_llm` or `select`.

- llm: the paper's: an aggregator LLM call given the answers and the user's current emotion.
- weighted_llm: the same, plus each answer's weight from the user's emotion.
- select: no extra call: the answer of the top-weighted agent that answered.
- leading_voice: the top-weighted agent speaks first, the aggregator continues from its words
  (core/leading_voice.py; run by the dialogue turn, not by `aggregate`).
"""

from collections.abc import Sequence

from insideout_dialogue.core.agent_config import AgentConfig, EndpointConfig
from insideout_dialogue.core.agent_panel import AgentAnswer
from insideout_dialogue.core.llm_client import DeltaCallback, LlmClient
from insideout_dialogue.core.prompts import (
    AnswerForAggregation,
    History,
    PromptSet,
    UserEmotion,
    aggregator_messages,
)

STRATEGIES = ("llm", "weighted_llm", "select", "leading_voice")


def select_answer(answers: Sequence[AgentAnswer], weights: Sequence[float]) -> AgentAnswer | None:
    """The successful answer with the highest weight (the first in agent order on a tie)."""
    best = None
    for answer, weight in zip(answers, weights):
        if answer.ok and (best is None or weight > best[1]):
            best = (answer, weight)
    return best[0] if best else None


async def aggregate(
    client: LlmClient,
    prompts: PromptSet,
    strategy: str,
    endpoint: EndpointConfig,
    agents: Sequence[AgentConfig],
    question: str,
    answers: Sequence[AgentAnswer],
    weights: Sequence[float],
    emotion: UserEmotion,
    history: History = (),
    on_delta: DeltaCallback | None = None,
) -> str:
    """The reply text. Needs at least one successful answer; raises LlmCallError on failure."""
    if strategy not in STRATEGIES or strategy == "leading_voice":
        raise ValueError(f"unknown aggregation strategy {strategy!r}; one of {STRATEGIES}")
    if strategy == "select":
        chosen = select_answer(answers, weights)
        if chosen is None:
            raise ValueError("no successful answer to select")
        if on_delta is not None:
            on_delta(chosen.text)
        return chosen.text
    words = {agent.name: agent.paper_word for agent in agents}
    usable: list[AnswerForAggregation] = [
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
    messages = aggregator_messages(
        prompts, strategy == "weighted_llm", question, usable, emotion, history
    )
    return await client.chat(endpoint, messages, on_delta)
