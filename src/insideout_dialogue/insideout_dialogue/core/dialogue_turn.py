"""One dialogue turn: agents in parallel, weights from the user's emotion, aggregation, reply.

The error codes equal Respond.action's ERROR_* constants (a test checks they stay equal).
"""

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from insideout_dialogue.core import leading_voice
from insideout_dialogue.core.agent_config import AgentConfig, EndpointConfig
from insideout_dialogue.core.agent_panel import AgentAnswer, ask_panel, refuse_unusable
from insideout_dialogue.core.aggregation import aggregate, select_answer
from insideout_dialogue.core.aggregator_prefill import AggregatorPrefill
from insideout_dialogue.core.emotion_weights import agent_weights, renormalise
from insideout_dialogue.core.llm_client import LlmCallError, LlmClient
from insideout_dialogue.core.progress_throttle import PerKeyThrottle
from insideout_dialogue.core.prompt_recital import PromptRecital
from insideout_dialogue.core.prompts import (
    CONTINUATION_NOTE,
    AnswerForAggregation,
    History,
    PromptSet,
    UserEmotion,
    aggregation_order,
    aggregator_system_text,
    first_reaction_prompt,
)
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
    hooks = hooks or TurnHooks()
    names = [agent.name for agent in settings.agents]
    emotion_weights = agent_weights(scores, settings.emotion_to_agent, names)
    result.weights = list(emotion_weights)

    hooks.on_stage(STAGE_AGENTS, "", "")
    result.answers = [
        AgentAnswer(agent=a.name, model=a.endpoint.model, error=NOT_ANSWERED)
        for a in settings.agents
    ]

    prefill = _aggregator_prefill(client, settings, result.emotion, emotion_weights)

    throttle = PerKeyThrottle(settings.progress_interval)

    def agent_text(answer: AgentAnswer) -> None:
        if throttle.due(answer.agent):
            hooks.on_stage(STAGE_AGENT_PARTIAL, answer.agent, answer.streamed)

    def agent_done(answer: AgentAnswer) -> None:
        result.answers[names.index(answer.agent)] = answer
        hooks.on_stage(STAGE_AGENT_DONE, answer.agent, answer.text if answer.ok else "")
        # Agents cut at the deadline are reported all at once, right before the real request:
        # a prefill then would only make it wait.
        if prefill is not None and not answer.cut:
            prefill.update(result.answers)

    agent_history = history if settings.history_in_agent_prompts else ()
    recital = prompt_recital_for(settings, result.emotion)
    if settings.strategy == leading_voice.STRATEGY:
        return await _leading_voice_turn(
            client,
            settings,
            result,
            emotion_weights,
            names,
            history,
            agent_history,
            hooks,
            recital,
            agent_done,
            agent_text,
        )
    try:
        if prefill is not None:
            prefill.update(result.answers)
        result.answers = await ask_panel(
            client,
            settings.prompts,
            settings.agents,
            result.user_text,
            agent_history,
            agent_done,
            settings.agents_deadline,
            settings.agents_max_sentences,
            agent_text,
            settings.agents_max_words,
            recital,
        )
        return await _aggregate_and_speak(
            client, settings, result, emotion_weights, names, history, hooks, recital
        )
    finally:
        if prefill is not None:
            await prefill.close()


async def _leading_voice_turn(
    client: LlmClient,
    settings: TurnSettings,
    result: TurnResult,
    emotion_weights: Sequence[float],
    names: list[str],
    history: History,
    agent_history: History,
    hooks: TurnHooks,
    recital: PromptRecital,
    agent_done: Callable[[AgentAnswer], None],
    agent_text: Callable[[AgentAnswer], None],
) -> TurnResult:
    """The leading voice speaks first, the aggregator continues from it (core/leading_voice.py)."""
    lead = leading_voice.leader_index(emotion_weights)
    leader = (
        settings.agents[lead]
        if lead is not None
        else leading_voice.own_voice(settings, result.emotion)
    )
    others = [agent for index, agent in enumerate(settings.agents) if index != lead]
    leader_answer = (
        result.answers[lead]
        if lead is not None
        else AgentAnswer(agent=leader.name, model=leader.endpoint.model)
    )
    speaker = ReplySpeaker(
        SpeechGuard(names, recital), result, hooks, STAGE_REPLY_PARTIAL, settings.reply_max_words
    )
    answer = await leading_voice.speak_leader(
        client,
        settings,
        leader,
        leader_answer,
        result.user_text,
        agent_history,
        speaker,
        agent_text if lead is not None else _ignore,
    )
    if lead is not None:
        agent_done(refuse_unusable(answer, recital, result.user_text))
    # Only now: started with the leader, the others slowed its first words by 1-2.5 s on 2 CPU
    # cores (docs/design/leading_voice.md).
    for answer in await leading_voice.ask_others(
        client, settings, others, result.user_text, agent_history, agent_done, agent_text, recital
    ):
        result.answers[names.index(answer.agent)] = answer
    if not speaker.spoken:  # the leader failed or was refused: the usual weighted aggregate
        why = leader_answer.error or (speaker.refused[0] if speaker.refused else "empty")
        result = await _aggregate_and_speak(
            client,
            replace(settings, strategy="weighted_llm"),
            result,
            emotion_weights,
            names,
            history,
            hooks,
            recital,
        )
        result.reply_source += f" (the leading {leader_name(leader)} was not spoken: {why})"
        return result
    result.agents_latency = time.monotonic() - result.started_at
    result.weights = renormalise(emotion_weights, [a.ok for a in result.answers])
    hooks.on_stage(STAGE_AGGREGATING, "", "")
    words = {agent.name: agent.paper_word for agent in settings.agents}
    thoughts = [
        AnswerForAggregation(
            agent=a.agent,
            paper_word=words.get(a.agent, a.agent),
            text=a.text,
            weight=w,
            finished=a.finished_at,
        )
        for a, w in zip(result.answers, result.weights)
        if a.ok and a.agent != leader.name
    ]
    result.reply_source = f"the {leader_name(leader)}, then the aggregator"
    speaker.allow_more()  # a new source: the leader's refused sentence does not silence it
    if thoughts:

        def first_token() -> None:
            result.aggregator_first_token_latency = time.monotonic() - result.started_at

        try:
            await leading_voice.continue_reply(
                client,
                settings,
                result.user_text,
                speaker.text,
                aggregation_order(thoughts, True),
                result.emotion,
                history,
                speaker,
                first_token,
            )
        except LlmCallError as error:
            result.reply_source = (
                f"the {leader_name(leader)} alone: the aggregator failed ({error})"
            )
    else:
        result.reply_source = f"the {leader_name(leader)} alone: no other agent answered"
    finish_reply(settings, result, speaker)
    return result


def leader_name(leader: AgentConfig) -> str:
    if leader.name == leading_voice.OWN_VOICE:
        return "robot's own first reaction"
    return f"{leader.name} agent"


def _ignore(_answer: AgentAnswer) -> None:
    pass


def prompt_recital_for(settings: TurnSettings, emotion: UserEmotion) -> PromptRecital:
    """The prompts of a turn that no answer may read back: every agent's persona and the
    aggregator's instructions with the user's mood, as sent. Not the thoughts themselves: each is
    meant to be spoken-like, and the guard speaks one as it is when the aggregate fails."""
    sources = {f"the {agent.name} agent's prompt": agent.prompt for agent in settings.agents}
    if settings.strategy == leading_voice.STRATEGY:
        sources["the robot's first-reaction prompt"] = first_reaction_prompt(emotion)
        # Spoken once by the continuation ("... You have begun your answer already; go on ...").
        sources["the continuation note"] = CONTINUATION_NOTE
    sources["the aggregator's prompt"] = aggregator_system_text(
        settings.prompts, settings.strategy in ("weighted_llm", leading_voice.STRATEGY), emotion, ()
    )
    return PromptRecital(sources)


def _aggregator_prefill(
    client: LlmClient, settings: TurnSettings, emotion: UserEmotion, weights: Sequence[float]
) -> AggregatorPrefill | None:
    """A prefill for the aggregator's pinned slot (embedded server, improved prompts), or None."""
    if (
        not settings.aggregator_prefill
        or settings.aggregator.server_slot < 0
        or settings.strategy not in ("llm", "weighted_llm")
        or settings.prompts.style != "improved"
    ):
        return None
    words = {agent.name: agent.paper_word for agent in settings.agents}
    return AggregatorPrefill(
        client,
        settings.aggregator,
        settings.prompts,
        settings.strategy == "weighted_llm",
        emotion,
        weights,
        words,
    )


async def _aggregate_and_speak(
    client: LlmClient,
    settings: TurnSettings,
    result: TurnResult,
    emotion_weights: Sequence[float],
    names: list[str],
    history: History,
    hooks: TurnHooks,
    recital: PromptRecital,
) -> TurnResult:
    result.agents_latency = time.monotonic() - result.started_at
    if not any(answer.ok for answer in result.answers):
        return result.fail(
            ERROR_ALL_AGENTS_FAILED, _all_failed_message(result.answers), settings.fallback_reply
        )
    # Weights of agents that failed go to the others, so the aggregator sees a distribution.
    result.weights = renormalise(emotion_weights, [a.ok for a in result.answers])

    hooks.on_stage(STAGE_AGGREGATING, "", "")
    speaker = ReplySpeaker(
        SpeechGuard(names, recital), result, hooks, STAGE_REPLY_PARTIAL, settings.reply_max_words
    )
    emit = speaker.emit
    result.reply_source = "aggregator"
    try:
        reply, rest, held = await _stream_aggregate(
            client, settings, result, history, settings.aggregator, emit
        )
        if held is not None:  # too short, nothing spoken: once more, cooler
            first = " ".join(held)
            cooler = replace(
                settings.aggregator,
                temperature=min(settings.aggregator.temperature, RETRY_TEMPERATURE),
            )
            reply, rest, held = await _stream_aggregate(
                client, settings, result, history, cooler, emit
            )
            result.reply_source = f"aggregator, second try: the first had too few words ({first!r})"
            if held is not None:
                speaker.refused.append(f"too few words ({first!r}, then {' '.join(held)!r})")
                rest = []
    except LlmCallError as error:
        return result.fail(
            ERROR_AGGREGATOR_FAILED, f"aggregator failed: {error}", settings.fallback_reply
        )

    fragment = ""
    if (speaker.whole_sentence_spoken() or len(rest) > 1) and rest and not ends_sentence(rest[-1]):
        fragment = rest.pop()  # cut off by max_tokens mid-sentence: do not speak the fragment
    for sentence in rest:
        emit(sentence)
    finish_reply(settings, result, speaker, fragment)
    return result


def finish_reply(
    settings: TurnSettings, result: TurnResult, speaker: ReplySpeaker, fragment: str = ""
) -> None:
    """Complete a reply the aggregate fell short of (the best agent answer or the fallback
    follows, see below) and fill in the result's reply and success."""
    spoken = speaker.spoken
    too_few_spoken = bool(spoken) and _word_count(speaker.text) < settings.reply_min_words
    if spoken and ((speaker.refused and not speaker.whole_sentence_spoken()) or too_few_spoken):
        # What went out cannot be taken back: its sentence's rest was refused, or it is all that
        # passed and is too short to be a reply ("Congratulations!"). The best agent's answer
        # follows.
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
        best = select_answer(result.answers, result.weights)
        speaker.allow_more()
        for sentence in split_sentences(best.text):
            speaker.emit(sentence)
        result.reply_source = (
            f"aggregator's {what}, then the {best.agent} agent's answer: the rest had {why}"
        )
    elif speaker.refused and spoken:
        result.reply_source = f"aggregator, cut before a sentence with {speaker.refused[0]}"
    elif not spoken:
        why = f"it had {speaker.refused[0]}" if speaker.refused else "it was empty"
        best = select_answer(result.answers, result.weights)
        speaker.allow_more()
        for sentence in split_sentences(best.text):
            speaker.emit(sentence)
        if spoken:
            result.reply_source = (
                f"the {best.agent} agent's answer: the aggregate was not spoken, {why}"
            )
        else:
            speaker.allow_more()
            speaker.emit(settings.fallback_reply)
            result.reply_source = (
                f"the fallback reply: the aggregate was not spoken ({why}) and no "
                "agent answer passed the guard either"
            )
    result.reply = speaker.text
    result.success, result.error_code, result.error_message = True, ERROR_NONE, ""
    result.latency = time.monotonic() - result.started_at


def _word_count(text: str) -> int:
    return len(re.findall(r"\w[\w'’-]*", text))


async def _stream_aggregate(
    client: LlmClient,
    settings: TurnSettings,
    result: TurnResult,
    history: History,
    endpoint: EndpointConfig,
    emit: Callable[[str], None],
):
    """Ask the aggregator, emitting each sentence as it completes. Returns the reply, the
    sentences not emitted yet (to be checked at the end) and, when the whole aggregate had fewer
    than `reply_min_words` words, its sentences (nothing of it emitted); else None."""
    sentences = SentenceStream()
    written: list[str] = []
    held: list[str] = []  # sentences waiting until the aggregate has enough words
    state = {"emitted": False}

    def enough() -> bool:
        return _word_count("".join(written)) >= settings.reply_min_words

    def release() -> None:
        while held:
            state["emitted"] = True
            emit(held.pop(0))

    def on_delta(piece: str) -> None:
        if result.aggregator_first_token_latency < 0:
            result.aggregator_first_token_latency = time.monotonic() - result.started_at
        written.append(piece)
        held.extend(sentences.feed(piece))
        if not enough():
            return
        release()
        if not state["emitted"] and settings.first_clause_min_words > 0:
            clause = sentences.take_clause(
                settings.first_clause_min_words, settings.first_clause_phrase_breaks
            )
            if clause:
                state["emitted"] = True
                emit(clause)

    reply = await aggregate(
        client,
        settings.prompts,
        settings.strategy,
        endpoint,
        settings.agents,
        result.user_text,
        result.answers,
        result.weights,
        result.emotion,
        history,
        on_delta if settings.stream_sentences else None,
    )
    if not settings.stream_sentences:
        written.append(reply)
        held.extend(split_sentences(reply))
        rest: list[str] = []
    else:
        rest = sentences.flush()
    if not state["emitted"] and not enough() and reply.strip() and settings.reply_min_words:
        return reply, [], held + rest
    return reply, held + rest, None
