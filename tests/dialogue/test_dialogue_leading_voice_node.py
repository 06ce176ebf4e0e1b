"""dialogue_node's default strategy, leading_voice, over DDS against the FAKE OpenAI-compatible
server: the voice the face calls for is published first, before the other agents are done,
then the aggregator's continuation; every agent is still in the DialogueTurn."""

import time

import pytest
from support.fake_openai_server import Behavior, FakeOpenAIServer

from dialogue.dialogue_test_support import AGENTS, DialogueIO, face, params_for

LEADER = "Oh no, I am so sorry about your exam."
CONTINUATION = "You can try again next time."


@pytest.fixture
def slow_others():
    """The sadness agent answers at once; the other three take 1.5 s; the aggregator continues."""
    behaviors = {
        f"agent-{agent}": Behavior(text=f"The {agent} thought is here.", delay=1.5)
        for agent in AGENTS
    }
    behaviors["agent-sadness"] = Behavior(text=LEADER)
    behaviors["aggregator"] = Behavior(text=CONTINUATION)
    with FakeOpenAIServer(behaviors) as server:
        yield server


def test_the_sad_faces_voice_is_spoken_first_and_the_aggregator_continues(
    spawn_node, ros, slow_others
):
    params = params_for(slow_others.base_url, aggregator_model="aggregator")
    del params["aggregation.strategy"]  # the node's default
    node = spawn_node("insideout_dialogue", "dialogue_node", params=params)
    assert node.wait_for_output("dialogue_node ready", 30.0), node.output()
    assert "strategy leading_voice" in node.output()
    io = DialogueIO(ros)
    assert io.wait_connected(), node.output()
    io.emotions.publish(face("sadness"))
    time.sleep(0.5)
    sent = time.monotonic()
    io.say("I failed my exam.")
    assert io.replies.wait_for(lambda m: m.data == LEADER, 10.0) is not None, node.output()
    leader_heard = time.monotonic() - sent
    turn = io.turn_for("I failed my exam.", 20.0)
    assert turn is not None and turn.success, node.output()
    assert turn.aggregation_strategy == "leading_voice"
    assert turn.reply == f"{LEADER} {CONTINUATION}"
    assert [m.data for m in io.replies.snapshot()] == [LEADER, CONTINUATION]
    assert turn.reply_source == "the sadness agent, then the aggregator"
    # Spoken before the others had answered (they take 1.5 s after the leader).
    assert leader_heard < 1.5 and turn.first_sentence_latency < turn.agents_latency
    assert [r.agent for r in turn.agent_replies] == AGENTS and all(r.ok for r in turn.agent_replies)
    # The aggregator got the leader's words as the start of its own turn, the others as thoughts.
    request = slow_others.requests_for("aggregator")[-1]
    assert request.messages[-1] == {"role": "assistant", "content": LEADER}
    assert "The happiness thought is here." in request.messages[0]["content"]
    assert LEADER not in request.messages[0]["content"]
    assert node.running()
