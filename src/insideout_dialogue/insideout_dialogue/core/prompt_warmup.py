"""Fill the embedded server's prompt caches before the first turn.

llama-server keeps each slot's last prompt and reuses its longest common prefix, and it sends a
request to the idle slot whose cached prompt matches best. Sending every agent's and the
aggregator's system prompt once, together, leaves one slot per prompt: the first real turn then
processes only the utterance, as later turns do, instead of paying about twice as long.
"""

import asyncio
import dataclasses
import time
from collections.abc import Callable

from insideout_dialogue.core.aggregation_strategies import strategy_for
from insideout_dialogue.core.dialogue_turn import TurnSettings
from insideout_dialogue.core.llm_client import LlmClient
from insideout_dialogue.core.prompts import (
    AnswerForAggregation,
    UserEmotion,
    agent_messages,
    aggregator_messages,
)

# What the warm-up pretends the user said (only the system prompts before it matter).
PLACEHOLDER_UTTERANCE = "Hello."


async def warm_prompt_caches(
    client: LlmClient, settings: TurnSettings, local_base_url: str
) -> dict[str, str]:
    """One 1-token request per prompt that goes to `local_base_url`; {name: problem} of failures.

    Remote endpoints are left alone: they cost money and cache on their own terms.
    """
    local = local_base_url.rstrip("/")
    requests = {}
    for agent in settings.agents:
        if agent.endpoint.base_url.rstrip("/") == local:
            messages = agent_messages(
                settings.prompts, agent.prompt, agent.paper_word, PLACEHOLDER_UTTERANCE
            )
            requests[agent.name] = (agent.endpoint, messages)
    strategy = strategy_for(settings.strategy)
    if strategy.asks_aggregator and settings.aggregator.base_url.rstrip("/") == local:
        answers = [
            AnswerForAggregation(a.name, a.paper_word, PLACEHOLDER_UTTERANCE, 0.25)
            for a in settings.agents
        ]
        messages = aggregator_messages(
            settings.prompts,
            strategy.weighted_prompt,
            PLACEHOLDER_UTTERANCE,
            answers,
            UserEmotion(),
        )
        requests["aggregator"] = (settings.aggregator, messages)

    async def warm(endpoint, messages):
        await client.chat(dataclasses.replace(endpoint, max_tokens=1), messages)

    results = await asyncio.gather(
        *(warm(e, m) for e, m in requests.values()), return_exceptions=True
    )
    return {
        name: str(result)
        for name, result in zip(requests, results)
        if isinstance(result, Exception)
    }


async def warm_up(
    client: LlmClient,
    settings: TurnSettings,
    local_base_url: str | None,
    log: Callable[[str, str], None],
) -> None:
    """At start: ask every server for its models (creating the HTTP clients), then, when
    `local_base_url` is given (the embedded server runs), fill its prompt caches. Logs what
    failed; nothing here is fatal."""
    endpoints = [a.endpoint for a in settings.agents] + [settings.aggregator]
    for base_url, problem in (await client.warm_up(endpoints)).items():
        log(
            "warning",
            f"LLM server {base_url} did not answer GET /models at start ({problem});"
            " turns using it may fail",
        )
    if local_base_url:
        started = time.monotonic()
        for name, problem in (await warm_prompt_caches(client, settings, local_base_url)).items():
            log("warning", f"warming the {name} prompt failed: {problem}")
        log("info", f"embedded LLM prompts warmed in {time.monotonic() - started:.1f} s")
