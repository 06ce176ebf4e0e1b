"""The dialogue node against the REAL embedded LLM: llama-server with SmolLM2-135M (the small
preset: these tests are about wiring and supervision; test_dialogue_default_llm.py asks the
default).

The node starts the server itself (the endpoint is its local default and nothing listens there),
answers a final transcript with four real agent answers and a real aggregated reply, and stops the
server on shutdown. One node (and so one server start) for this module.
"""

import os
import re
import signal
import time

import pytest
from diagnostic_msgs.msg import DiagnosticArray
from support.ports import free_port
from support.ros_harness import NodeProcess, RosHarness

from dialogue.dialogue_test_support import AGENTS, DialogueIO, answered, face
from insideout_dialogue.core.local_llm_server import is_listening

pytestmark = [pytest.mark.dds, pytest.mark.slow]  # a real LLM server, over DDS


@pytest.fixture(scope="module")
def real_dialogue():
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    params = {
        "local_llm.base_url": base_url,
        "local_llm.preset": "smollm2-135m",
        "llm.base_url": base_url,
        "aggregator.max_tokens": 48,
        "aggregator.timeout": 90.0,
    }
    for agent in AGENTS:
        params[f"agents.{agent}.max_tokens"] = 48
        params[f"agents.{agent}.timeout"] = 90.0
    node = NodeProcess("insideout_dialogue", "dialogue_node", params=params)
    ros = RosHarness("dialogue_real_llm_test")
    try:
        yield node, ros, port
    finally:
        ros.close()
        node.stop()


def test_real_turn_with_smollm2(real_dialogue):
    node, ros, port = real_dialogue
    assert node.wait_for_output("dialogue_node ready", 120.0), node.output()
    assert "embedded LLM server answers" in node.output()
    assert is_listening("127.0.0.1", port)
    io = DialogueIO(ros)
    assert io.wait_connected(), node.output()
    io.emotions.publish(face("happiness", 0.9))
    time.sleep(0.5)  # the face first: the two topics are not ordered with each other
    io.say("I just adopted a puppy!")
    turn = io.turn_for("I just adopted a puppy!", 150.0)
    assert turn is not None, node.output()
    assert [r.agent for r in turn.agent_replies] == AGENTS
    for reply in turn.agent_replies:
        # The 135M model answered every agent; one of its answers may be set aside by the content
        # checks (agent_panel.refuse_unusable: "As an AI, ..."), never lost to the wiring.
        assert answered(reply), (reply.agent, reply.error)
        assert reply.model == "smollm2-135m"
    assert any(reply.ok for reply in turn.agent_replies)
    assert turn.success and turn.reply.strip(), turn.error_message
    assert turn.emotion.dominant_label == "happiness"
    spoken = io.replies.wait_for_count(1, 10.0)
    assert spoken and all(m.data.strip() for m in spoken)
    # Sentence by sentence, the spoken pieces make up the reply.
    assert " ".join(m.data for m in spoken).split() == turn.reply.split()
    print(f"real turn: {turn.latency:.1f} s; reply: {turn.reply!r}")


def test_a_killed_embedded_server_is_restarted_and_answers_again(real_dialogue):
    node, ros, port = real_dialogue
    assert node.wait_for_output("dialogue_node ready", 120.0), node.output()
    pid = int(
        re.search(r"embedded LLM server answers after .* \(pid (\d+)\)", node.output()).group(1)
    )
    diagnostics = ros.collect(DiagnosticArray, "/diagnostics", 10)
    os.killpg(pid, signal.SIGKILL)  # as the OOM killer would
    assert node.wait_for_output("embedded LLM server exited with code -9; restarting it", 10), (
        node.output()
    )
    assert node.wait_for_output("embedded LLM server restarted", 120.0), node.output()
    assert node.running()

    def restarted(array):
        values = [
            {kv.key: kv.value for kv in s.values} for s in array.status if "dialogue_node" in s.name
        ]
        return any(
            v.get("local_llm") == "running" and v.get("local_llm_restarts") == "1" for v in values
        )

    assert diagnostics.wait_for(restarted, 10) is not None, diagnostics.snapshot()[-1:]
    io = DialogueIO(ros)
    assert io.wait_connected(), node.output()
    io.say("Are you back?")
    turn = io.turn_for("Are you back?", 150.0)
    assert turn is not None, node.output()
    # Every agent reached the restarted server. SmolLM2-135M's words may still fail as answers
    # (an empty answer, a recital of its prompt): not this test's business.
    unreached = [
        f"{r.agent}: {r.error}"
        for r in turn.agent_replies
        if not r.ok and r.error.startswith(("connection", "timeout", "http", "incomplete"))
    ]
    assert turn.success and not unreached, (turn.error_message, unreached)


def test_embedded_server_stops_with_the_node(real_dialogue):
    node, ros, port = real_dialogue
    assert node.wait_for_output("dialogue_node ready", 120.0), node.output()
    assert node.stop() == 0, node.output()
    assert "embedded LLM server stopped" in node.output()
    assert not is_listening("127.0.0.1", port)
