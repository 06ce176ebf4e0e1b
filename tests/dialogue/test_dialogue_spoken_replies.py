"""core/spoken_replies.py and core/speech_wait.py without ROS: which reply sentences were heard,
from tts_node's reports (a sentence started, robot_speaking, a reply cut off), and a goal's
bounded wait for its reply's speech."""

import concurrent.futures
import threading
import time

from insideout_dialogue.core import speech_wait
from insideout_dialogue.core.speech_wait import SpeechWait, wait_bound
from insideout_dialogue.core.spoken_replies import SpeechOutcome, SpokenReplies


def _send(spoken, turn_id, *sentences):
    for sentence in sentences:
        spoken.sent(turn_id, sentence)


def test_a_turn_is_spoken_once_generated_every_sentence_started_and_the_robot_went_quiet():
    spoken = SpokenReplies()
    _send(spoken, 1, "Hello there.", "How are you?")
    outcome = spoken.outcome(1)
    assert spoken.started("Hello there.") == 1
    spoken.robot_speaking(True)
    spoken.robot_speaking(False)  # between two sentences: the second has not started
    assert spoken.started("How are you?") == 1
    spoken.generation_finished(1)
    assert not outcome.done()  # the last sentence is still playing
    spoken.robot_speaking(True)
    assert not outcome.done()
    spoken.robot_speaking(False)
    assert outcome.result(0) == SpeechOutcome(1, False, "Hello there. How are you?")
    assert not spoken.is_interrupted(1)


def test_quiet_between_sentences_while_the_turn_still_writes_is_not_the_end():
    spoken = SpokenReplies()
    _send(spoken, 1, "First.")
    spoken.started("First.")
    spoken.robot_speaking(False)  # the next sentence comes late
    assert not spoken.outcome(1).done()
    _send(spoken, 1, "Second.")  # a new sentence: the earlier quiet no longer counts
    spoken.generation_finished(1)
    assert not spoken.outcome(1).done()
    spoken.started("Second.")
    spoken.robot_speaking(False)
    assert spoken.outcome(1).result(0).heard == "First. Second."


def test_the_generation_ending_after_the_robot_went_quiet_ends_the_turn_at_once():
    spoken = SpokenReplies()
    _send(spoken, 1, "Only one.")
    spoken.started("Only one.")
    spoken.robot_speaking(False)
    spoken.generation_finished(1)
    assert spoken.outcome(1).result(0) == SpeechOutcome(1, False, "Only one.")


def test_a_cut_sentence_gives_the_sentences_before_it_and_its_heard_words():
    spoken = SpokenReplies()
    _send(spoken, 1, "That is lovely news.", "I hope the rest of your day is good.", "Bye.")
    spoken.started("That is lovely news.")
    spoken.started("I hope the rest of your day is good.")
    outcomes = spoken.interrupted("I hope the rest of your day is good.", "I hope the", "barge_in")
    expected = SpeechOutcome(
        1, True, "That is lovely news. I hope the", "barge_in", generation_finished=False
    )
    assert outcomes == [expected] and spoken.outcome(1).result(0) == expected
    assert expected.words_heard == 7
    assert expected.describe() == "interrupted by the user after 7 words"
    assert spoken.is_interrupted(1)
    # "Bye." was waiting and was dropped: the same words of a later turn are that turn's.
    _send(spoken, 2, "Bye.")
    assert spoken.started("Bye.") == 2


def test_turns_whose_sentences_were_only_waiting_are_interrupted_with_what_was_heard():
    spoken = SpokenReplies()
    _send(spoken, 1, "One.", "Two.")
    _send(spoken, 2, "Next turn.")
    spoken.started("One.")
    outcomes = spoken.interrupted("One.", "", "barge_in")
    assert [(o.turn_id, o.heard) for o in outcomes] == [(1, ""), (2, "")]
    assert outcomes[0].describe() == "interrupted by the user after 0 words"

    # Nothing playing (between two sentences), one waiting: the stop drops it.
    _send(spoken, 3, "Three.", "Four.")
    spoken.started("Three.")
    spoken.robot_speaking(False)
    outcomes = spoken.interrupted("", "", "stop_service")
    assert [(o.turn_id, o.heard, o.interrupted) for o in outcomes] == [(3, "Three.", True)]
    assert outcomes[0].describe() == "stopped by tts_node's stop service after 1 word"
    # Turns already complete are not touched by a later stop.
    _send(spoken, 4, "Done.")
    spoken.started("Done.")
    spoken.generation_finished(4)
    spoken.robot_speaking(False)
    assert spoken.interrupted("", "", "stop_service") == []
    assert not spoken.outcome(4).result(0).interrupted


def test_a_cut_reply_whose_start_report_has_not_come_yet_is_still_found():
    spoken = SpokenReplies()
    _send(spoken, 5, "Hi there friend.")
    [outcome] = spoken.interrupted("Hi there friend.", "Hi there", "barge_in")
    assert (outcome.turn_id, outcome.heard) == (5, "Hi there")
    assert spoken.started("Hi there friend.") is None  # late report: nothing left to start


def test_the_same_words_are_matched_oldest_first_and_strangers_ignored():
    spoken = SpokenReplies()
    _send(spoken, 1, "Okay.")
    _send(spoken, 2, "Okay.")
    assert [spoken.started("Okay.") for _ in range(3)] == [1, 2, None]
    assert spoken.started("someone else's words") is None
    # The newest started sentence with the cut text is the one that was playing.
    assert [o.turn_id for o in spoken.interrupted("Okay.", "Ok", "barge_in")] == [2]


def test_old_turns_are_forgotten_and_a_waiter_on_one_is_released():
    spoken = SpokenReplies(max_turns=2)
    _send(spoken, 1, "a.")
    first = spoken.outcome(1)
    _send(spoken, 2, "b.")
    _send(spoken, 3, "c.")
    assert first.cancelled() and spoken.outcome(1) is None
    assert spoken.outcome(2) is not None and spoken.outcome(3) is not None
    assert spoken.outcome(99) is None


def test_reports_from_other_threads_resolve_a_waiting_thread():
    spoken = SpokenReplies()
    _send(spoken, 1, *[f"Sentence {i}." for i in range(50)])
    spoken.generation_finished(1)

    def speaker():
        for i in range(50):
            spoken.started(f"Sentence {i}.")
            spoken.robot_speaking(True)
        spoken.robot_speaking(False)

    thread = threading.Thread(target=speaker)
    thread.start()
    outcome = spoken.outcome(1).result(timeout=5)
    thread.join()
    assert not outcome.interrupted and outcome.words_heard == 100


def test_the_wait_ends_with_the_outcome():
    outcome = concurrent.futures.Future()
    wait = SpeechWait(outcome, 5.0)
    assert not wait.future.done()
    outcome.set_result(SpeechOutcome(1, True, "Hello", "barge_in"))
    end = wait.future.result(0)
    assert end.how == speech_wait.INTERRUPTED and end.outcome.heard == "Hello"
    wait.cancel("too late")  # the first ending stays
    assert wait.future.result(0).how == speech_wait.INTERRUPTED

    done = concurrent.futures.Future()
    done.set_result(SpeechOutcome(2, False, "All of it."))
    assert SpeechWait(done, 5.0).future.result(0).how == speech_wait.SPOKEN


def test_the_wait_ends_at_its_bound_on_cancel_or_when_the_turn_is_forgotten():
    started = time.monotonic()
    timed_out = SpeechWait(concurrent.futures.Future(), 0.1).future.result(timeout=5)
    assert timed_out.how == speech_wait.TIMED_OUT and time.monotonic() - started < 2
    assert "0.1 s" in timed_out.message

    wait = SpeechWait(concurrent.futures.Future(), 30.0)
    wait.cancel("canceled by the action client")
    assert wait.future.result(0).how == speech_wait.CANCELED
    wait.close()

    forgotten = concurrent.futures.Future()
    wait = SpeechWait(forgotten, 30.0)
    forgotten.cancel()
    assert wait.future.result(0).how == speech_wait.FORGOTTEN
    assert wait_bound("x" * 50) == 20.0
