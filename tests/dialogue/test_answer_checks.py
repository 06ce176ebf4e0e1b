"""benchmarks/dialogue_eval/answer_checks.py: answers that contradict the user or say nothing, and
eval_dialogue.py --recheck on a report."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

from dialogue_eval.answer_checks import (  # noqa: E402
    REPLY,
    answer_problems,
    contradicts,
    is_empty,
    lemma,
    parse_report,
    recheck,
)


def test_negating_what_the_user_stated_is_a_contradiction():
    assert (
        contradicts("I passed my exam!", "I'm furious that you didn't pass your exam.")
        == "negates 'pass'"
    )
    assert (
        contradicts(
            "I passed my driving test.", "I'm so upset that I never passed my driving test."
        )
        == "negates 'passed'"
    )
    assert (
        contradicts(
            "I just got the job I interviewed for!",
            "I'm really happy about it, but I feel a little disappointed that they "
            "didn't get the job.",
        )
        == "negates 'get'"
    )


def test_stating_as_done_what_the_user_negated_or_its_opposite_is_a_contradiction():
    assert (
        contradicts("I didn't get the job.", "Congratulations on getting the job!")
        == "affirms 'getting', which the user negated"
    )
    assert (
        contradicts("I lost my wallet on the train.", "Wonderful! I found it right away.")
        == "'found' where the user said 'lost'"
    )
    assert (
        contradicts("I failed my exam.", "You passed, well done!")
        == "'passed' where the user said 'failed'"
    )


def test_the_same_polarity_is_no_contradiction():
    assert contradicts("I didn't sleep well.", "I'm sorry you didn't sleep well.") == ""
    assert (
        contradicts(
            "Nobody listens to me at work.", "I'm furious that people don't listen to me at work."
        )
        == ""
    )
    assert (
        contradicts("I passed my driving test.", "You passed your driving test, well done!") == ""
    )
    # A negated opposite agrees: "didn't give the right" = "gave the wrong".
    assert (
        contradicts(
            "You gave me the wrong directions earlier.",
            "Oh no, I'm sorry, I didn't give you the right directions earlier.",
        )
        == ""
    )


def test_questions_wishes_advice_and_requests_are_not_statements():
    # Fear's what-ifs and encouragement about the future do not turn the user's news around.
    assert contradicts("I passed my driving test.", "What if I don't pass the next test?") == ""
    assert contradicts("I didn't sleep well.", "I hope you sleep better tonight.") == ""
    assert contradicts("I lost my wallet on the train.", "I hope you find it soon.") == ""
    assert contradicts("You gave me the wrong directions.", "Don't give up on me!") == ""
    # Refusing a request contradicts nothing the user stated.
    assert contradicts("Please tell me a short joke.", "I can't tell you that.") == ""
    assert contradicts("Is it going to rain today?", "No, it's not going to rain today.") == ""


def test_a_negation_reaches_past_auxiliaries_only_to_its_own_word():
    assert (
        contradicts(
            "We are going on holiday to the sea next week.",
            "Ugh, I hate being stuck at home and not being able to go on holiday.",
        )
        == "negates 'go'"
    )
    # "can't" negates "stand", not "queue" three words on.
    assert (
        contradicts("The queue here is far too long.", "I can't stand the queue being so long.")
        == ""
    )


def test_lemma_joins_regular_and_irregular_forms():
    assert {lemma(w) for w in ("passed", "passing", "passes", "pass")} == {"pass"}
    assert {lemma(w) for w in ("got", "getting", "get")} == {"get"}
    assert lemma("died") == lemma("dies") == "die"
    assert lemma("tries") == "try"


def test_short_answers_of_bare_feelings_are_empty():
    assert is_empty("Oh no, I'm sad.") == "4 words, none with content"
    assert is_empty("Wow!") == "1 word, none with content"
    assert is_empty("That's great!") == "2 words, none with content"
    assert is_empty("  ") == "no words"


def test_answers_with_content_or_five_words_are_not_empty():
    assert is_empty("I will remind you to take your pills at eight.") == ""
    assert is_empty("Your flight was cancelled.") == ""  # 4 words, but about the flight
    assert is_empty("Oh no, I'm so sad.") == ""  # 5 words: the rule is under five


def test_answer_problems_names_each_problem():
    assert answer_problems("I passed my exam!", "I'm furious that you didn't pass your exam.") == {
        "contradiction": "negates 'pass'"
    }
    assert answer_problems("I passed my exam!", "Oh no, I'm sad.") == {
        "empty": "4 words, none with content"
    }
    assert (
        answer_problems("I passed my exam!", "Well done, you worked so hard for that exam!") == {}
    )


# Both line formats: before this check (the flags "clean") and with its marks in the parentheses;
# a failed answer is not checked.
TINY_REPORT = """# eval_dialogue: qwen2.5-coder-1.5b

## Automatic checks of the spoken replies

| check | replies failing |
|---|---|
| empty | 0 |

## Every turn

### I passed my exam! (good news; user happiness)

**Reply** (aggregator; agents 3.0 s, first sentence 4.0 s, turn 5.0 s; \
clean): Well done, you passed!

- happiness (0.66): Well done, you passed your exam and worked hard for it!
- sadness (0.12; empty: '4 words, none with content'): Oh no, I'm sad.
- fear (0.12): (failed: timeout after 20 s)
- anger (0.12): I'm furious that you didn't pass your exam.

### I lost my wallet on the train. (bad news; user sadness)

**Reply** (aggregator, cut before a sentence with the prompt's own words ('agent'); 6.0 s; \
contradiction: "'found' where the user said 'lost'"): I'm happy that you found your wallet.

- happiness (0.30): Wonderful! I found it right away.
- sadness (0.48): Oh no, I lost my wallet too.
- fear (0.12): What if someone uses your cards?
- anger (0.12): Ugh.
"""


def test_parse_report_reads_every_turn_answer_and_reply(tmp_path):
    path = tmp_path / "eval_dialogue.md"
    path.write_text(TINY_REPORT)
    turns = parse_report(path.read_text())
    assert [(t.utterance, t.user_emotion) for t in turns] == [
        ("I passed my exam!", "happiness"),
        ("I lost my wallet on the train.", "sadness"),
    ]
    assert turns[0].reply == "Well done, you passed!"
    assert turns[0].answers == [
        ("happiness", "Well done, you passed your exam and worked hard for it!"),
        ("sadness", "Oh no, I'm sad."),
        ("anger", "I'm furious that you didn't pass your exam."),
    ]
    assert turns[1].reply == "I'm happy that you found your wallet."
    assert [agent for agent, _ in turns[1].answers] == ["happiness", "sadness", "fear", "anger"]


def test_recheck_counts_per_agent_and_for_replies(tmp_path):
    path = tmp_path / "eval_dialogue.md"
    path.write_text(TINY_REPORT)
    table, flagged = recheck(path.read_text())
    assert "| answer | contradicts the user | empty |" in table
    assert "| happiness | 1/2 (50%) | 0/2 (0%) |" in table  # "I found it" for a lost wallet
    assert "| sadness | 0/2 (0%) | 1/2 (50%) |" in table
    assert "| fear | 0/1 (0%) | 0/1 (0%) |" in table  # its failed answer is not counted
    assert "| anger | 1/2 (50%) | 1/2 (50%) |" in table
    assert "| all agents | 2/7 (29%) | 2/7 (29%) |" in table
    assert "| spoken reply | 1/2 (50%) | 0/2 (0%) |" in table
    assert len(flagged) == 5
    assert any(
        line.startswith(
            "- I passed my exam! (user happiness) anger [contradiction: negates 'pass']"
        )
        for line in flagged
    )
    assert any(f") {REPLY} [contradiction:" in line for line in flagged)


def test_eval_dialogue_recheck_prints_the_table_without_an_llm(tmp_path):
    path = tmp_path / "eval_dialogue.md"
    path.write_text(TINY_REPORT)
    run = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "eval_dialogue.py"), "--recheck", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "## Contradictions and empty answers" in run.stdout
    assert "| spoken reply | 1/2 (50%) | 0/2 (0%) |" in run.stdout
