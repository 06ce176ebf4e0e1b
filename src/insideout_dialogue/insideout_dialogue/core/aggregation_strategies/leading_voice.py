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
(docs/design/leading_voice.md)
"""

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from insideout_dialogue.core.agent_config import AgentConfig
from insideout_dialogue.core.agent_panel import (
    AgentAnswer,
    SentenceBudget,
    answer_fault,
    ask_agent,
    refuse_unusable,
    stream_within_budget,
)
from insideout_dialogue.core.aggregation_strategies.base import (
    AggregationStrategy,
    aggregation_thoughts,
)
from insideout_dialogue.core.aggregation_strategies.weighted_llm import WeightedLlmAggregation
from insideout_dialogue.core.answer_faults import refusal
from insideout_dialogue.core.llm_client import LlmCallError, LlmClient
from insideout_dialogue.core.prompts import (
    CONTINUATION_NOTE,
    WEIGHT_ORDER_STEP,
    AnswerForAggregation,
    History,
    UserEmotion,
    aggregation_order,
    continued_aggregator_messages,
    first_reaction_prompt,
)
from insideout_dialogue.core.reply_sentences import SentenceStream, split_sentences
from insideout_dialogue.core.reply_speaker import ReplySpeaker, ends_sentence

if TYPE_CHECKING:  # the turn imports the strategies
    from insideout_dialogue.core.dialogue_turn import ReplyTurn, TurnResult

# The leader's name when no agent leads and the robot's own voice speaks first.
OWN_VOICE = "robot"
# How the turn goes on when nothing of the leader was spoken.
FALLBACK = WeightedLlmAggregation()


class LeadingVoiceAggregation(AggregationStrategy):
    # The aggregator continues with the weighted prompt.
    weighted_prompt = True

    def secret_prompts(self, settings, emotion: UserEmotion) -> dict[str, str]:
        return {
            "the robot's first-reaction prompt": first_reaction_prompt(emotion),
            # Spoken once by the continuation ("... You have begun your answer already; go on").
            "the continuation note": CONTINUATION_NOTE,
            **super().secret_prompts(settings, emotion),
        }

    async def run(self, turn: "ReplyTurn") -> "TurnResult":
        leader = Leader.of(turn)
        speaker = turn.new_speaker()
        await _speak_leader(turn, leader, speaker)
        # Only now: started with the leader, the others slowed its first words by 1-2.5 s on 2
        # CPU cores (docs/design/leading_voice.md).
        await turn.ask_agents(leader.others)
        if not speaker.spoken:  # the leader failed or was refused: the usual weighted aggregate
            return await _weighted_instead(turn, leader, speaker)
        turn.agents_done()
        turn.start_aggregating()
        await _continue_from_leader(turn, leader, speaker)
        turn.finish_reply(speaker)
        return turn.result


@dataclass(frozen=True)
class Leader:
    """Who speaks first: an agent, or the robot's own voice when no feeling leads."""

    agent: AgentConfig
    # Filled in as it answers: an agent's entry in the turn's answers, or the robot's own.
    answer: AgentAnswer
    # The other agents, asked once the leader has answered.
    others: list[AgentConfig]
    is_agent: bool

    @classmethod
    def of(cls, turn: "ReplyTurn") -> "Leader":
        agents = turn.settings.agents
        lead = leader_index(turn.emotion_weights)
        others = [agent for index, agent in enumerate(agents) if index != lead]
        if lead is None:
            robot = own_voice(turn.settings, turn.result.emotion)
            answer = AgentAnswer(agent=robot.name, model=robot.endpoint.model)
            return cls(robot, answer, others, is_agent=False)
        return cls(agents[lead], turn.result.answers[lead], others, is_agent=True)

    @property
    def name(self) -> str:
        """As DialogueTurn's reply_source names it."""
        return leader_name(self.agent)


def leader_name(leader: AgentConfig) -> str:
    if leader.name == OWN_VOICE:
        return "robot's own first reaction"
    return f"{leader.name} agent"


async def _speak_leader(turn: "ReplyTurn", leader: Leader, speaker: ReplySpeaker) -> None:
    """The leader's answer, spoken as it streams; an agent's is reported as the others' are."""
    on_text = turn.agent_text if leader.is_agent else _ignore
    answer = await speak_leader(
        turn.client,
        turn.settings,
        leader.agent,
        leader.answer,
        turn.result.user_text,
        turn.agent_history,
        speaker,
        on_text,
    )
    if leader.is_agent:
        turn.agent_done(refuse_unusable(answer, turn.recital, turn.result.user_text))


def _ignore(_answer: AgentAnswer) -> None:
    pass


async def _weighted_instead(
    turn: "ReplyTurn", leader: Leader, speaker: ReplySpeaker
) -> "TurnResult":
    """Nothing of the leader was spoken: the turn goes on as `weighted_llm`."""
    why = leader.answer.error or (speaker.refused[0] if speaker.refused else "empty")
    result = await turn.speak_aggregate(FALLBACK)
    result.reply_source += f" (the leading {leader.name} was not spoken: {why})"
    return result


async def _continue_from_leader(turn: "ReplyTurn", leader: Leader, speaker: ReplySpeaker) -> None:
    """The aggregator continues from the leader's spoken words with the other thoughts; the
    leader's words alone are the reply when it fails or has nothing to blend."""
    result = turn.result
    thoughts = [
        thought
        for thought in aggregation_thoughts(turn.settings.agents, result.answers, result.weights)
        if thought.agent != leader.agent.name
    ]
    result.reply_source = f"the {leader.name}, then the aggregator"
    speaker.allow_more()  # a new source: the leader's refused sentence does not silence it
    if not thoughts:
        result.reply_source = f"the {leader.name} alone: no other agent answered"
        return
    try:
        await continue_reply(
            turn.client,
            turn.settings,
            result.user_text,
            speaker.text,
            aggregation_order(thoughts, weighted=True),
            result.emotion,
            turn.history,
            speaker,
            turn.note_aggregator_piece,
        )
    except LlmCallError as error:
        result.reply_source = f"the {leader.name} alone: the aggregator failed ({error})"


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
    on_piece: Callable[[], None],
) -> str:
    """The aggregator's continuation of `said` (spoken sentence by sentence; "" once the
    reply reached its length limit); raises LlmCallError. `on_piece` is called as each piece
    arrives (before it is spoken).

    A small model often ends its turn right after the words it was given ("Wow, you're so
    proud!" and nothing more): then the other voices are never heard. On the embedded server
    (a pinned slot) it is asked once more with the end of text ignored, for one sentence."""
    messages = continued_aggregator_messages(
        settings.prompts, question, others, emotion, said, history
    )
    spoken_before = len(speaker.spoken)
    speech = StreamedSpeech(speaker, 0, False, split_sentences(said), _refusal_fault)
    echo = EchoedPrefix(said)

    def on_delta(piece: str) -> None:
        on_piece()
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
