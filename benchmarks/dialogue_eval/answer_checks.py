"""Does an answer contradict the user, or say nothing? Heuristic checks of answers and replies.

A small local LLM sometimes turns the user's news around (user: "I passed my exam!", anger agent:
"I'm furious that you didn't pass your exam.") or answers with a bare feeling ("Oh no, I'm sad.")
that gives the aggregator nothing to blend (issue 25). These checks count both, without a model:

- contradicts(): the answer negates a content word the user stated positively ("didn't pass" for
  "I passed"), states as done what the user negated ("Congratulations on getting the job" for "I
  didn't get the job"), or states as done the opposite of the user's verb ("you found it" for "I
  lost my wallet"). Only statements count on both sides: questions, requests ("Don't give up!"),
  and clauses under "if", "hope" or a modal ("What if I don't pass?", "I hope you find it") are
  left out, so that fear's what-ifs and encouragement are not flagged.
- is_empty(): under five words, none of them with content (interjections, feeling words, pronouns).

Both return a short reason or "" (no problem), as reply_checks does. parse_report() reads a report
of eval_dialogue.py back, so old reports can be re-checked without an LLM.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# Words that are not content: pronouns, determiners, auxiliaries, prepositions, conjunctions and
# frequent adverbs. A negation's target and a contradicted word are never one of these.
FUNCTION_WORDS = frozenset(
    """
i me my mine myself you your yours yourself we us our ours he him his she her hers it its they
them their theirs this that these those there here who whom whose which what when where why how
i'm i've i'd i'll you're you've you'd you'll we're we've we'd we'll he's she's it's it'll they're
they've they'd they'll that's there's here's what's who's how's let's
a an the some any no every each all both either neither another other such own same
anyone anybody anything someone somebody something everyone everybody everything one
am is are was were be being been have has had having do does did doing done
will would shall should can could may might must ought
and or but so if then than because as while though although unless whether nor yet
of to in on at by for with about from into onto over under up down out off through after before
again just only also too very really quite so such even ever still already always often sometimes
more most much many few less least not never now today tonight tomorrow yesterday
well oh ah uh um hmm wow ugh yes yeah okay ok please sure like
""".split()
)
# Between a negation and the word it negates: "not being able to go", "didn't even get the job".
_SKIPPED_AFTER_NEGATION = frozenset(
    """
be being been able to have has had ever even yet really quite very so just actually always
a an the any my your his her their our its too much all
""".split()
)
# A clause with one of these before the word is not a statement of fact.
_IRREALIS = frozenset(
    """
if unless whether hope hopes hoped hopefully wish wishes maybe perhaps imagine suppose
can could will would might may should must shall let let's i'll you'll we'll it'll they'll
he'll she'll want wants try trying
""".split()
)
# Words of a sentence that is a request, not a statement ("Please tell me a short joke.").
_IMPERATIVE_STARTS = frozenset(
    """
please tell let help give show turn remind find take play stop open close call bring say read
""".split()
)
_NEGATION_WORDS = frozenset(
    {
        "not",
        "never",
        "nobody",
        "cannot",
        "dont",
        "didnt",
        "cant",
        "wont",
        "doesnt",
        "isnt",
        "wasnt",
        "couldnt",
    }
)
_NEGATION_PAIRS = frozenset(
    {
        ("no", "longer"),
        ("no", "one"),
        ("failed", "to"),
        ("fail", "to"),
        ("fails", "to"),
        ("unable", "to"),
    }
)
# How many tokens after a negation its target may be ("not being able to go": 4).
MAX_NEGATION_REACH = 4
# Before a gerund, a completed event: "congratulations on getting the job", "proud of you for".
_EVENT_GERUND_AFTER = frozenset({"on", "for"})

IRREGULAR = {
    "got": "get",
    "gotten": "get",
    "lost": "lose",
    "won": "win",
    "went": "go",
    "gone": "go",
    "made": "make",
    "did": "do",
    "done": "do",
    "died": "die",
    "dying": "die",
    "broke": "break",
    "broken": "break",
    "took": "take",
    "taken": "take",
    "gave": "give",
    "given": "give",
    "came": "come",
    "saw": "see",
    "seen": "see",
    "found": "find",
    "left": "leave",
    "felt": "feel",
    "told": "tell",
    "said": "say",
    "ate": "eat",
    "eaten": "eat",
    "knew": "know",
    "known": "know",
    "thought": "think",
    "bought": "buy",
    "brought": "bring",
    "heard": "hear",
    "kept": "keep",
    "met": "meet",
    "ran": "run",
    "sat": "sit",
    "slept": "sleep",
    "spent": "spend",
    "stood": "stand",
    "taught": "teach",
    "wrote": "write",
    "written": "write",
    "fell": "fall",
    "fallen": "fall",
    "forgot": "forget",
    "forgotten": "forget",
    "began": "begin",
    "begun": "begin",
    "flew": "fly",
    "flown": "fly",
    "paid": "pay",
    "sold": "sell",
    "sent": "send",
    "built": "build",
    "held": "hold",
    "lying": "lie",
    "going": "go",
}
# Past forms among IRREGULAR (a participle like "lost" counts as past too).
_IRREGULAR_PAST = frozenset(IRREGULAR) - {"dying", "lying", "going"}
# Opposites for the commonest news: saying the one when the user said the other.
# ("right", "wrong") only undoes a negation: "I didn't give you the right directions" agrees with
# "You gave me the wrong directions".
ANTONYMS = (("pass", "fail"), ("win", "lose"), ("find", "lose"), ("right", "wrong"))


def tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower().replace("\u2019", "'"))


_BASE_FORMS = frozenset(IRREGULAR.values())


def lemma(word: str) -> str:
    """Crude base form: "passed", "passing", "passes" -> "pass"; "got" -> "get"."""
    word = IRREGULAR.get(word, word)
    if word in _BASE_FORMS or len(word) <= 3:
        return word
    if len(word) > 4 and (word.endswith("ies") or word.endswith("ied")):
        return word[:-3] + "y"
    for suffix in ("ing", "ed", "es", "s"):
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and len(stem) >= 3 and not (suffix == "s" and stem[-1] == "s"):
            # "getting" -> "get", "stopped" -> "stop"; "passed", "called" keep their double letter.
            if suffix in ("ing", "ed") and stem[-1] == stem[-2] and stem[-1] not in "lsz":
                stem = stem[:-1]
            return stem
    return word


def _key(word: str) -> str:
    """What two forms of one word share: the lemma without a final e or double letter ("loved",
    "love" -> "lov"; "cancelled", "cancel" -> "cancel")."""
    base = lemma(word)
    if base.endswith("e") and len(base) > 3:
        base = base[:-1]
    return base[:-1] if len(base) > 3 and base[-1] == base[-2] else base


_OPPOSITES: dict[str, set] = {}
for _one, _other in ANTONYMS:
    _OPPOSITES.setdefault(_key(_one), set()).add(_key(_other))
    _OPPOSITES.setdefault(_key(_other), set()).add(_key(_one))


def _is_content(word: str) -> bool:
    return word not in FUNCTION_WORDS and not word.isdigit() and len(word) > 1


def _is_past(word: str) -> bool:
    return word in _IRREGULAR_PAST or (word.endswith("ed") and len(word) > 4)


def _negation_at(words: Sequence[str], i: int) -> int:
    """How many tokens the negation cue at `i` spans (0: none)."""
    if words[i] in _NEGATION_WORDS or words[i].endswith("n't"):
        return 1
    return 2 if tuple(words[i : i + 2]) in _NEGATION_PAIRS else 0


def _negated_target(words: Sequence[str], start: int) -> int | None:
    """The index of the content word a negation ending before `start` negates, if any."""
    for j in range(start, min(start + MAX_NEGATION_REACH, len(words))):
        word = words[j]
        # "not going to have surgery": "going to" + a verb is a future, skipped like an auxiliary.
        if (
            word == "going"
            and j + 2 < len(words)
            and words[j + 1] == "to"
            and words[j + 2] not in _SKIPPED_AFTER_NEGATION - {"have", "be"}
        ):
            continue
        if word in _SKIPPED_AFTER_NEGATION:
            continue
        return j if _is_content(word) else None
    return None


@dataclass
class Mention:
    """A content word of a statement, with its polarity."""

    word: str
    key: str
    negated: bool
    done: bool = False  # past or "congratulations on <gerund>": stated as a completed event
    clause: frozenset = frozenset()  # the keys of every word of its clause


@dataclass
class Statements:
    mentions: list[Mention] = field(default_factory=list)

    def polarities(self, key: str) -> set:
        return {m.negated for m in self.mentions if m.key == key}


def _sentences(text: str) -> Iterable[tuple[str, bool]]:
    """(sentence, is a question) for each sentence."""
    for found in re.finditer(r"[^.!?\n]+([.!?]*)", text):
        yield found.group(0), "?" in found.group(1)


def statements(text: str, requests_count: bool = True) -> Statements:
    """Every content word of the text's factual clauses (no questions, conditionals or modals)."""
    result = Statements()
    for sentence, question in _sentences(text):
        if question:
            continue
        sentence_words = tokens(sentence)
        if not requests_count and sentence_words and sentence_words[0] in _IMPERATIVE_STARTS:
            continue
        for clause in re.split(r"[,;:\u2014\u2013]|\bbut\b", sentence, flags=re.IGNORECASE):
            words = tokens(clause)
            if words[:1] in (["don't"], ["dont"]) or words[:2] == ["do", "not"]:
                continue  # "Don't give up!": advice, not a statement
            keys = frozenset(_key(w) for w in words)
            irrealis, negated_indices = False, set()
            i = 0
            while i < len(words):
                span = _negation_at(words, i)
                if span:
                    target = _negated_target(words, i + span)
                    if target is not None:
                        negated_indices.add(target)
                        if not irrealis:
                            result.mentions.append(
                                Mention(
                                    words[target], _key(words[target]), negated=True, clause=keys
                                )
                            )
                    i += span
                    continue
                word = words[i]
                irrealis = irrealis or word in _IRREALIS
                previous = words[i - 1] if i else ""
                if (
                    i not in negated_indices
                    and _is_content(word)
                    and not irrealis
                    and previous != "to"
                ):
                    done = _is_past(word) or (
                        word.endswith("ing") and previous in _EVENT_GERUND_AFTER
                    )
                    result.mentions.append(
                        Mention(word, _key(word), negated=False, done=done, clause=keys)
                    )
                i += 1
    return result


def contradicts(utterance: str, answer: str) -> str:
    """A short reason when the answer turns around what the utterance states, else ""."""
    said = statements(utterance, requests_count=False)
    for mention in statements(answer).mentions:
        polarity = said.polarities(mention.key)
        if (
            mention.negated
            and polarity == {False}
            and not any(
                said.polarities(opposite) == {False}
                for key in mention.clause
                for opposite in _OPPOSITES.get(key, ())
            )
        ):
            return f"negates '{mention.word}'"
        if not mention.done:
            continue  # "I hope you sleep better" for "I didn't sleep well" is no contradiction
        if polarity == {True}:
            return f"affirms '{mention.word}', which the user negated"
        for opposite in _OPPOSITES.get(mention.key, ()):
            if said.polarities(opposite) == {False}:
                said_word = next(m.word for m in said.mentions if m.key == opposite)
                return f"'{mention.word}' where the user said '{said_word}'"
    return ""


# Words that carry nothing to blend on their own: interjections, feelings, pronouns, fillers.
EMPTY_WORDS = FUNCTION_WORDS | frozenset(
    """
hey hi hello aw aww ooh oops alas sigh ouch phew yay hooray whoa yikes eek argh grr grrr grrrr
huh hm
sad happy glad great good wonderful awesome amazing fantastic terrible awful horrible bad nice
cool lovely sweet angry mad furious upset scared afraid worried nervous sorry excited thrilled
unfair outrageous frustrated frustrating annoyed scary sadly feel feeling feels felt sound sounds
seem seems miss love hate wonder right wrong true what's up no how's
""".split()
)
MIN_WORDS_WITHOUT_CONTENT = 5


def is_empty(answer: str) -> str:
    """A short reason when the answer is empty or under five words with no content word, else ""."""
    words = tokens(answer)
    if not words:
        return "no words"
    if len(words) < MIN_WORDS_WITHOUT_CONTENT and all(w in EMPTY_WORDS for w in words):
        return f"{len(words)} word{'s' if len(words) > 1 else ''}, none with content"
    return ""


def answer_problems(utterance: str, answer: str) -> dict[str, str]:
    """{"contradiction": reason} and/or {"empty": reason}; {} for a sound answer."""
    problems = {}
    empty = is_empty(answer)
    if empty:
        problems["empty"] = empty
    contradiction = contradicts(utterance, answer) if not empty else ""
    if contradiction:
        problems["contradiction"] = contradiction
    return problems


REPLY = "reply"


def check_turn(
    utterance: str, answers: Iterable[tuple[str, str]], reply: str | None
) -> dict[str, dict[str, str]]:
    """{agent or REPLY: answer_problems} for the (agent, text) of each successful answer and for
    the reply (None: no reply to check)."""
    checked = {agent: answer_problems(utterance, text) for agent, text in answers}
    if reply is not None:
        checked[REPLY] = answer_problems(utterance, reply)
    return checked


def _count(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.0f}%)" if whole else "-"


def problem_table(checked_turns: Sequence[dict[str, dict[str, str]]]) -> list[str]:
    """The report's section "Contradictions and empty answers": counts per agent and for replies."""
    names = list(dict.fromkeys(name for turn in checked_turns for name in turn if name != REPLY))
    lines = [
        "## Contradictions and empty answers",
        "",
        "Heuristic (benchmarks/dialogue_eval/answer_checks.py): contradicting = negates what "
        "the user stated, or states as done what the user negated or its opposite; empty = "
        "under 5 words, none with content.",
        "",
        "| answer | contradicts the user | empty |",
        "|---|---|---|",
    ]

    def row(label, problems):
        contradicting = sum("contradiction" in p for p in problems)
        empty = sum("empty" in p for p in problems)
        lines.append(
            f"| {label} | {_count(contradicting, len(problems))} | {_count(empty, len(problems))} |"
        )

    for name in names:
        row(name, [turn[name] for turn in checked_turns if name in turn])
    row("all agents", [p for turn in checked_turns for name, p in turn.items() if name != REPLY])
    row("spoken reply", [turn[REPLY] for turn in checked_turns if REPLY in turn])
    return lines


@dataclass
class ReportTurn:
    """One turn of an eval_dialogue report: the utterance, each agent's answer, the reply."""

    utterance: str
    user_emotion: str
    reply: str | None = None
    answers: list[tuple[str, str]] = field(default_factory=list)  # successful ones only


_TURN_HEADING = re.compile(r"^### (.*) \([^()]*; user (\w+)\)$")
# The flags in the parentheses hold no "): ", the reply may: the first one ends them.
_REPLY_LINE = re.compile(r"^\*\*Reply\*\* \(.*?\): (.*)$")
_ANSWER_LINE = re.compile(r"^- (\w+) \(.*?\): (.*)$")
_FAILED = "(failed: "


def parse_report(text: str) -> list[ReportTurn]:
    """The turns of the "## Every turn" section of an eval_dialogue.py report."""
    turns: list[ReportTurn] = []
    every_turn = text.split("\n## Every turn\n", 1)
    last = None  # the answer or reply a line without a prefix continues
    for line in every_turn[-1].splitlines() if len(every_turn) == 2 else []:
        heading, reply, answer = (
            _TURN_HEADING.match(line),
            _REPLY_LINE.match(line),
            _ANSWER_LINE.match(line),
        )
        if heading:
            turns.append(ReportTurn(heading.group(1), heading.group(2)))
            last = None
        elif not turns:
            continue
        elif reply:
            turns[-1].reply, last = reply.group(1), REPLY
        elif answer:
            failed = answer.group(2).startswith(_FAILED)
            if not failed:
                turns[-1].answers.append((answer.group(1), answer.group(2)))
            last = None if failed else len(turns[-1].answers) - 1
        elif line.strip() and last is not None:
            if last == REPLY:
                turns[-1].reply += "\n" + line
            else:
                agent, answer_text = turns[-1].answers[last]
                turns[-1].answers[last] = (agent, answer_text + "\n" + line)
        else:
            last = None
    return turns


def recheck(text: str) -> tuple[list[str], list[str]]:
    """(the table, one line per flagged answer) for the report `text`."""
    checked, flagged = [], []
    for turn in parse_report(text):
        result = check_turn(turn.utterance, turn.answers, turn.reply)
        checked.append(result)
        texts = {**dict(turn.answers), REPLY: turn.reply or ""}
        for name, problems in result.items():
            if problems:
                reasons = "; ".join(f"{k}: {v}" for k, v in problems.items())
                flagged.append(
                    f"- {turn.utterance} (user {turn.user_emotion}) {name} "
                    f"[{reasons}]: {texts[name]}"
                )
    return problem_table(checked), flagged
