"""Process the start of the aggregator's prompt while the agents are still writing.

On a CPU the aggregator's prompt (the mood, four thoughts and the utterance: about 90 tokens on
the embedded model) took 1.5-2 s to process after the last agent was done, all of it waited for.
The thoughts stand in increasing weight and equal weights in the order they were complete
(prompts.thought_order_key), so each time an agent finishes, the prompt is settled up to the
first thought still missing: with one dominant voice, all but one or two thoughts are processed
before the last agent is done. That start goes to the aggregator's own llama-server slot
(LlmClient.prefill); the real request then finds it in the slot's cache and processes only the
rest (measured: 35 instead of 116 tokens). Used only with a pinned slot
(EndpointConfig.server_slot), i.e. the embedded server: a remote API would bill every prefill as
a request.

Off by default (TurnSettings.aggregator_prefill): on 2 CPU cores the prefills, mixed into the
agents' decoding, slowed the agents more than they saved the aggregator (docs/design/
dialogue_latency.md).
"""

import asyncio
import math
from collections.abc import Mapping, Sequence

from insideout_dialogue.core.agent_config import EndpointConfig
from insideout_dialogue.core.agent_panel import AgentAnswer
from insideout_dialogue.core.llm_client import LlmClient
from insideout_dialogue.core.prompts import (
    AnswerForAggregation,
    PromptSet,
    UserEmotion,
    aggregator_system_text,
    thought_order_key,
)


def settled_thoughts(
    answers: Sequence[AgentAnswer],
    weights: Sequence[float],
    weighted: bool,
    paper_words: Mapping[str, str],
) -> list[AnswerForAggregation]:
    """The thoughts that will open the aggregator's prompt whatever the unfinished agents say:
    in the final order, up to the first agent still writing; failed agents are left out, as
    they are from the final prompt."""

    def key(pair):
        answer, weight = pair
        finished = answer.finished_at if answer.finished_at > 0 else math.inf
        return thought_order_key(weight, finished, weighted)

    settled = []
    for answer, weight in sorted(zip(answers, weights), key=key):
        if answer.finished_at <= 0:
            break
        if answer.ok:
            settled.append(
                AnswerForAggregation(
                    answer.agent,
                    paper_words.get(answer.agent, answer.agent),
                    answer.text,
                    weight,
                    answer.finished_at,
                )
            )
    return settled


class AggregatorPrefill:
    """Sends each newly settled start of the aggregator prompt ahead; `close` stops them."""

    def __init__(
        self,
        client: LlmClient,
        endpoint: EndpointConfig,
        prompts: PromptSet,
        weighted: bool,
        emotion: UserEmotion,
        weights: Sequence[float],
        paper_words: Mapping[str, str],
    ):
        self._client, self._endpoint, self._prompts = client, endpoint, prompts
        self._weighted, self._emotion = weighted, emotion
        self._weights, self._paper_words = list(weights), paper_words
        self._sent = -1  # thoughts in the last start sent
        self._tasks: list[asyncio.Task] = []

    @property
    def requests_sent(self) -> int:
        return len(self._tasks)

    def update(self, answers: Sequence[AgentAnswer]) -> None:
        """Call when the turn starts and as each agent finishes (in the event loop)."""
        if all(answer.finished_at > 0 for answer in answers):
            return  # the real request follows at once: a prefill would only queue before it
        settled = settled_thoughts(answers, self._weights, self._weighted, self._paper_words)
        if len(settled) <= self._sent:
            return
        self._sent = len(settled)
        system = aggregator_system_text(self._prompts, self._weighted, self._emotion, settled)
        self._tasks.append(
            asyncio.ensure_future(
                self._client.prefill(self._endpoint, [{"role": "system", "content": system}])
            )
        )

    async def close(self) -> None:
        """Stop prefills still running (a finished turn needs none)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
