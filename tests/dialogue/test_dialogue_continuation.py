"""A question the user finished after a pause, over DDS: asr_node publishes the first part's final,
then (as the user goes on) a partial reopening the utterance and a final of the whole of it under
the same utterance_id. dialogue_node answers once, the whole question, against a FAKE OpenAI
server whose agents take 1.5 s (the robot has not begun to answer when the user goes on)."""

import time

import pytest
from support.fake_openai_server import Behavior, FakeOpenAIServer

from dialogue.dialogue_test_support import AGENTS, DialogueIO, params_for
from insideout_msgs.msg import Transcript

FIRST = "I passed my exam today."
WHOLE = "I passed my exam today. What should I do tonight to celebrate?"


@pytest.fixture
def slow_agents():
    with FakeOpenAIServer(behaviors={f"agent-{a}": Behavior(delay=1.5) for a in AGENTS}) as server:
        yield server


def transcript(utterance_id, text, final):
    return Transcript(
        utterance_id=utterance_id, text=text, is_final=final, confidence=0.9, language="en"
    )


@pytest.mark.parametrize("reopened", [True, False], ids=["partial then final", "second final"])
def test_a_continued_utterance_gets_one_turn_answering_the_whole_question(
    spawn_node, ros, slow_agents, reopened
):
    node = spawn_node(
        "insideout_dialogue", "dialogue_node", params=params_for(slow_agents.base_url)
    )
    assert node.wait_for_output("dialogue_node ready", 30.0), node.output()
    io = DialogueIO(ros)
    assert io.wait_connected(), node.output()
    io.transcripts.publish(transcript(7, FIRST, True))
    time.sleep(0.4)  # the turn on the first part is running: its agents are thinking
    if reopened:
        io.transcripts.publish(transcript(7, FIRST, False))
        time.sleep(0.3)
    io.transcripts.publish(transcript(7, WHOLE, True))
    turn = io.turn_for(WHOLE, 20.0)
    assert turn is not None and turn.success, node.output()
    time.sleep(1.0)
    assert [t.user_text for t in io.turns.snapshot()] == [WHOLE]
    assert "dropped unanswered: the user went on speaking (utterance 7 continues" in node.output()
    # Every reply sentence belongs to the one turn that was answered.
    assert " ".join(r.data for r in io.replies.snapshot()) == turn.reply
    assert node.stop() == 0
