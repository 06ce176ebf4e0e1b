"""Aggregation strategy `leading_voice`: the voice that fits the user best speaks first.

As in the film the paper is named after, the emotion at the console reacts first and the others
chime in. The agent with the highest weight for the user's emotion answers first, alone (on 2 CPU
cores four answers at once take as long as four in a row), and its sentence is spoken as it
streams; when no agent's weight stands out (a calm or unseen face), the robot's own voice (the
aggregator's endpoint, asked for a first plain reaction) speaks first instead. The other agents
answer while it is spoken; then the aggregator continues the reply from the leader's words, which
it is given as the start of its own turn (so the words flow on rather than repeat), blending the
other voices and the user's mood as the weighted aggregator does.

When the leader fails, is a stock refusal or the user's own words (answer_faults.py), or its
words do not pass the speech guard before anything was spoken, the turn goes on as
`weighted_llm`. When the aggregator fails after the leader spoke, the leader's words are the
reply; when it ends its turn at once on the embedded server, it is asked for one more sentence.
"""

import dataclasses
from collections.abc import Callable, Sequence

from insideout_dialogue.core.agent_config import AgentConfig
from insideout_dialogue.core.agent_panel import (
    AgentAnswer,
    SentenceBudget,
    answer_fault,
    ask_agent,
    ask_panel,
    stream_within_budget,
)
from insideout_dialogue.core.answer_faults import refusal
from insideout_dialogue.core.llm_client import LlmClient
from insideout_dialogue.core.prompt_recital import PromptRecital
from insideout_dialogue.core.prompts import (
    WEIGHT_ORDER_STEP,
    AnswerForAggregation,
    History,
    continued_aggregator_messages,
    first_reaction_prompt,
)
from insideout_dialogue.core.reply_sentences import SentenceStream, split_sentences
from insideout_dialogue.core.reply_speaker import ReplySpeaker, ends_sentence

STRATEGY = "leading_voice"
# The leader's name when no agent leads and the robot's own voice speaks first.
OWN_VOICE = "robot"


def leader_index(weights: Sequence[float]) -> int | None:
    """The agent with the highest weight; None when another is as high (to WEIGHT_ORDER_STEP):
    no feeling leads (a calm or unseen face), and the robot's own voice speaks first."""
    order = sorted(range(len(weights)), key=lambda i: weights[i], reverse=True)
    if not order or (len(order) > 1 and weights[order[0]] - weights[order[1]] < WEIGHT_ORDER_STEP):
        return None
    return order[0]


def own_voice(settings, emotion) -> AgentConfig:
    """The robot's own voice as a leader: the aggregator's endpoint (with an agent's answer
    limit) and a prompt for a first, plain reaction, with the user's mood."""
    limit = settings.agents[0].endpoint.max_tokens if settings.agents else 40
    endpoint = dataclasses.replace(settings.aggregator, max_tokens=limit)
    return AgentConfig(
        name=OWN_VOICE,
        endpoint=endpoint,
        paper_word=OWN_VOICE,
        prompt=first_reaction_prompt(emotion),
    )


class StreamedSpeech:
    """Speaks an answer as it streams: its first clause once it has `first_clause_min_words`
    words, then every sentence as it completes; `finish` speaks the last one."""

    def __init__(
        self,
        speaker: ReplySpeaker,
        first_clause_min_words: int,
        phrase_breaks: bool,
        repeats_of: Sequence[str] = (),
        fault: Callable[[str], str] = lambda _sentence: "",
    ):
        """`fault`: why a sentence must not be spoken, beyond the speech guard ("" if it may)."""
        self._speaker = speaker
        self._fault = fault
        self._sentences = SentenceStream()
        self._clause_words = first_clause_min_words
        self._phrase_breaks = phrase_breaks
        self._fed = 0
        # Sentences already spoken that a continuation must not say again.
        self._said = {_normalised(text) for text in repeats_of}

    def feed_streamed(self, streamed: str) -> None:
        """`streamed`: the whole answer so far (an AgentAnswer's `streamed`)."""
        piece, self._fed = streamed[self._fed :], len(streamed)
        self.feed(piece)

    def feed(self, piece: str) -> None:
        for sentence in self._sentences.feed(piece):
            self._say(sentence)
        if not self._speaker.spoken and self._clause_words > 0:
            clause = self._sentences.take_clause(self._clause_words, self._phrase_breaks)
            if clause:
                self._say(clause)

    def finish(self) -> None:
        """The rest: spoken when it ends a sentence, or when nothing whole went out before it;
        else it is a fragment cut off by max_tokens and not spoken."""
        rest = self._sentences.take_rest()
        if rest and (ends_sentence(rest) or not self._speaker.whole_sentence_spoken()):
            self._say(rest if ends_sentence(rest) else rest + ".")

    def _say(self, sentence: str) -> None:
        if _normalised(sentence) in self._said:
            return
        fault = self._fault(sentence)
        if fault:
            self._speaker.refuse(fault)
            return
        self._speaker.emit(sentence)


def _normalised(text: str) -> str:
    return " ".join("".join(c for c in text.lower() if c.isalnum() or c.isspace()).split())


async def speak_leader(
    client: LlmClient,
    settings,
    leader: AgentConfig,
    answer: AgentAnswer,
    question: str,
    history: History,
    speaker: ReplySpeaker,
    on_text: Callable[[AgentAnswer], None],
) -> AgentAnswer:
    """The leader's answer, spoken as it streams. One sentence, without the other agents' word
    limit: it is spoken as written, and a thought cut at a clause end sounds cut. A stock
    refusal or the user's own words are not spoken (answer_faults.py)."""
    speech = StreamedSpeech(
        speaker,
        settings.first_clause_min_words,
        settings.first_clause_phrase_breaks,
        fault=lambda sentence: answer_fault(sentence, question),
    )

    def streamed(partial: AgentAnswer) -> None:
        speech.feed_streamed(partial.streamed)
        on_text(partial)

    await ask_agent(
        client,
        settings.prompts,
        leader,
        question,
        history,
        answer,
        max_sentences=1,
        on_text=streamed,
    )
    if answer.ok:
        speech.finish()
    return answer


async def continue_reply(
    client: LlmClient,
    settings,
    question: str,
    said: str,
    others: Sequence[AnswerForAggregation],
    emotion,
    history: History,
    speaker: ReplySpeaker,
    on_first_token: Callable[[], None],
) -> str:
    """The aggregator's continuation of `said` (spoken sentence by sentence; "" once the
    reply reached its length limit); raises LlmCallError.

    A small model often ends its turn right after the words it was given ("Wow, you're so
    proud!" and nothing more): then the other voices are never heard. On the embedded server
    (a pinned slot) it is asked once more with the end of text ignored, for one sentence."""
    messages = continued_aggregator_messages(
        settings.prompts, question, others, emotion, said, history
    )
    spoken_before = len(speaker.spoken)
    speech = StreamedSpeech(speaker, 0, False, split_sentences(said), _refusal_fault)
    echo = EchoedPrefix(said)
    first: list[bool] = []

    def on_delta(piece: str) -> None:
        if not first:
            first.append(True)
            on_first_token()
        speech.feed(echo.strip(piece))

    # Stopped once the reply is as long as it may be (the speaker is then full).
    text = await stream_within_budget(client, settings.aggregator, messages, on_delta, speaker)
    speech.feed(echo.strip("", final=True))
    speech.finish()
    if (
        len(speaker.spoken) > spoken_before
        or speaker.refused
        or speaker.full
        or settings.aggregator.server_slot < 0
    ):
        return text
    return await _one_more_sentence(client, settings.aggregator, messages, said, speaker)


async def _one_more_sentence(
    client: LlmClient, endpoint, messages, said: str, speaker: ReplySpeaker
) -> str:
    """The continuation's first sentence with the model's end of text ignored (llama-server's
    ignore_eos, embedded server only), spoken once whole; a fragment cut by max_tokens is not
    spoken."""
    echo = EchoedPrefix(said)
    budget = SentenceBudget(limit=1)
    new: list[str] = []

    def on_delta(piece: str) -> None:
        new.append(echo.strip(piece))
        budget.feed(new[-1])

    await stream_within_budget(
        client, dataclasses.replace(endpoint, ignore_eos=True), messages, on_delta, budget
    )
    sentence = budget.text() if budget.full else "".join(new) + echo.strip("", final=True)
    speech = StreamedSpeech(speaker, 0, False, split_sentences(said), _refusal_fault)
    speech.feed(sentence)
    speech.finish()
    return f"{said} {sentence}".strip()


def _refusal_fault(sentence: str) -> str:
    """A continuation's sentence that is a stock refusal is not spoken: it would take back the
    leader's words ("I can't help you with that right now.")."""
    refused = refusal(sentence)
    return f"a stock refusal ({refused!r})" if refused else ""


class EchoedPrefix:
    """Removes the words already said from the start of a continuation's stream: llama-server
    streams a continued assistant message from its start (the prefix first), other servers
    send only what follows. Pieces are held while they still match the prefix."""

    def __init__(self, prefix: str):
        self._prefix = " ".join(prefix.split())
        self._held = ""
        self._done = not self._prefix

    def strip(self, piece: str, final: bool = False) -> str:
        if self._done:
            return piece
        self._held += piece
        held = " ".join(self._held.split())
        if held.startswith(self._prefix):  # the whole prefix came back: drop it
            self._done = True
            rest = self._held.lstrip()
            for word in self._prefix.split():  # skip the prefix's words, whatever the spacing
                rest = rest[rest.index(word) + len(word) :]
            return rest
        if self._prefix.startswith(held.rstrip()) and not final:
            return ""  # still matching: wait
        self._done = True
        out, self._held = self._held, ""
        return out


async def ask_others(
    client: LlmClient,
    settings,
    agents: Sequence[AgentConfig],
    question: str,
    history: History,
    on_done,
    on_text,
    recital: PromptRecital | None,
) -> list[AgentAnswer]:
    """The other agents' answers (the panel's limits and deadline apply)."""
    if not agents:
        return []
    return await ask_panel(
        client,
        settings.prompts,
        agents,
        question,
        history,
        on_done,
        settings.agents_deadline,
        settings.agents_max_sentences,
        on_text,
        settings.agents_max_words,
        recital,
    )
