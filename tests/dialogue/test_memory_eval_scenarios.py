"""eval_memory.py's scenarios (issue 29): each says, without a model, whether a reply used what
the person said in the first session, and whether it went against it."""

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from memory_eval.scenarios import SCENARIOS, TWO_PERSONS  # noqa: E402

BY_NAME = {s.name: s for s in SCENARIOS}


def test_at_least_twenty_distinct_scenarios_with_valid_patterns():
    assert len(SCENARIOS) >= 20 and len(BY_NAME) == len(SCENARIOS)
    for scenario in SCENARIOS:
        re.compile(scenario.uses)
        re.compile(scenario.violates or "x")
        assert scenario.said.strip() and scenario.asked.strip()
        # The question alone never counts as recall (it would pass without memory).
        assert not scenario.recalled(scenario.asked), scenario.name


@pytest.mark.parametrize(
    "name, reply, recalled",
    [
        ("vegetarian", "How about a lentil curry with rice tonight?", True),
        ("vegetarian", "Try a creamy chicken pasta tonight!", False),
        ("vegetarian", "A meat-free chilli would be lovely.", True),
        ("name", "Of course, Sam!", True),
        ("name", "I'm sorry, I don't know your name.", False),
        ("no_coffee", "Green tea is a great way to wake up.", True),
        ("no_coffee", "A strong coffee will wake you up.", False),
        ("peanut_allergy", "Some apple slices, nut-free and fresh.", True),
        ("peanut_allergy", "Celery with peanut butter is tasty.", False),
        ("gluten", "A gluten-free almond cake would be perfect.", True),
        ("vegan_friend", "Cook a vegetable curry Lea will love.", True),
        ("vegan_friend", "Make a cheese omelette with egg.", False),
    ],
)
def test_the_check_tells_recall_from_a_reply_that_ignores_or_goes_against_the_fact(
    name, reply, recalled
):
    assert BY_NAME[name].recalled(reply) is recalled


def test_two_persons_have_facts_that_cannot_be_mistaken_for_each_other():
    (a, fact_a), (b, fact_b) = TWO_PERSONS
    assert a != b
    assert not fact_a.recalled(fact_b.said) and not fact_b.recalled(fact_a.said)
