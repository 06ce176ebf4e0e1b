"""The live view's turn state (core.live_view.turn_state) without ROS: precedence, transitions,
late and out-of-order inputs, and what a page that connects gets."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from insideout_dialogue.core import dialogue_turn
from insideout_dialogue.core.live_view import page_events, turn_state
from insideout_dialogue.core.live_view.live_state import LiveState
from insideout_dialogue.core.live_view.turn_state import (
    INTERRUPTED,
    LISTENING,
    SPEAKING,
    STATES,
    THINKING,
    USER_PAUSING,
    USER_SPEAKING,
    TurnStateTracker,
)

WEB = Path(turn_state.__file__).parent / "web"


class Run:
    """Feeds a tracker and keeps the states it reported, so a test reads as the conversation."""

    def __init__(self):
        self.tracker = TurnStateTracker()
        self.shown = [LISTENING]

    def __getattr__(self, name):
        def feed(*args):
            event = getattr(self.tracker, name)(*args, now=1.0)
            if event is not None:
                assert event == {"type": "turn_state", "t": 1.0, "state": event["state"]}
                assert event["state"] != self.shown[-1], "an event without a change"
                self.shown.append(event["state"])
            return self

        return feed


def test_a_question_a_thinking_pause_an_answer():
    run = (
        Run()
        .user_speaking(True)
        .user_pausing(True)
        .user_pausing(False)  # "so what ... should I"
        .user_speaking(False)
        .turn_progress(1, "agents")
        .turn_progress(1, "agent_partial")
        .robot_speaking(True)
        .turn_finished(1)  # the reply written while the robot speaks it
        .robot_speaking(False)
    )
    assert run.shown == [
        LISTENING,
        USER_SPEAKING,
        USER_PAUSING,
        USER_SPEAKING,
        LISTENING,
        THINKING,
        SPEAKING,
        LISTENING,
    ]


def test_between_sentences_of_a_running_turn_it_is_thinking():
    run = Run().turn_progress(1, "agents").robot_speaking(True).robot_speaking(False)
    assert run.shown == [LISTENING, THINKING, SPEAKING, THINKING]
    assert run.turn_finished(1).shown[-1] == LISTENING


def test_a_pause_ends_with_the_utterance_whichever_message_comes_first():
    run = Run().user_speaking(True).user_pausing(True).user_speaking(False).user_pausing(False)
    assert run.shown == [LISTENING, USER_SPEAKING, USER_PAUSING, LISTENING]


def test_pausing_comes_first_then_the_user_then_the_robot_then_a_running_turn():
    run = (
        Run().turn_progress(1, "agents").robot_speaking(True).user_speaking(True).user_pausing(True)
    )
    assert run.shown == [LISTENING, THINKING, SPEAKING, USER_SPEAKING, USER_PAUSING]
    run.user_pausing(False).user_speaking(False).robot_speaking(False)
    assert run.shown[-3:] == [USER_SPEAKING, SPEAKING, THINKING]


def test_barge_in_the_user_talks_over_the_reply_until_a_new_turn_runs():
    run = (
        Run()
        .user_speaking(True)
        .user_speaking(False)
        .turn_progress(1, "agents")
        .robot_speaking(True)
        .user_speaking(True)  # over the robot: asr_node pauses its speech
        .reply_interrupted()  # ... and stops it
        .turn_progress(1, "reply_partial")  # written before the cut, arrives after it
        .robot_speaking(False)
        .turn_finished(1)  # dialogue_node ends the turn it cut
        .user_speaking(False)
    )
    assert run.shown == [
        LISTENING,
        USER_SPEAKING,
        LISTENING,
        THINKING,
        SPEAKING,
        USER_SPEAKING,
        INTERRUPTED,
    ]
    assert run.turn_progress(2, "agents").shown[-1] == THINKING  # the user's new question


def test_the_stop_button_interrupted_until_the_user_or_the_robot_goes_on():
    run = Run().turn_progress(1, "agents").robot_speaking(True).turn_finished(1).reply_interrupted()
    assert run.shown[-1] == INTERRUPTED
    run.robot_speaking(False)  # tts_node's false, after its report of the cut
    assert run.shown[-1] == INTERRUPTED
    assert run.user_speaking(True).user_speaking(False).shown[-3:] == [
        INTERRUPTED,
        USER_SPEAKING,
        LISTENING,
    ]
    run = Run().robot_speaking(True).reply_interrupted().robot_speaking(True)
    assert run.shown == [LISTENING, SPEAKING, INTERRUPTED, SPEAKING]


def test_a_turn_ends_with_its_dialogue_turn_or_when_a_later_turn_runs():
    # Turn 1 withdrawn (the user went on): no DialogueTurn, but turn 2 runs after it.
    run = Run().turn_progress(1, "agents").turn_progress(2, "agents").turn_finished(2)
    assert run.shown == [LISTENING, THINKING, LISTENING]
    assert run.turn_progress(1, "agent_done").shown[-1] == LISTENING  # late: not running again
    # Turn 4 waits behind 3: thinking until both are done.
    run = Run().turn_progress(3, "agents").turn_progress(4, "queued").turn_finished(3)
    assert run.shown == [LISTENING, THINKING]
    assert run.turn_progress(4, "agents").turn_finished(4).shown == [LISTENING, THINKING, LISTENING]


def test_the_live_view_keeps_its_own_copies_of_dialogue_constants():
    assert turn_state.STAGE_QUEUED == dialogue_turn.STAGE_QUEUED
    assert page_events.ERROR_INTERRUPTED == dialogue_turn.ERROR_INTERRUPTED


def test_every_state_has_its_colour_on_the_page():
    css = (WEB / "live_view.css").read_text()
    for state in STATES:
        assert f".state-{state.replace(' ', '-')} {{" in css, state


# --- what a page that connects gets ---------------------------------------------------------------
def _turn(turn_id, reply, error_code=0, reply_spoken=""):
    msg = SimpleNamespace(
        turn_id=turn_id,
        header=SimpleNamespace(stamp=SimpleNamespace(sec=1, nanosec=0)),
        user_text="hi",
        emotion=SimpleNamespace(dominant_label="neutral"),
        emotion_source="",
        agent_replies=[],
        agent_weights=[],
        aggregation_strategy="llm",
        reply=reply,
        reply_source="aggregator",
        success=error_code == 0,
        error_message="",
        error_code=error_code,
        reply_spoken=reply_spoken,
        agents_latency=1.0,
        aggregator_first_token_latency=1.0,
        first_sentence_latency=1.0,
        latency=2.0,
    )
    return page_events.turn_event(msg, now=1.0)


def _cut(reply, heard, reason="stop_service"):
    return page_events.interrupted_event(
        SimpleNamespace(reply=reply, heard=heard, reason=reason, replies_dropped=1), now=2.0
    )


def _replayed_turns(state):
    return {
        e["turn"]: (e["interrupted"], e["reply_spoken"])
        for e in state.replay()
        if e["type"] == "turn"
    }


def test_a_new_page_gets_the_turn_state_and_replies_marked_where_they_were_cut():
    state = LiveState()
    for event in TurnStateTracker().event(now=0.5), page_events.turn_state_event(SPEAKING, now=1.0):
        state.record(event)
    state.record(_turn(1, "Hello there. How are you?"))
    state.record(_turn(2, "Good to see you. Let us talk about your exam today."))
    state.record(_cut("Let us talk about your exam today.", "Let us talk"))
    state.record(_cut("Let us talk about your exam today.", "Let us"))  # marked once
    assert _replayed_turns(state) == {1: (False, ""), 2: (True, "Good to see you. Let us talk")}
    assert state.replay()[-1] == {"type": "turn_state", "t": 1.0, "state": SPEAKING}


@pytest.mark.parametrize(
    "cut",
    [
        _cut("", ""),  # only waiting replies were dropped: nothing heard was cut
        _cut("Hello there.", "Hello"),  # the running turn's sentence, though turn 1 said it too
    ],
)
def test_a_cut_in_no_finished_turn_marks_none(cut):
    state = LiveState()
    state.record(_turn(1, "Hello there."))
    state.record(
        page_events.progress_event(
            SimpleNamespace(
                turn_id=2,
                user_text="hi",
                stage="reply_partial",
                agent="",
                text="Hello there. Again.",
                agent_names=[],
                agent_weights=[],
                elapsed=0.5,
            ),
            now=1.5,
        )
    )
    state.record(cut)
    assert _replayed_turns(state) == {1: (False, "")}


def test_a_turn_cut_while_written_comes_marked_by_dialogue_node():
    event = _turn(3, "I see.", error_code=dialogue_turn.ERROR_INTERRUPTED, reply_spoken="I")
    assert (event["interrupted"], event["reply_spoken"], event["success"]) == (True, "I", False)
