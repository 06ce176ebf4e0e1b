"""Per-person long-term memory, the core (issue 29): the SQLite store, the notes checked before
they are kept, and the brief that goes into the prompts."""

import sqlite3

import pytest

from insideout_dialogue.core.person_memory.fact_notes import Note, note_messages, parse_notes
from insideout_dialogue.core.person_memory.memory_brief import memory_brief
from insideout_dialogue.core.person_memory.store import (
    Memory,
    MemoryStoreError,
    PastConversation,
    PersonMemoryStore,
)

DAY = 86400.0


class Clock:
    def __init__(self, now=1_800_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(tmp_path, clock):
    opened = PersonMemoryStore(tmp_path / "memory" / "people.sqlite3", clock=clock)
    yield opened
    opened.close()


def texts(memories):
    return [m.text for m in memories]


def test_memories_survive_closing_the_file_and_stay_with_their_person(tmp_path, clock):
    path = tmp_path / "people.sqlite3"
    first = PersonMemoryStore(path, clock=clock)
    assert first.remember("person_a", "The user is vegetarian.")
    first.remember("person_b", "The user has a dog called Rex.")
    first.close()
    again = PersonMemoryStore(path, clock=clock)
    assert texts(again.memories("person_a")) == ["The user is vegetarian."]
    assert texts(again.memories("person_b")) == ["The user has a dog called Rex."]
    assert again.persons() == ["person_a", "person_b"]
    again.close()


def test_the_same_statement_again_is_one_memory_with_a_new_time(store, clock):
    assert store.remember("a", "The user is vegetarian.")
    clock.now += DAY
    assert not store.remember("a", "the user is  Vegetarian")
    [memory] = store.memories("a")
    assert memory.said == clock.now


def test_a_new_name_replaces_the_old(store):
    store.remember("a", "The user's name is Samantha.", kind="name")
    store.remember("a", "The user wants to be called Sam.", kind="name")
    store.remember("a", "The user is vegetarian.")
    assert texts(store.memories("a")) == [
        "The user is vegetarian.",
        "The user wants to be called Sam.",
    ]


def test_each_person_keeps_at_most_the_limit_the_least_used_going_first(tmp_path, clock):
    store = PersonMemoryStore(tmp_path / "m.sqlite3", max_per_person=3, clock=clock)
    store.remember("a", "The user's name is Sam.", kind="name")
    for k in range(5):
        clock.now += 60
        store.remember("a", f"The user owns bicycle number {k}.")
    kept = texts(store.memories("a"))
    assert len(kept) == 3
    assert "The user's name is Sam." in kept  # the name is never pushed out
    assert (
        "The user owns bicycle number 4." in kept and "The user owns bicycle number 0." not in kept
    )
    store.close()


def test_memories_older_than_the_retention_limit_are_dropped(tmp_path, clock):
    store = PersonMemoryStore(tmp_path / "m.sqlite3", retention_days=30, clock=clock)
    store.remember("a", "The user has an exam on Friday.")
    store.note_conversation("a", "fear", 3)
    clock.now += 31 * DAY
    store.remember("a", "The user passed the exam.")
    assert store.prune() == 1
    assert texts(store.memories("a")) == ["The user passed the exam."]
    assert store.last_conversation("a") is None
    store.close()


def test_forget_one_person_and_forget_everyone(store, tmp_path):
    store.remember("a", "The user is vegetarian.")
    store.remember("b", "The user plays the cello.")
    store.note_conversation("a", "sadness", 2)
    assert store.forget("a") == 1
    assert store.memories("a") == [] and store.last_conversation("a") is None
    assert texts(store.memories("b")) == ["The user plays the cello."]
    assert b"vegetarian" not in (tmp_path / "memory" / "people.sqlite3").read_bytes()
    assert store.forget_all() == 1
    assert store.memories() == [] and store.persons() == []
    # Forgotten means gone from the file, not only from the queries.
    assert b"cello" not in (tmp_path / "memory" / "people.sqlite3").read_bytes()


def test_recall_puts_the_name_and_the_matching_memory_first_within_the_limit(store, clock):
    store.remember("a", "The user's name is Sam.", kind="name")
    store.remember("a", "The user is vegetarian.")
    clock.now += 60
    store.remember("a", "The user has a sister in Lyon.")
    clock.now += 60
    store.remember("a", "The user likes jazz music.")
    store.remember("b", "The user is allergic to cats.")
    recalled = texts(store.recall("a", "Can you tell me about my sister?", limit=3))
    assert recalled == [
        "The user's name is Sam.",
        "The user has a sister in Lyon.",
        "The user likes jazz music.",
    ]
    # Nothing shared with the utterance: the name and the newest.
    assert texts(store.recall("a", "What should I cook tonight?", limit=2)) == [
        "The user's name is Sam.",
        "The user likes jazz music.",
    ]
    assert store.recall("nobody", "cats") == []  # never another person's memories


def test_bad_person_ids_and_kinds_are_refused(store):
    with pytest.raises(ValueError):
        store.remember("  ", "The user is vegetarian.")
    with pytest.raises(ValueError):
        store.remember("x" * 129, "The user is vegetarian.")
    with pytest.raises(ValueError):
        store.remember("a", "The user is vegetarian.", kind="secret")
    assert not store.remember("a", "...")  # no words: nothing kept


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "not.sqlite3"
    path.write_text("hello, this is not SQLite " * 100)
    with pytest.raises(MemoryStoreError, match="cannot open the memory file"):
        PersonMemoryStore(path)


def test_the_store_is_sqlite_with_full_text_search(store):
    store.remember("a", "The user is vegetarian.")
    db = sqlite3.connect(store.path)
    assert db.execute(
        "SELECT count(*) FROM memories_text WHERE memories_text MATCH 'vegetarian'"
    ).fetchone() == (1,)
    db.close()


# --- notes -------------------------------------------------------------------------------------
def test_the_note_prompt_asks_for_user_statements_or_none():
    messages = note_messages("I'm vegetarian, by the way.")
    assert messages[0]["role"] == "system" and "The user" in messages[0]["content"]
    assert "NONE" in messages[0]["content"]
    assert messages[1] == {"role": "user", "content": "I'm vegetarian, by the way."}


def test_notes_stated_by_the_user_are_kept():
    answer = "- The user is vegetarian\n2. The user's exam is on Friday.\n"
    assert parse_notes(answer, "I'm vegetarian and my exam is on Friday.") == [
        Note("The user is vegetarian.", "fact"),
        Note("The user's exam is on Friday.", "fact"),
    ]
    assert parse_notes("The user wants to be called Sam.", "Please call me Sam.") == [
        Note("The user wants to be called Sam.", "name")
    ]
    assert parse_notes("The user's name is Ana.", "Hi, I'm Ana.")[0].kind == "name"


def test_guesses_questions_and_chatter_are_not_kept():
    utterance = "What should I cook tonight?"
    assert parse_notes("NONE", utterance) == []
    assert parse_notes("The user likes pasta.", utterance) == []  # not said: invented
    assert parse_notes("The user asks what to cook tonight?", utterance) == []
    assert parse_notes("Sure! Here are some notes:", utterance) == []
    assert parse_notes("The user.", "I am the user.") == []  # too short to say anything
    long_note = "The user cooks " + "very " * 50 + "often."
    assert parse_notes(long_note, "I cook often.") == []


def test_at_most_three_notes_a_turn():
    answer = "\n".join(f"The user has cat number {k}." for k in range(6))
    assert len(parse_notes(answer, "I have six cats, number 0 to 5.")) == 3


# --- the brief ---------------------------------------------------------------------------------
def test_the_brief_says_what_was_said_when_and_how_the_user_seemed_last_time():
    now = 1_800_000_000.0
    brief = memory_brief(
        [Memory("a", "The user is vegetarian.", "fact", now - 2.5 * DAY)],
        PastConversation("a", now - DAY * 1.2, "fear", 4),
        now,
    )
    assert brief.splitlines()[1:] == [
        "- Last time (yesterday) they seemed worried.",
        "- The user is vegetarian. (2 days ago)",
    ]
    assert memory_brief([], None, now) == ""
    assert memory_brief([], PastConversation("a", now, "neutral", 1), now) == ""


def test_the_brief_stays_within_its_budget_in_whole_lines():
    now = 1_800_000_000.0
    memories = [
        Memory("a", f"The user likes board game number {k}.", "fact", now) for k in range(30)
    ]
    brief = memory_brief(memories, None, now, max_chars=300)
    assert len(brief) <= 300
    assert all(line.endswith(")") for line in brief.splitlines()[1:])
    assert brief.splitlines()[1] == "- The user likes board game number 0. (just now)"


# --- in the prompts ----------------------------------------------------------------------------
def test_what_is_remembered_ends_every_chats_system_message():
    from insideout_dialogue.core.prompts import (
        AnswerForAggregation,
        PastTurn,
        PromptSet,
        RememberedContext,
        UserEmotion,
        agent_messages,
        aggregator_messages,
        continued_aggregator_messages,
        remembered_only,
    )

    brief = RememberedContext(
        "From earlier conversations with this person:\n- The user is vegetarian."
    )
    history = (PastTurn("Hello.", "Hi there!"), brief)
    prompts = PromptSet()
    agent = agent_messages(prompts, "You are Joy.", "happiness", "What should I cook?", history)
    assert agent[0] == {"role": "system", "content": "You are Joy.\n" + brief.text}
    assert [m["role"] for m in agent] == ["system", "user", "assistant", "user"]
    thoughts = [AnswerForAggregation("happiness", "happiness", "Cook pasta!", 0.7)]
    aggregator = aggregator_messages(
        prompts, True, "What should I cook?", thoughts, UserEmotion(), history
    )
    assert aggregator[0]["content"].endswith(brief.text)
    assert "Cook pasta!" in aggregator[0]["content"].split(brief.text)[0]  # thoughts come first
    assert sum(m["role"] == "system" for m in aggregator) == 1
    continued = continued_aggregator_messages(
        prompts, "What should I cook?", thoughts, UserEmotion(), "Try", history
    )
    assert brief.text in continued[0]["content"] and continued[-1] == {
        "role": "assistant",
        "content": "Try",
    }
    paper = agent_messages(
        PromptSet(style="paper"), "", "happiness", "What should I cook?", history
    )
    assert paper[0] == {"role": "system", "content": brief.text}
    # Without memory the chats are as before; agents without turns still get what is remembered.
    assert agent_messages(prompts, "You are Joy.", "happiness", "Hi", (PastTurn("a", "b"),))[0] == {
        "role": "system",
        "content": "You are Joy.",
    }
    assert remembered_only(history) == (brief,)
