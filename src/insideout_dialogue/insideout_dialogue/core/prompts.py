"""The words sent to the LLMs: our default prompts and the seed's (paper-faithful) wording.

Two styles:
- "improved" (default): each agent gets a persona system prompt asking for a short, spoken-style,
  safe answer; the aggregator gets the answers and a sentence about the user's current feeling.
- "paper": the seed's wording (HSEmotion demo): "What is the {emotion} one-paragraph response to
  <question>", then, in the same chat, "Aggregate the answers to form a final response. Take into
  account that I am {user emotion} now." (the emotion clause omitted when neutral).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from insideout_common.emotions import NEUTRAL

STYLES = ("improved", "paper")

# How a label reads in "I am {x} now" / "looks {x}".
EMOTION_ADJECTIVES = {
    "anger": "angry",
    "contempt": "contemptuous",
    "disgust": "disgusted",
    "fear": "afraid",
    "happiness": "happy",
    "neutral": "neutral",
    "sadness": "sad",
    "surprise": "surprised",
}

# Written for 0.5-1.5B instruct models: short and positive (small models repeat "no lists, no
# emojis" back), one sentence, and each feeling's own words named, which kept the four voices
# apart (a text-emotion classifier ranked the agent's own emotion first among the four in 21 of
# 32 answers, against 12 with plain personas). No examples: the models copied them word for word.
_SPEAK = " Speak to the person about what they said, in one short, {} sentence with words like {}."

DEFAULT_AGENT_PROMPTS = {
    "happiness": "You are Joy, the happy feeling inside a robot's head. You are cheerful and always"
    " find something good; when the news is bad, you find hope in it."
    + _SPEAK.format("cheerful", "wonderful, great or love"),
    "sadness": "You are Sadness, the sad feeling inside a robot's head. You are gloomy and gentle,"
    " and you feel what is hard or lost." + _SPEAK.format("sad", "oh no, sigh, sorry or miss"),
    "fear": "You are Fear, the scared feeling inside a robot's head. You are nervous and worry"
    " about what could go wrong." + _SPEAK.format("worried", "careful, what if or scary"),
    "anger": "You are Anger, the angry feeling inside a robot's head. You are furious about unfair"
    " things that happen to the person, never at the person."
    + _SPEAK.format("angry", "furious, angry, unfair or outrageous"),
}

# The seed's agent names: happy, sad, fear, angry.
DEFAULT_PAPER_WORDS = {"happiness": "happy", "sadness": "sad", "fear": "fear", "anger": "angry"}

DEFAULT_AGGREGATOR_PROMPT = (
    "You are a kind robot talking with someone. Before you answer, you have a few thoughts of your"
    " own about what they said, listed below. Answer them in one or two short spoken sentences, in"
    " your own plain words, blending the thoughts that help them most. If they may be in danger,"
    " kindly tell them to get help from someone nearby."
)
DEFAULT_WEIGHTED_AGGREGATOR_PROMPT = (
    DEFAULT_AGGREGATOR_PROMPT + " The last thoughts fit their mood best."
)

# What the reply should do for someone who shows each emotion (the aggregator's goal).
EMOTION_GOALS = {
    "anger": "Calm them down and take them seriously.",
    "contempt": "Stay calm and friendly.",
    "disgust": "Acknowledge the feeling calmly.",
    "fear": "Reassure them and suggest a safe next step.",
    "happiness": "Share their joy.",
    "neutral": "Be friendly and helpful.",
    "sadness": "Comfort them gently.",
    "surprise": "Share their surprise.",
}

DEFAULT_PAPER_AGENT_TEMPLATE = "What is the {emotion} one-paragraph response to {question}"
DEFAULT_PAPER_AGGREGATOR_TEMPLATE = "Aggregate the answers to form a final response."
DEFAULT_PAPER_EMOTION_CLAUSE = " Take into account that I am {user_emotion} now."


def default_agent_prompt(agent: str) -> str:
    """Persona prompt for a known agent, or a generic one built from the agent's name."""
    if agent in DEFAULT_AGENT_PROMPTS:
        return DEFAULT_AGENT_PROMPTS[agent]
    return (
        f"You are {agent.capitalize()}, a feeling inside a robot's head."
        + " Speak to the person about what they said, in one short sentence that shows how you"
        " feel."
    )


def default_paper_word(agent: str) -> str:
    return DEFAULT_PAPER_WORDS.get(agent, agent)


@dataclass(frozen=True)
class PromptSet:
    """Every configurable text (from config/prompts.yaml) plus the style in use."""

    style: str = "improved"
    aggregator_prompt: str = DEFAULT_AGGREGATOR_PROMPT
    weighted_aggregator_prompt: str = DEFAULT_WEIGHTED_AGGREGATOR_PROMPT
    paper_agent_template: str = DEFAULT_PAPER_AGENT_TEMPLATE
    paper_aggregator_template: str = DEFAULT_PAPER_AGGREGATOR_TEMPLATE
    paper_emotion_clause: str = DEFAULT_PAPER_EMOTION_CLAUSE


@dataclass(frozen=True)
class UserEmotion:
    """The emotion a turn is conditioned on: a label with its score; neutral when unknown."""

    label: str = NEUTRAL
    confidence: float = 0.0
    # Why it is neutral, when it is by default: "no face", "stale" (empty when seen).
    fallback_reason: str = ""

    def sentence(self) -> str:
        """How the improved aggregator prompt describes the user's feeling, and what to do."""
        if self.fallback_reason:
            return "You cannot see their face right now. " + EMOTION_GOALS[NEUTRAL]
        goal = EMOTION_GOALS.get(self.label, EMOTION_GOALS[NEUTRAL])
        if self.label == NEUTRAL:
            return "They look calm. " + goal
        adjective = EMOTION_ADJECTIVES.get(self.label, self.label)
        return f"They look {adjective}. {goal}"


Message = dict[str, str]


class PastTurn(NamedTuple):
    """An earlier turn as the prompts see it."""

    user_text: str
    reply: str  # interrupted: only the words the user heard
    interrupted: bool = False  # the user talked over the reply


@dataclass(frozen=True)
class RememberedContext:
    """What the robot remembers of the person from earlier conversations (person_memory's brief),
    carried in the history: every chat gets it at the end of its system message."""

    text: str


# Earlier turns, oldest first (plain (user, reply) pairs do too), and what is remembered.
History = Sequence[PastTurn | RememberedContext]

# How a reply the user cut off reads in the history, so the model knows it was not all said.
# "the user" is a phrase the speech guard refuses, so a model copying the mark is not spoken.
INTERRUPTED_MARK = " — (interrupted by the user)"
INTERRUPTED_BEFORE_SPEAKING = "(interrupted by the user before saying anything)"


def past_reply_text(turn: PastTurn) -> str:
    if not turn.interrupted:
        return turn.reply
    heard = turn.reply.strip()
    return heard + INTERRUPTED_MARK if heard else INTERRUPTED_BEFORE_SPEAKING


def _history_messages(history: History) -> list[Message]:
    messages: list[Message] = []
    for entry in history:
        if isinstance(entry, RememberedContext):
            continue  # in the system message: _with_remembered
        turn = PastTurn(*entry)
        messages.append({"role": "user", "content": turn.user_text})
        messages.append({"role": "assistant", "content": past_reply_text(turn)})
    return messages


def remembered_only(history: History) -> History:
    """The history without its turns: for chats that get what is remembered but no turns."""
    return tuple(entry for entry in history if isinstance(entry, RememberedContext))


def _with_remembered(messages: list[Message], history: History) -> list[Message]:
    """`messages` with what is remembered at the end of the system message (after the prompt and
    the thoughts, so a prompt processed early stays the start of the whole), or as one."""
    remembered = "\n".join(
        entry.text for entry in history if isinstance(entry, RememberedContext) and entry.text
    )
    if not remembered:
        return messages
    if messages and messages[0]["role"] == "system":
        system = {"role": "system", "content": messages[0]["content"] + "\n" + remembered}
        return [system, *messages[1:]]
    return [{"role": "system", "content": remembered}, *messages]


def paper_agent_question(prompts: PromptSet, paper_word: str, question: str) -> str:
    return prompts.paper_agent_template.format(emotion=paper_word, question=question)


def agent_messages(
    prompts: PromptSet, persona_prompt: str, paper_word: str, question: str, history: History = ()
) -> list[Message]:
    """The chat sent to one agent."""
    if prompts.style == "paper":
        messages = _history_messages(history) + [
            {"role": "user", "content": paper_agent_question(prompts, paper_word, question)}
        ]
    else:
        messages = (
            [{"role": "system", "content": persona_prompt}]
            + _history_messages(history)
            + [{"role": "user", "content": question}]
        )
    return _with_remembered(messages, history)


@dataclass(frozen=True)
class AnswerForAggregation:
    agent: str
    paper_word: str
    text: str
    weight: float
    # When the answer was complete (monotonic [s]): breaks ties in the thoughts' order, so the
    # aggregator prompt grows in the order answers arrive and its start can be processed early.
    finished: float = 0.0


# Weights closer than this count as equal in the thoughts' order: face scores are softmax outputs,
# so minor voices differ by a few hundredths that say nothing about which fits the mood better.
WEIGHT_ORDER_STEP = 0.05


def thought_order_key(weight: float, finished: float, weighted: bool) -> tuple[float, float]:
    """Where a thought stands in the improved aggregator prompt: best-weighted LAST when
    weighted (next to the utterance, where a small model attends most), equal weights (to
    WEIGHT_ORDER_STEP; and every thought, unweighted) in the order they were complete. So the
    prompt's start is settled as the lesser voices finish (see aggregator_prefill)."""
    return (round(weight / WEIGHT_ORDER_STEP) if weighted else 0.0), finished


def aggregation_order(
    answers: Sequence[AnswerForAggregation], weighted: bool
) -> list[AnswerForAggregation]:
    """The thoughts in the order the improved prompt lists them (thought_order_key)."""
    return sorted(answers, key=lambda a: thought_order_key(a.weight, a.finished, weighted))


def aggregator_system_text(
    prompts: PromptSet,
    weighted: bool,
    emotion: UserEmotion,
    ordered: Sequence[AnswerForAggregation],
) -> str:
    """The improved aggregator's system message: the prompt, the mood and the thoughts one per
    line in the given order, with no names, labels or numbers for the model to read back.
    With only the first thoughts it is the start of the whole text (see aggregator_prefill)."""
    system = prompts.weighted_aggregator_prompt if weighted else prompts.aggregator_prompt
    lines = [system, emotion.sentence(), "Your thoughts:"]
    lines += [" ".join(answer.text.split()) for answer in ordered]
    return "\n".join(lines)


def aggregator_messages(
    prompts: PromptSet,
    weighted: bool,
    question: str,
    answers: Sequence[AnswerForAggregation],
    emotion: UserEmotion,
    history: History = (),
) -> list[Message]:
    """The chat sent to the aggregator; `answers` are the successful agents' answers only."""
    if prompts.style == "paper":
        # The seed's single growing chat: every agent's question and answer, then the request.
        messages = _history_messages(history)
        for answer in answers:
            messages.append(
                {
                    "role": "user",
                    "content": paper_agent_question(prompts, answer.paper_word, question),
                }
            )
            messages.append({"role": "assistant", "content": answer.text})
        request = prompts.paper_aggregator_template
        if weighted:
            request += (
                " Weigh the answers: "
                + ", ".join(f"{a.paper_word} {a.weight:.2f}" for a in answers)
                + "."
            )
        if emotion.label != NEUTRAL and not emotion.fallback_reason:
            request += prompts.paper_emotion_clause.format(
                user_emotion=EMOTION_ADJECTIVES.get(emotion.label, emotion.label)
            )
        messages.append({"role": "user", "content": request})
        return _with_remembered(messages, history)
    # The utterance stays the user's own turn, so the model answers it instead of commenting on
    # a task ("The person seems upset ..."); the thoughts and the mood go into the system prompt.
    system = aggregator_system_text(
        prompts, weighted, emotion, aggregation_order(answers, weighted)
    )
    return _with_remembered(
        [{"role": "system", "content": system}]
        + _history_messages(history)
        + [{"role": "user", "content": question}],
        history,
    )


# The robot's own first reaction (leading_voice, when no feeling leads), before its thoughts.
FIRST_REACTION_PROMPT = (
    "You are a kind robot talking with someone. Answer what they said in one"
    " short spoken sentence, in your own plain words."
)


def first_reaction_prompt(emotion: UserEmotion) -> str:
    return f"{FIRST_REACTION_PROMPT} {emotion.sentence()}"


# Said to the aggregator when its reply has begun with the leading voice's words (leading_voice).
CONTINUATION_NOTE = (
    " You have begun your answer already; go on from where you stopped with one"
    " more short sentence that adds something new."
)


def continued_aggregator_messages(
    prompts: PromptSet,
    question: str,
    others: Sequence[AnswerForAggregation],
    emotion: UserEmotion,
    said: str,
    history: History = (),
) -> list[Message]:
    """The weighted aggregator's chat when its reply has begun with `said`, words already
    spoken: the other thoughts as usual, and `said` as the start of its own turn. llama-server
    continues a final assistant message; a server that does not gets the note that it began."""
    messages = aggregator_messages(prompts, True, question, others, emotion, history)
    if messages and messages[0]["role"] == "system":
        messages[0] = {"role": "system", "content": messages[0]["content"] + CONTINUATION_NOTE}
    return messages + [{"role": "assistant", "content": said}]
