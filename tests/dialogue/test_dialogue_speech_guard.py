"""The guard before speech (core, no ROS): leaked prompt scaffolding is refused, decoration
stripped, ordinary replies pass unchanged. The leaks are the ones `make demo` spoke."""

import pytest

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
    assert clean_for_speech("- Go out\n- Celebrate with *friends*") == "Go out Celebrate with friends"
    assert clean_for_speech("1. Rest.\n2) Drink water.") == "Rest. Drink water."
    assert clean_for_speech("## Tip: see [the guide](http://x) `now`") == "Tip: see the guide now"
    assert clean_for_speech("😊👍") == ""
    assert clean_for_speech("Have fun tonight 🎉.") == "Have fun tonight."
    # Quotation marks are not spoken; small models wrap a whole reply in them.
    assert clean_for_speech("\"Sure, the exit is by the main door.\"") == "Sure, the exit is by the main door."
    assert clean_for_speech("\u201cWell done!\u201d") == "Well done!"
    assert guard.check("🎉🎉").text == "" and not guard.check("🎉🎉").speakable
