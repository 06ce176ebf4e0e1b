"""Ask every emotion agent at once; a failing agent is recorded and the others go on."""

import asyncio
import time
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence

from insideout_dialogue.core.agent_config import AgentConfig
from insideout_dialogue.core.llm_client import LlmCallError, LlmClient
from insideout_dialogue.core.prompts import History, PromptSet, agent_messages


@dataclass
class AgentAnswer:
    agent: str
    model: str
    text: str = ""
    ok: bool = False
    error: str = ""
    latency: float = 0.0  # request to complete answer (or failure) [s]
    first_token_latency: float = -1.0  # request to its first token [s]; -1: none came


# Called as each agent finishes (in completion order), e.g. for action feedback.
AgentDoneCallback = Callable[[AgentAnswer], None]


async def ask_agent(client: LlmClient, prompts: PromptSet, agent: AgentConfig, question: str,
                    history: History = ()) -> AgentAnswer:
    started = time.monotonic()
    answer = AgentAnswer(agent=agent.name, model=agent.endpoint.model)
    messages = agent_messages(prompts, agent.prompt, agent.paper_word, question, history)
    def first_token(_piece: str) -> None:
        if answer.first_token_latency < 0:
            answer.first_token_latency = time.monotonic() - started

    try:
        # Streamed, only to see when the first token comes (per-stage timing).
        answer.text = await client.chat(agent.endpoint, messages, first_token)
        answer.ok = True
    except LlmCallError as error:
        answer.error = str(error)
    answer.latency = time.monotonic() - started
    return answer


async def ask_panel(client: LlmClient, prompts: PromptSet, agents: Sequence[AgentConfig],
                    question: str, history: History = (),
                    on_agent_done: Optional[AgentDoneCallback] = None) -> List[AgentAnswer]:
    """Every agent's answer in the configured order. Cancelling this cancels every request."""

    async def one(agent: AgentConfig) -> AgentAnswer:
        answer = await ask_agent(client, prompts, agent, question, history)
        if on_agent_done is not None:
            on_agent_done(answer)
        return answer

    tasks = [asyncio.create_task(one(agent)) for agent in agents]
    try:
        return list(await asyncio.gather(*tasks))
    finally:
        # On cancellation gather cancels its children, but make it explicit and wait for them
        # so no request outlives the turn.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
