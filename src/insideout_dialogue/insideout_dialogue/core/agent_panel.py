"""Ask every emotion agent at once; a failing agent is recorded and the others go on.

With a deadline, an agent still writing when it passes is stopped and its complete sentences so
far are its answer (a robot should not keep the user waiting for one slow voice). When no agent
has anything usable by then, the panel waits for the first to finish instead.

With `max_sentences`, an agent is stopped as soon as it has written that many sentences: the
prompts ask for one, and a small model that goes on anyway makes every voice (and so the reply)
wait for words nobody will use. A sentence of fewer than MIN_SENTENCE_WORDS words ("Oh no!", "Oh
no, I'm sorry.") is counted with the next one, so an exclamation alone is never a whole answer.

With `max_words`, an answer that runs past that many words is stopped at its next clause end
(comma, semicolon, dash), or MAX_WORDS_OVERRUN words later wherever it is: the slowest voice
sets the pace of the whole turn, and the aggregator needs a voice's gist, not its every word
(a thought is never spoken as it is).

An answer that reads back a prompt (prompt_recital: "You are Fear, the scared feeling inside a
robot's head"), is an assistant's stock refusal or repeats the user's words (answer_faults.py)
is no answer: it is recorded as failed and not blended.
"""

import asyncio
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from insideout_dialogue.core.agent_config import AgentConfig
from insideout_dialogue.core.answer_faults import refusal, repeated_words
from insideout_dialogue.core.llm_client import LlmCallError, LlmClient
from insideout_dialogue.core.prompt_recital import PromptRecital
from insideout_dialogue.core.prompts import History, PromptSet, agent_messages
from insideout_dialogue.core.reply_sentences import SentenceStream


@dataclass
class AgentAnswer:
    agent: str
    model: str
    text: str = ""
    ok: bool = False
    error: str = ""
    latency: float = 0.0  # request to complete answer (or failure) [s]
    first_token_latency: float = -1.0  # request to its first token [s]; -1: none came
    # Stopped at the panel's deadline: `text` holds the sentences it had finished by then.
    cut: bool = False
    streamed: str = ""  # what has arrived so far
    finished_at: float = 0.0  # monotonic time the answer was complete (or failed) [s]


MIN_SENTENCE_WORDS = 5
MAX_WORDS_OVERRUN = 6
_CLAUSE_PUNCTUATION = ",;:\u2014\u2013- "
# Words a thought cut mid-phrase must not end on ("... address any unfair treatment and.").
_DANGLING = re.compile(
    r"(?:\s+(?:and|or|but|so|to|with|the|a|an|of|for|in|on|at|that|which|"
    r"my|your|because|if))+$",
    re.IGNORECASE,
)


class SentenceBudget:
    """Counts the complete sentences of a streamed answer; `full` once `limit` have come, or
    once it was stopped at `max_words` (see the module doc)."""

    def __init__(self, limit: int, max_words: int = 0):
        self.limit = limit
        self.max_words = max_words
        self.sentences: list[str] = []
        self.stopped_at_words = False
        self._stream = SentenceStream()
        self._short = ""  # a sentence too short to count alone, waiting for the next

    def feed(self, piece: str) -> bool:
        for sentence in self._stream.feed(piece):
            sentence = f"{self._short} {sentence}".strip()
            if len(sentence.split()) < MIN_SENTENCE_WORDS:
                self._short = sentence
            else:
                self._short = ""
                self.sentences.append(sentence)
        if self.max_words > 0 and not self.full:
            self._stop_at_words()
        return self.full

    def _stop_at_words(self) -> None:
        before = sum(len(s.split()) for s in self.sentences) + len(self._short.split())
        if before + len(self._stream.pending.split()) < self.max_words:
            return
        clause = self._stream.take_clause(max(1, self.max_words - before))
        if (
            clause is None
            and before + len(self._stream.pending.split()) >= self.max_words + MAX_WORDS_OVERRUN
        ):
            clause = self._stream.take_rest()
        if clause is None:
            if not self._stream.pending.strip() and before >= self.max_words:
                self.stopped_at_words = True  # whole sentences already reach the limit
            return
        clause = _DANGLING.sub("", clause.rstrip(_CLAUSE_PUNCTUATION)).rstrip(_CLAUSE_PUNCTUATION)
        self.sentences.append(f"{self._short} {clause}.".strip())
        self._short = ""
        self.stopped_at_words = True

    @property
    def full(self) -> bool:
        return 0 < self.limit <= len(self.sentences) or self.stopped_at_words

    def text(self) -> str:
        return " ".join(self.sentences[: self.limit] if self.limit > 0 else self.sentences)


# Called as each agent finishes (in completion order), e.g. for action feedback.
AgentDoneCallback = Callable[[AgentAnswer], None]
# Called as an agent's answer streams (answer.streamed holds the text so far), e.g. for a live view.
AgentTextCallback = Callable[[AgentAnswer], None]


async def ask_agent(
    client: LlmClient,
    prompts: PromptSet,
    agent: AgentConfig,
    question: str,
    history: History = (),
    answer: AgentAnswer | None = None,
    max_sentences: int = 0,
    on_text: AgentTextCallback | None = None,
    max_words: int = 0,
) -> AgentAnswer:
    """The agent's answer, filled into `answer` (if given) as it streams; with `max_sentences`
    > 0 the request is stopped once that many sentences have come (see module doc)."""
    started = time.monotonic()
    answer = answer or AgentAnswer(agent=agent.name, model=agent.endpoint.model)
    messages = agent_messages(prompts, agent.prompt, agent.paper_word, question, history)
    budget = SentenceBudget(max_sentences, max_words)

    def on_delta(piece: str) -> None:
        if answer.first_token_latency < 0:
            answer.first_token_latency = time.monotonic() - started
        answer.streamed += piece
        budget.feed(piece)
        if on_text is not None:
            on_text(answer)

    # Streamed: for the first token's time (per-stage timing) and to stop at the budget.
    try:
        whole = await stream_within_budget(client, agent.endpoint, messages, on_delta, budget)
        # Stopped at the budget (even if the request failed in the same moment): the sentences
        # are whole.
        answer.text = budget.text() if budget.full else whole
        answer.ok, answer.error = True, ""
    except LlmCallError as error:
        answer.error = str(error)
    answer.finished_at = time.monotonic()
    answer.latency = answer.finished_at - started
    return answer


async def stream_within_budget(
    client: LlmClient, endpoint, messages, on_delta: Callable[[str], None], budget
) -> str:
    """The streamed answer's whole text, or "" once `budget` is full (anything with a `full`
    flag, a SentenceBudget or a ReplySpeaker, that on_delta fills): the request is then stopped.
    Raises LlmCallError."""
    enough = asyncio.Event()

    def on_piece(piece: str) -> None:
        on_delta(piece)
        if budget.full:
            enough.set()

    request = asyncio.ensure_future(client.chat(endpoint, messages, on_piece))
    budget_reached = asyncio.ensure_future(enough.wait())
    try:
        await asyncio.wait({request, budget_reached}, return_when=asyncio.FIRST_COMPLETED)
        return "" if budget.full else request.result()
    finally:
        # Cancelling the request closes its connection, so the server frees the slot at once.
        for task in (request, budget_reached):
            task.cancel()
        await asyncio.gather(request, budget_reached, return_exceptions=True)


def _complete_sentences(streamed: str) -> list[str]:
    """The complete sentences of a stopped answer, a too-short one counted with the next (an
    exclamation alone, "Oh no!", is not an answer)."""
    budget = SentenceBudget(limit=0)
    budget.feed(streamed + " ")
    return budget.sentences


def _cut_at_deadline(answer: AgentAnswer, deadline: float, elapsed: float) -> AgentAnswer:
    """An answer stopped at the deadline: its complete sentences, or a failure without any."""
    sentences = _complete_sentences(answer.streamed)
    answer.latency = elapsed
    answer.finished_at = time.monotonic()
    answer.cut = True
    if sentences:
        answer.text, answer.ok = " ".join(sentences), True
        answer.error = f"cut at the agents' {deadline:g} s deadline"
    else:
        answer.ok = False
        answer.error = f"no complete sentence within the agents' {deadline:g} s deadline"
    return answer


def refuse_unusable(
    answer: AgentAnswer, recital: PromptRecital | None, question: str
) -> AgentAnswer:
    """The answer, failed when it reads back a prompt, is a stock refusal or repeats the user's
    words (see module doc)."""
    if not answer.ok:
        return answer
    recited = recital.find(answer.text) if recital is not None else ""
    why = (
        f"recital: the answer repeats {recited}" if recited else answer_fault(answer.text, question)
    )
    if why:
        answer.ok, answer.text, answer.error = False, "", why
    return answer


def answer_fault(text: str, question: str) -> str:
    """Why `text` is no thought of the agent's own (answer_faults.py), or ""."""
    refused = refusal(text)
    if refused:
        return f"a stock refusal ({refused!r})"
    repeated = repeated_words(text, question)
    return f"the user's own words ({repeated!r})" if repeated else ""


async def ask_panel(
    client: LlmClient,
    prompts: PromptSet,
    agents: Sequence[AgentConfig],
    question: str,
    history: History = (),
    on_agent_done: AgentDoneCallback | None = None,
    deadline: float = 0.0,
    max_sentences: int = 0,
    on_agent_text: AgentTextCallback | None = None,
    max_words: int = 0,
    recital: PromptRecital | None = None,
) -> list[AgentAnswer]:
    """Every agent's answer in the configured order. Cancelling this cancels every request.

    `deadline` > 0: agents still writing after that many seconds are stopped; `max_sentences`
    > 0: each agent is stopped after that many sentences; `max_words` > 0: or at a clause end
    past that many words (see module doc); `recital`: the prompts no answer may read back.
    """
    started = time.monotonic()
    answers = [AgentAnswer(agent=agent.name, model=agent.endpoint.model) for agent in agents]

    async def one(agent: AgentConfig, answer: AgentAnswer) -> AgentAnswer:
        await ask_agent(
            client,
            prompts,
            agent,
            question,
            history,
            answer,
            max_sentences,
            on_agent_text,
            max_words,
        )
        refuse_unusable(answer, recital, question)
        if on_agent_done is not None:
            on_agent_done(answer)
        return answer

    tasks = [asyncio.create_task(one(agent, answer)) for agent, answer in zip(agents, answers)]
    try:
        done, late = await asyncio.wait(tasks, timeout=deadline if deadline > 0 else None)
        if (
            late
            and not any(t.result().ok for t in done)
            and not any(_complete_sentences(a.streamed) for a in answers)
        ):
            # Nothing usable yet: a late answer beats none (the fallback reply) at all.
            done, late = await asyncio.wait(late, return_when=asyncio.FIRST_COMPLETED)
        # cancel() is False for a task that finished meanwhile: that answer is whole.
        stopped = {task for task in late if task.cancel()}
        await asyncio.gather(*late, return_exceptions=True)
        for task, answer in zip(tasks, answers):
            if task in stopped:
                refuse_unusable(
                    _cut_at_deadline(answer, deadline, time.monotonic() - started),
                    recital,
                    question,
                )
                if on_agent_done is not None:
                    on_agent_done(answer)
        return answers
    finally:
        # On cancellation gather cancels its children, but make it explicit and wait for them
        # so no request outlives the turn.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
