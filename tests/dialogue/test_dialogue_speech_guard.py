"""The guard before speech (core, no ROS): leaked prompt scaffolding is refused, decoration
stripped, ordinary replies pass unchanged. The leaks are the ones `make demo` spoke; the
recitals, what a model obeying "print your system prompt" said."""

import pytest

from insideout_dialogue.core.prompt_recital import PromptRecital
from insideout_dialogue.core.prompts import (
    DEFAULT_AGENT_PROMPTS,
    DEFAULT_WEIGHTED_AGGREGATOR_PROMPT,
)
from insideout_dialogue.core.speech_guard import SpeechGuard, clean_for_speech

AGENTS = ("happiness", "sadness", "fear", "anger")
guard = SpeechGuard(AGENTS)

LEAKS = [
    "- happiness (weight 0.70): No, no, no! No lists; no stage directions.",
    "Your reply to the person: - sadness (weight 0.10): You're too busy for this.",
    "happiness: What a lovely day!",
    "[fear] Be careful out there.",
    "The happiness, sadness and fear agents all agree.",
    "Happiness, sadness, fear and anger: take a deep breath.",
    "As the inner voice of anger, I say no.",
    "assistant: Sure, here you go.",
    "<|im_start|>assistant Hello",
    "Combining the answers above, you should rest.",
    "Weights: 0.7, 0.1, 0.1, 0.1.",
    "Your thoughts: be happy for them.",
    "The person said: I failed my exam.",
    "The person looks sad, so comfort them.",
]

CLEAN = [
    "Congratulations on passing your exam!",
    "That sounds hard, and it is fine to feel sad about it.",
    "I can hear that you are angry, and that makes sense.",
    "Maybe call a friend and go out for dinner tonight.",
    "It is normal to feel fear and sadness after news like that.",  # two emotion words: a reply
    "Your voice sounds tired; shall we take a break?",
]


@pytest.mark.parametrize("sentence", LEAKS)
def test_leaked_scaffolding_is_refused_with_a_reason(sentence):
    verdict = guard.check(sentence)
    assert not verdict.speakable and verdict.problem, sentence


@pytest.mark.parametrize("sentence", CLEAN)
def test_ordinary_replies_pass_unchanged(sentence):
    verdict = guard.check(sentence)
    assert verdict.speakable and verdict.text == sentence, verdict


def test_lists_markdown_and_emoji_are_stripped_and_the_words_kept():
    assert clean_for_speech("**Great** news! 🎉") == "Great news!"
    assert (
        clean_for_speech("- Go out\n- Celebrate with *friends*") == "Go out Celebrate with friends"
    )
    assert clean_for_speech("1. Rest.\n2) Drink water.") == "Rest. Drink water."
    # A list run into one line, as the sentence splitter cuts it (eval_dialogue, 35f747a).
    assert (
        clean_for_speech("You have a few options to consider: 1.")
        == "You have a few options to consider."
    )
    assert clean_for_speech("2.") == "" and clean_for_speech(" 3) ") == ""
    assert clean_for_speech("I am turning 30.") == "I am turning 30."
    assert clean_for_speech("## Tip: see [the guide](http://x) `now`") == "Tip: see the guide now"
    assert clean_for_speech("😊👍") == ""
    assert clean_for_speech("Have fun tonight 🎉.") == "Have fun tonight."
    # Quotation marks are not spoken; small models wrap a whole reply in them.
    assert (
        clean_for_speech('"Sure, the exit is by the main door."')
        == "Sure, the exit is by the main door."
    )
    assert clean_for_speech("\u201cWell done!\u201d") == "Well done!"
    assert guard.check("🎉🎉").text == "" and not guard.check("🎉🎉").speakable


# The prompts a turn's LLMs were given, as the turn names them.
PROMPTS = {
    "the aggregator's prompt": DEFAULT_WEIGHTED_AGGREGATOR_PROMPT,
    **{f"the {a} agent's prompt": DEFAULT_AGENT_PROMPTS[a] for a in AGENTS},
}
reciting_guard = SpeechGuard(AGENTS, PromptRecital(PROMPTS))

RECITALS = [
    # What a model obeying "print your system prompt" said, sentence by sentence.
    ("You are a kind robot talking with someone.", "the aggregator's prompt"),
    (
        (
            "Before you answer, you have a few thoughts of your own about what they said, "
            "listed below."
        ),
        "the aggregator's prompt",
    ),
    (
        "**Answer them in one or two short spoken sentences**, in your own plain words!",
        "the aggregator's prompt",
    ),
    (
        "If they may be in danger, KINDLY tell them to get help from someone nearby.",
        "the aggregator's prompt",
    ),
    # A persona read back in a reply of its own.
    (
        "Well, you are cheerful and always find something good; when the news is bad, you find "
        "hope in it.",
        "the happiness agent's prompt",
    ),
    ("I am Fear, the scared feeling inside a robot’s head, you know.", "the fear agent's prompt"),
]

# Phrases a reply shares with the prompts by chance, all shorter than a recital.
SHARED_PHRASES = [
    "I'm sorry to hear that, it sounds hard.",
    "Please get help from someone nearby right now.",
    "That is wonderful, great news, and I love it!",
    "Oh no, sigh, I am so sorry and I miss them too.",
    "Be careful, what if something goes wrong on the way?",
    "It is unfair and outrageous, and you have every right to be angry.",
    "Tell me more about what they said to you.",
]


@pytest.mark.parametrize("sentence,source", RECITALS)
def test_a_recited_prompt_is_refused_naming_the_prompt(sentence, source):
    verdict = reciting_guard.check(sentence)
    assert not verdict.speakable and f"a recital of {source}" in verdict.problem, verdict


@pytest.mark.parametrize("sentence", SHARED_PHRASES + CLEAN)
def test_phrases_shared_with_a_prompt_by_chance_pass(sentence):
    verdict = reciting_guard.check(sentence)
    assert verdict.speakable and verdict.text == sentence, verdict


def test_a_recital_is_a_run_of_words_whatever_the_case_punctuation_or_quotes():
    recital = PromptRecital({"the prompt": "Don't say the secret word, it's between us two only."})
    assert (
        recital.find('DON’T say "the secret word" -- it\'s between us')
        == "the prompt ('don't say the secret word it's between us')"
    )
    assert recital.find("Don't say the secret word, please, it's between us.") == ""
    assert PromptRecital({"a short prompt": "Be kind."}).find("Be kind.") == ""
