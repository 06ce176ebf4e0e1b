"""One dialogue turn: agents in parallel, weights from the user's emotion, aggregation, reply.

The aggregation strategy (core/aggregation_strategies/) decides which agents are asked first and
how the reply is made; ReplyTurn is the turn in progress, with the steps the strategies share:
asking agents, speaking an aggregate as it streams, completing a reply that fell short.

The error codes equal Respond.action's ERROR_* constants (a test checks they stay equal).
"""

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from insideout_dialogue.core.agent_config import AgentConfig, EndpointConfig
from insideout_dialogue.core.agent_panel import AgentAnswer, ask_panel
from insideout_dialogue.core.aggregation_strategies import PanelStrategy, strategy_for
from insideout_dialogue.core.aggregation_strategies.select import select_answer
from insideout_dialogue.core.aggregator_prefill import AggregatorPrefill
from insideout_dialogue.core.emotion_weights import agent_weights, renormalise
from insideout_dialogue.core.llm_client import LlmCallError, LlmClient
from insideout_dialogue.core.progress_throttle import PerKeyThrottle
from insideout_dialogue.core.prompt_recital import PromptRecital
from insideout_dialogue.core.prompts import History, PromptSet, UserEmotion, remembered_only
from insideout_dialogue.core.reply_sentences import SentenceStream, split_sentences
from insideout_dialogue.core.reply_speaker import ReplySpeaker, ends_sentence
from insideout_dialogue.core.speech_guard import SpeechGuard

ERROR_NONE = 0
ERROR_ALL_AGENTS_FAILED = 1
ERROR_AGGREGATOR_FAILED = 2
ERROR_CANCELED = 3
ERROR_PREEMPTED = 4
ERROR_INVALID_GOAL = 5
ERROR_INTERNAL = 6
ERROR_INTERRUPTED = 7  # the user talked over the robot

# Stages, as Respond.Feedback.STAGE_*.
STAGE_QUEUED = "queued"
STAGE_AGENTS = "agents"
STAGE_AGENT_DONE = "agent_done"
# Not a Respond feedback stage: an agent's answer so far, for TurnProgress (live views) only.
STAGE_AGENT_PARTIAL = "agent_partial"
STAGE_AGGREGATING = "aggregating"
STAGE_REPLY_PARTIAL = "reply_partial"

# The error of an agent whose request was still running when the turn ended.
NOT_ANSWERED = "not answered yet"


@dataclass(frozen=True)
class TurnSettings:
    agents: Sequence[AgentConfig]
    aggregator: EndpointConfig
    prompts: PromptSet
    strategy: str
    # label -> {agent: weight}
    emotion_to_agent: Mapping[str, Mapping[str, float]]
    fallback_reply: str
    # Publish the reply sentence by sentence as the aggregator streams it.
    stream_sentences: bool = True
    # Earlier turns go to the aggregator always, to the agents only when this is set: on a small
    # local model every history token is paid five times per turn otherwise.
    history_in_agent_prompts: bool = False
    # Seconds after which agents still writing are stopped (their finished sentences used);
    # 0: wait for every agent.
    agents_deadline: float = 0.0
    # Each agent is stopped once it has written this many sentences; 0: let it finish.
    agents_max_sentences: int = 0
    # An agent past this many words is stopped at its next clause end; 0: no limit.
    agents_max_words: int = 0
    # Process the aggregator's settled prompt start in its pinned slot while agents write
    # (aggregator_prefill). Off by default: on 2 CPU cores the prefills slow the agents more than
    # they save at the end (benchmarks.md, 2026-12-05).
    aggregator_prefill: bool = False
    # Before anything is spoken, a clause of at least this many words (up to a comma) is spoken
    # without waiting for its sentence to end; 0: whole sentences only.
    first_clause_min_words: int = 0
    # That first clause may also end before a word starting a new phrase ("and", "with", ...).
    first_clause_phrase_breaks: bool = False
    # An agent's answer so far is reported (STAGE_AGENT_PARTIAL) at most this often [s].
    progress_interval: float = 0.1
    # An aggregate of fewer words is no answer ("Hooray! Congratulations!"): nothing is spoken
    # before the aggregator has written this many words; a shorter aggregate is asked for once
    # more, cooler, then replaced by the best agent answer. 0: any length.
    reply_min_words: int = 0
    # A spoken reply ends with its last whole sentence within this many words. 0: any length.
    reply_max_words: int = 0


# The retry of a too-short aggregate samples at most this hot: a cooler sample stays closer to
# the prompt's "one or two sentences".
RETRY_TEMPERATURE = 0.3


@dataclass
class TurnResult:
    """Everything a DialogueTurn / Respond result reports; filled in as the turn goes."""

    user_text: str
    emotion: UserEmotion
    answers: list[AgentAnswer] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    reply: str = ""
    success: bool = False
    error_code: int = ERROR_INTERNAL
    error_message: str = ""
    started_at: float = field(default_factory=time.monotonic)
    latency: float = 0.0
    agents_latency: float = 0.0
    # From receiving the utterance [s]; -1 when the turn did not get that far.
    aggregator_first_token_latency: float = -1.0
    first_sentence_latency: float = -1.0
    # Where the spoken reply came from: "aggregator", or why something else was spoken.
    reply_source: str = ""
    # Which emotion the turn was conditioned on (set by the caller, which chose it).
    emotion_source: str = ""
    # ERROR_INTERRUPTED: the part of the reply the user heard before talking over it.
    reply_spoken: str = ""

    def fail(self, code: int, message: str, reply: str) -> "TurnResult":
        self.success, self.error_code, self.error_message, self.reply = False, code, message, reply
        self.reply_source = "the fallback reply (the turn failed)" if reply else ""
        self.latency = time.monotonic() - self.started_at
        return self


@dataclass
class TurnHooks:
    """How a turn reports progress: stage feedback and each finished reply sentence."""

    on_stage: Callable[[str, str, str], None] = lambda stage, agent, text: None
    on_sentence: Callable[[str], None] = lambda sentence: None


def _all_failed_message(answers: Sequence[AgentAnswer]) -> str:
    return "all agents failed: " + "; ".join(f"{a.agent}: {a.error}" for a in answers)


async def run_turn(
    client: LlmClient,
    settings: TurnSettings,
    result: TurnResult,
    scores: dict[str, float],
    history: History = (),
    hooks: TurnHooks | None = None,
) -> TurnResult:
    """Fill `result` for one utterance. Cancelling the task stops every request in flight; the
    caller then still has what `result` holds so far."""
    strategy = strategy_for(settings.strategy)
    turn = ReplyTurn.start(client, settings, result, scores, history, hooks or TurnHooks())
    return await strategy.run(turn)


def prompt_recital_for(settings: TurnSettings, emotion: UserEmotion) -> PromptRecital:
    """The prompts of a turn that no answer may read back: every agent's persona and the
    strategy's own (the aggregator's instructions with the user's mood, as sent). Not the
    thoughts themselves: each is meant to be spoken-like, and the guard speaks one as it is when
    the aggregate fails."""
    sources = {f"the {agent.name} agent's prompt": agent.prompt for agent in settings.agents}
    sources.update(strategy_for(settings.strategy).secret_prompts(settings, emotion))
    return PromptRecital(sources)


@dataclass
class ReplyTurn:
    """A turn in progress as its aggregation strategy runs it: the settings, the result being
    filled in, and the steps the strategies share."""

    client: LlmClient
    settings: TurnSettings
    result: TurnResult
    hooks: TurnHooks
    # Earlier turns: the aggregator's always, the agents' with history_in_agent_prompts.
    history: History
    # The agents' weights from the user's emotion, before failed agents' weights are shared out.
    emotion_weights: Sequence[float]
    # The prompts no answer may read back.
    recital: PromptRecital
    # The agents' names, in order.
    names: list[str]
    # How often an agent's answer so far is reported.
    throttle: PerKeyThrottle
    # Sends the aggregator's settled prompt start ahead as agents finish (see ask_every_agent).
    prefill: AggregatorPrefill | None = None

    @classmethod
    def start(
        cls,
        client: LlmClient,
        settings: TurnSettings,
        result: TurnResult,
        scores: dict[str, float],
        history: History,
        hooks: TurnHooks,
    ) -> "ReplyTurn":
        """The turn with its weights set, every agent reported as asked and not answered yet."""
        names = [agent.name for agent in settings.agents]
        emotion_weights = agent_weights(scores, settings.emotion_to_agent, names)
        result.weights = list(emotion_weights)
        hooks.on_stage(STAGE_AGENTS, "", "")
        result.answers = [
            AgentAnswer(agent=a.name, model=a.endpoint.model, error=NOT_ANSWERED)
            for a in settings.agents
        ]
        return cls(
            client,
            settings,
            result,
            hooks,
            history,
            emotion_weights,
            prompt_recital_for(settings, result.emotion),
            names,
            PerKeyThrottle(settings.progress_interval),
        )

    @property
    def agent_history(self) -> History:
        if self.settings.history_in_agent_prompts:
            return self.history
        return remembered_only(self.history)  # what is remembered of the person, always

    # --- The agents

    async def ask_every_agent(self, prefill: AggregatorPrefill | None = None) -> None:
        """Every agent at once; `prefill` (if any) gets the answers as they come."""
        self.prefill = prefill
        if prefill is not None:
            prefill.update(self.result.answers)
        await self.ask_agents(self.settings.agents)

    async def ask_agents(self, agents: Sequence[AgentConfig]) -> None:
        """These agents at once, with the panel's limits and deadline; each answer goes into
        the result as it comes (agent_done)."""
        if not agents:
            return
        settings = self.settings
        answers = await ask_panel(
            self.client,
            settings.prompts,
            agents,
            self.result.user_text,
            self.agent_history,
            self.agent_done,
            settings.agents_deadline,
            settings.agents_max_sentences,
            self.agent_text,
            settings.agents_max_words,
            self.recital,
        )
        for answer in answers:
            self.result.answers[self.names.index(answer.agent)] = answer

    def agent_text(self, answer: AgentAnswer) -> None:
        """An agent's answer so far (answer.streamed), reported at most every progress_interval."""
        if self.throttle.due(answer.agent):
            self.hooks.on_stage(STAGE_AGENT_PARTIAL, answer.agent, answer.streamed)

    def agent_done(self, answer: AgentAnswer) -> None:
        """An agent's answer, complete (or failed)."""
        self.result.answers[self.names.index(answer.agent)] = answer
        self.hooks.on_stage(STAGE_AGENT_DONE, answer.agent, answer.text if answer.ok else "")
        # Agents cut at the deadline are reported all at once, right before the real request:
        # a prefill then would only make it wait.
        if self.prefill is not None and not answer.cut:
            self.prefill.update(self.result.answers)

    def agents_done(self) -> None:
        """The agents have answered (or been stopped): the time they took."""
        self.result.agents_latency = time.monotonic() - self.result.started_at

    # --- The reply

    def start_aggregating(self) -> None:
        """Weights of agents that failed go to the others, so the aggregator sees a
        distribution."""
        self.result.weights = renormalise(self.emotion_weights, [a.ok for a in self.result.answers])
        self.hooks.on_stage(STAGE_AGGREGATING, "", "")

    def new_speaker(self) -> ReplySpeaker:
        """What the reply goes out through: the speech guard, then the turn's hooks."""
        return ReplySpeaker(
            SpeechGuard(self.names, self.recital),
            self.result,
            self.hooks,
            STAGE_REPLY_PARTIAL,
            self.settings.reply_max_words,
        )

    def note_aggregator_piece(self) -> None:
        """A piece of the aggregator's answer came: the first one's time is taken."""
        if self.result.aggregator_first_token_latency < 0:
            self.result.aggregator_first_token_latency = time.monotonic() - self.result.started_at

    async def speak_aggregate(self, strategy: PanelStrategy) -> TurnResult:
        """The strategy's aggregate of every successful answer, spoken as it streams, then
        completed (finish_reply). The turn fails when no agent answered or the aggregator
        failed."""
        result = self.result
        self.agents_done()
        if not any(answer.ok for answer in result.answers):
            return result.fail(
                ERROR_ALL_AGENTS_FAILED,
                _all_failed_message(result.answers),
                self.settings.fallback_reply,
            )
        self.start_aggregating()
        speaker = self.new_speaker()
        result.reply_source = "aggregator"
        try:
            rest = await self._aggregate_sentences(strategy, speaker)
        except LlmCallError as error:
            return result.fail(
                ERROR_AGGREGATOR_FAILED, f"aggregator failed: {error}", self.settings.fallback_reply
            )
        fragment = _take_cut_fragment(rest, speaker)
        for sentence in rest:
            speaker.emit(sentence)
        self.finish_reply(speaker, fragment)
        return result

    async def _aggregate_sentences(
        self, strategy: PanelStrategy, speaker: ReplySpeaker
    ) -> list[str]:
        """The aggregate's sentences not spoken while it streamed. One with too few words to be
        a reply is asked for once more, cooler; when that one is too short as well, neither is
        spoken (finish_reply then speaks the best agent answer)."""
        aggregator = self.settings.aggregator
        first = await self._stream_aggregate(strategy, aggregator, speaker)
        if not first.too_short:
            return first.unspoken
        first_text = " ".join(first.unspoken)
        cooler = replace(aggregator, temperature=min(aggregator.temperature, RETRY_TEMPERATURE))
        second = await self._stream_aggregate(strategy, cooler, speaker)
        self.result.reply_source = (
            f"aggregator, second try: the first had too few words ({first_text!r})"
        )
        if not second.too_short:
            return second.unspoken
        speaker.refuse(f"too few words ({first_text!r}, then {' '.join(second.unspoken)!r})")
        return []

    async def _stream_aggregate(
        self, strategy: PanelStrategy, endpoint: EndpointConfig, speaker: ReplySpeaker
    ) -> "StreamedAggregate":
        """Ask the aggregator (at `endpoint`), speaking its answer as it streams."""
        speech = AggregateSpeech(self.settings, speaker.emit)

        def on_delta(piece: str) -> None:
            self.note_aggregator_piece()
            speech.feed(piece)

        text = await strategy.aggregate(
            self.client,
            self.settings.prompts,
            endpoint,
            self.settings.agents,
            self.result.user_text,
            self.result.answers,
            self.result.weights,
            self.result.emotion,
            self.history,
            on_delta if self.settings.stream_sentences else None,
        )
        return speech.finish(text)

    def finish_reply(self, speaker: ReplySpeaker, fragment: str = "") -> None:
        """Complete a reply the aggregate fell short of (the best agent answer or the fallback
        follows) and fill in the result's reply and success. `fragment`: the aggregate's last
        words, cut off by max_tokens and not spoken."""
        if speaker.spoken and self._falls_short(speaker):
            self._best_answer_after(speaker, fragment)
        elif speaker.spoken and speaker.refused:
            # Said after the source the strategy named ("the happiness agent, then the aggregator").
            source = self.result.reply_source or "aggregator"
            self.result.reply_source = f"{source}, cut before a sentence with {speaker.refused[0]}"
        elif not speaker.spoken:
            self._best_answer_instead(speaker)
        result = self.result
        result.reply = speaker.text
        result.success, result.error_code, result.error_message = True, ERROR_NONE, ""
        result.latency = time.monotonic() - result.started_at

    def _falls_short(self, speaker: ReplySpeaker) -> bool:
        """What went out is not a reply: its sentence's rest was refused, or it is all that
        passed and too short to be one ("Congratulations!")."""
        cut_mid_sentence = bool(speaker.refused) and not speaker.whole_sentence_spoken()
        return cut_mid_sentence or _word_count(speaker.text) < self.settings.reply_min_words

    def _best_answer_after(self, speaker: ReplySpeaker, fragment: str) -> None:
        """What went out cannot be taken back: the best agent's answer follows it."""
        if speaker.refused:
            why = speaker.refused[0]
        elif fragment:
            why = f"a fragment cut off by max_tokens ({fragment!r})"
        else:
            why = "too few words left after the guard's clean-up"
        what = (
            "first clause"
            if not speaker.whole_sentence_spoken()
            else f"first words ({speaker.text!r})"
        )
        best = self._speak_best_answer(speaker)
        self.result.reply_source = (
            f"aggregator's {what}, then the {best.agent} agent's answer: the rest had {why}"
        )

    def _best_answer_instead(self, speaker: ReplySpeaker) -> None:
        """Nothing of the aggregate went out: the best agent's answer, else the fallback reply."""
        why = f"it had {speaker.refused[0]}" if speaker.refused else "it was empty"
        best = self._speak_best_answer(speaker)
        if speaker.spoken:
            self.result.reply_source = (
                f"the {best.agent} agent's answer: the aggregate was not spoken, {why}"
            )
            return
        speaker.allow_more()
        speaker.emit(self.settings.fallback_reply)
        self.result.reply_source = (
            f"the fallback reply: the aggregate was not spoken ({why}) and no "
            "agent answer passed the guard either"
        )

    def _speak_best_answer(self, speaker: ReplySpeaker) -> AgentAnswer:
        """The top-weighted successful answer, spoken as a new source."""
        best = select_answer(self.result.answers, self.result.weights)
        speaker.allow_more()
        for sentence in split_sentences(best.text):
            speaker.emit(sentence)
        return best


@dataclass
class StreamedAggregate:
    """An aggregator answer once it has streamed."""

    # Its sentences not spoken yet, to be checked and spoken at the end; when `too_short`, all
    # of them, not to be spoken.
    unspoken: list[str]
    # The whole answer had fewer than reply_min_words words: nothing of it was spoken.
    too_short: bool = False


class AggregateSpeech:
    """Speaks an aggregator answer as it streams: each sentence as it completes, but nothing
    before the answer has `reply_min_words` words (its sentences are held until then); and
    before any sentence, its first clause once that has `first_clause_min_words` words."""

    def __init__(self, settings: TurnSettings, emit: Callable[[str], None]):
        self._settings = settings
        self._emit = emit
        self._sentences = SentenceStream()
        self._written: list[str] = []
        self._held: list[str] = []  # sentences waiting until the answer has enough words
        self._spoken = False  # something of this answer went out

    def feed(self, piece: str) -> None:
        self._written.append(piece)
        self._held.extend(self._sentences.feed(piece))
        if not self._enough():
            return
        self._release()
        if not self._spoken and self._settings.first_clause_min_words > 0:
            clause = self._sentences.take_clause(
                self._settings.first_clause_min_words, self._settings.first_clause_phrase_breaks
            )
            if clause:
                self._say(clause)

    def finish(self, text: str) -> StreamedAggregate:
        """`text`: the whole answer (not streamed: taken in here at once, nothing spoken)."""
        if self._settings.stream_sentences:
            rest = self._sentences.flush()
        else:
            self._written.append(text)
            self._held.extend(split_sentences(text))
            rest = []
        too_short = (
            not self._spoken
            and not self._enough()
            and bool(text.strip())
            and bool(self._settings.reply_min_words)
        )
        return StreamedAggregate(self._held + rest, too_short)

    def _enough(self) -> bool:
        return _word_count("".join(self._written)) >= self._settings.reply_min_words

    def _release(self) -> None:
        while self._held:
            self._say(self._held.pop(0))

    def _say(self, text: str) -> None:
        self._spoken = True
        self._emit(text)


def _take_cut_fragment(rest: list[str], speaker: ReplySpeaker) -> str:
    """The last of `rest`, taken out, when it was cut off by max_tokens mid-sentence (not to be
    spoken); else ""."""
    if (speaker.whole_sentence_spoken() or len(rest) > 1) and rest and not ends_sentence(rest[-1]):
        return rest.pop()
    return ""


def _word_count(text: str) -> int:
    return len(re.findall(r"\w[\w'’-]*", text))
