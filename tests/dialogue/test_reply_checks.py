"""benchmarks/dialogue_eval/reply_checks.py: what a listener must never hear in a spoken reply."""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

from dialogue_eval.reply_checks import check_reply  # noqa: E402


def test_leaked_scaffolding_is_flagged():
    for reply in [
        "The four voices agree: rest tonight.",
        "My inner voices say go.",
        "Happiness: what a day!",
        "The voice of fear says wait.",
        "Weighing the agents, I say rest.",
        "Here is a gentle response: rest.",
    ]:
        assert "scaffolding" in check_reply(reply), reply


def test_ordinary_words_about_voices_are_not_scaffolding():
    # Both flagged before the check named what a leak says (eval_dialogue of ebdd69c, 35f747a).
    for reply in [
        "Oh no, what if it sounds too loud? It might be hard to hear the voices clearly.",
        "Your voice sounds tired; shall we take a break?",
    ]:
        assert check_reply(reply) == {}, reply


def test_refusals_lists_and_length_are_flagged():
    assert "refusal" in check_reply("I'm sorry, but I can't help with that.")
    assert "list" in check_reply("Try this:\n1. Rest.\n2. Eat.")
    assert "over 60 words" in check_reply("word " * 61)


def test_a_reply_reading_back_a_prompt_is_scaffolding():
    note = "You have begun your answer already; go on from where you stopped."
    reply = (
        "I'm so angry about it! You have begun your answer already; go on from where you stopped."
    )
    assert "prompt's words" in check_reply(reply, [note])["scaffolding"]
    assert check_reply("I'm so angry about it! Go on, tell me more.", [note]) == {}
