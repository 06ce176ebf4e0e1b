"""Two-session scenarios for eval_memory.py (issue 29): a person states a fact or preference in
session 1, dialogue_node restarts, and in session 2 they ask something whose good answer depends
on it ("what should I cook tonight?" after "I'm vegetarian").

Each scenario says how to tell, without a model, whether a reply used what was said:
  uses      a pattern a reply matches when it draws on the fact (its words or their consequence)
  violates  a pattern a reply matches when it goes against it (meat for a vegetarian); optional
A reply "recalls" when it matches `uses` and not `violates`. The patterns are for reading the
replies too: eval_memory writes every reply to its report.

Two persons take turns in TWO_PERSONS: a fact of one must never reach the other (a leak is a
reply to B matching A's `uses`).
"""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Scenario:
    name: str
    said: str  # session 1
    asked: str  # session 2, after a restart
    uses: str  # regex, case-insensitive
    violates: str = ""

    def recalled(self, reply: str) -> bool:
        if not re.search(self.uses, reply, re.IGNORECASE):
            return False
        return not (self.violates and re.search(self.violates, reply, re.IGNORECASE))


SCENARIOS = [
    Scenario(
        "vegetarian",
        "I'm vegetarian, by the way.",
        "What should I cook tonight?",
        r"vegetarian|veggie|tofu|lentil|chickpea|bean|vegetable|meat-free|plant",
        r"chicken|beef|steak|pork|bacon|fish|salmon|meat(?!-free|less)",
    ),
    Scenario(
        "name",
        "Please call me Sam.",
        "Do you remember my name?",
        r"\bSam\b",
    ),
    Scenario(
        "exam_friday",
        "My maths exam is on Friday and I'm nervous about it.",
        "Can you help me plan my week?",
        r"exam|math|study|revis|friday",
    ),
    Scenario(
        "dog",
        "I have a dog called Biscuit.",
        "What could I do this weekend?",
        r"Biscuit|dog|walk|park",
    ),
    Scenario(
        "peanut_allergy",
        "I'm allergic to peanuts.",
        "Can you suggest a snack for the afternoon?",
        r"allerg|nut-free|peanut-free|no peanuts|without peanuts|avoid(?:ing)? peanuts",
        r"(?<!no )(?<!without )(?<!avoid )\bpeanut butter|\bwith peanuts\b",
    ),
    Scenario(
        "guitar",
        "I've just started learning the guitar.",
        "How can I use my free evening?",
        r"guitar|practi[cs]e|chord|play",
    ),
    Scenario(
        "marathon",
        "I'm training for a marathon in April.",
        "What should I have for breakfast?",
        r"marathon|run|training|energy|carb",
    ),
    Scenario(
        "sister_lyon",
        "My sister lives in Lyon.",
        "Where could I travel this summer?",
        r"Lyon|sister|France",
    ),
    Scenario(
        "no_coffee",
        "I don't drink coffee at all.",
        "What should I drink to wake up in the morning?",
        r"tea|juice|water|smoothie|no coffee|instead of coffee|without coffee",
        r"(?<!no )(?<!instead of )(?<!without )\bcoffee\b(?! at all)",
    ),
    Scenario(
        "night_shift",
        "I work night shifts at the hospital.",
        "When is a good time for me to exercise?",
        r"night|shift|hospital|after work|sleep|before your shift",
    ),
    Scenario(
        "knee",
        "I hurt my knee last week.",
        "Can you suggest some exercise for me?",
        r"knee|gentle|low-impact|swim|careful|injur",
    ),
    Scenario(
        "jazz",
        "I love jazz music.",
        "What music should I put on tonight?",
        r"jazz|Coltrane|Miles|Ella|swing|blues",
    ),
    Scenario(
        "moving_berlin",
        "We're moving to Berlin next month.",
        "Any tips for the weeks ahead?",
        r"Berlin|mov|pack|German",
    ),
    Scenario(
        "daughter_birthday",
        "My daughter turns six on Saturday.",
        "What should I do this weekend?",
        r"daughter|birthday|six|party|cake|Saturday",
    ),
    Scenario(
        "spicy",
        "I can't stand spicy food.",
        "Which restaurant dish should I order tonight?",
        r"mild|not spicy|non-spicy|without spice|gentle|spic",
        r"(?<!not )(?<!non-)\b(?:chili|chilli|curry|hot sauce|jalape)",
    ),
    Scenario(
        "cat_allergy",
        "I'm allergic to cats.",
        "Should I get a pet?",
        r"allerg|cat|dog|fish|hypoallergenic",
        r"\bget a cat\b|\badopt a cat\b",
    ),
    Scenario(
        "learning_spanish",
        "I'm learning Spanish for a trip to Mexico.",
        "How can I spend twenty minutes well today?",
        r"Spanish|Mexico|vocab|practi[cs]e|Duolingo|language",
    ),
    Scenario(
        "early_riser",
        "I get up at five every morning.",
        "When should I go to bed tonight?",
        r"five|5|early|nine|ten|9|10|eight|sleep",
    ),
    Scenario(
        "grandmother_hospital",
        "My grandmother is in hospital.",
        "What could I do this afternoon?",
        r"grandmother|grandma|hospital|visit|flowers|card",
    ),
    Scenario(
        "gluten",
        "I have coeliac disease, so no gluten for me.",
        "What should I bake this weekend?",
        r"gluten|coeliac|celiac|almond flour|rice flour|flourless",
        r"(?<!gluten-free )\b(?:wheat|regular flour|bread)\b(?!.*gluten-free)",
    ),
    Scenario(
        "vegan_friend",
        "My best friend Lea is vegan and she visits tomorrow.",
        "What should I cook tomorrow?",
        r"vegan|Lea|plant|tofu|lentil|vegetable|bean",
        r"chicken|beef|steak|pork|fish|cheese|egg",
    ),
    Scenario(
        "piano_recital",
        "I have a piano recital next Thursday.",
        "How should I spend my evenings this week?",
        r"piano|recital|practi[cs]e|Thursday",
    ),
]

# Two persons take turns: each tells a fact, then each asks; a fact never reaches the other.
TWO_PERSONS = [
    ("person_a", SCENARIOS[0]),  # vegetarian
    ("person_b", SCENARIOS[3]),  # the dog Biscuit
]
