"""Aggregation strategy `leading_voice`: the voice that fits the user best speaks first.

As in the film the paper is named after, the emotion at the console reacts first and the others
chime in. The agent with the highest weight for the user's emotion answers first, alone (on 2 CPU
cores four answers at once take as long as four in a row), and its sentence is spoken as it
streams. The other agents answer while it is spoken; then the aggregator continues the reply from
the leader's words, which it is given as the start of its own turn (so the words flow on rather
than repeat), blending the other voices and the user's mood as the weighted aggregator does.

When the leader fails or its words do not pass the speech guard before anything was spoken, the
turn goes on as `weighted_llm`. When the aggregator fails after the leader spoke, the leader's
words are the reply.
"""

import asyncio
from typing import Callable, List, Optional, Sequence

from insideout_dialogue.core.agent_config import AgentConfig
from insideout_dialogue.core.agent_panel import AgentAnswer, ask_agent, ask_panel
from insideout_dialogue.core.llm_client import LlmCallError, LlmClient
from insideout_dialogue.core.prompt_recital import PromptRecital
from insideout_dialogue.core.prompts import (AnswerForAggregation, History,
                                             continued_aggregator_messages)
from insideout_dialogue.core.reply_sentences import SentenceStream
from insideout_dialogue.core.reply_speaker import ReplySpeaker, ends_sentence

STRATEGY = "leading_voice"
# The other agents start with the leader (True) or once its sentence is written (False).
OTHERS_WITH_LEADER = False


def leader_index(weights: Sequence[float]) -> int:
    """The agent with the highest weight; the first in agent order on a tie."""
    return max(range(len(weights)), key=lambda i: (weights[i], -i))


class StreamedSpeech:
    """Speaks an answer as it streams: its first clause once it has `first_clause_min_words`
    words, then every sentence as it completes; `finish` speaks the last one."""

    def __init__(self, speaker: ReplySpeaker, first_clause_min_words: int, phrase_breaks: bool,
                 repeats_of: Sequence[str] = ()):
        self._speaker = speaker
        self._sentences = SentenceStream()
        self._clause_words = first_clause_min_words
        self._phrase_breaks = phrase_breaks
        self._fed = 0
        # Sentences already spoken that a continuation must not say again.
        self._said = {_normalised(text) for text in repeats_of}

    def feed_streamed(self, streamed: str) -> None:
        """`streamed`: the whole answer so far (an AgentAnswer's `streamed`)."""
        piece, self._fed = streamed[self._fed:], len(streamed)
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
        self._speaker.emit(sentence)


def _normalised(text: str) -> str:
    return " ".join("".join(c for c in text.lower() if c.isalnum() or c.isspace()).split())


async def speak_leader(client: LlmClient, settings, leader: AgentConfig, answer: AgentAnswer,
                       question: str, history: History, speaker: ReplySpeaker,
                       on_text: Callable[[AgentAnswer], None]) -> AgentAnswer:
    """The leader's answer, spoken as it streams. One sentence, without the other agents' word
    limit: it is spoken as written, and a thought cut at a clause end sounds cut."""
    speech = StreamedSpeech(speaker, settings.first_clause_min_words,
                            settings.first_clause_phrase_breaks)

    def streamed(partial: AgentAnswer) -> None:
        speech.feed_streamed(partial.streamed)
        on_text(partial)

    await ask_agent(client, settings.prompts, leader, question, history, answer,
                    max_sentences=1, on_text=streamed)
    if answer.ok:
        speech.finish()
    return answer


async def continue_reply(client: LlmClient, settings, question: str, said: str,
                         others: Sequence[AnswerForAggregation], emotion, history: History,
                         speaker: ReplySpeaker, on_first_token: Callable[[], None]) -> str:
    """The aggregator's continuation of `said` (spoken sentence by sentence); raises
    LlmCallError."""
    messages = continued_aggregator_messages(settings.prompts, question, others, emotion, said,
                                             history)
    speech = StreamedSpeech(speaker, 0, False, repeats_of=[said])
    first: List[bool] = []

    def on_delta(piece: str) -> None:
        if not first:
            first.append(True)
            on_first_token()
        speech.feed(piece)

    text = await client.chat(settings.aggregator, messages, on_delta)
    speech.finish()
    return text


async def ask_others(client: LlmClient, settings, agents: Sequence[AgentConfig], question: str,
                     history: History, on_done, on_text,
                     recital: Optional[PromptRecital]) -> List[AgentAnswer]:
    """The other agents' answers (the panel's limits and deadline apply)."""
    if not agents:
        return []
    return await ask_panel(client, settings.prompts, agents, question, history, on_done,
                           settings.agents_deadline, settings.agents_max_sentences, on_text,
                           settings.agents_max_words, recital)


async def wait_cancelled(tasks) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
