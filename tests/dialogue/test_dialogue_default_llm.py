"""The dialogue node with its embedded DEFAULT: llama-server with Qwen2.5-Coder-1.5B-Instruct.

Needs the model assembled by set-up (scripts/setup.d/40-llm-model.sh) and llama-server built
(30-llama-server.sh); `make test` runs both. One node for the module: the server loads 1.1 GB.
"""

import re
import time

import pytest
from support.ports import free_port
from support.ros_harness import NodeProcess, RosHarness

from dialogue.dialogue_test_support import AGENTS, DialogueIO, answered, face

pytestmark = [pytest.mark.dds, pytest.mark.slow]  # the real 1.5B model, over DDS

# What a listener must never hear (the prompt's own words; our guard has its own list).
SCAFFOLDING = re.compile(
    r"\b(weights?|agents?|voices?|thoughts?:|the person said)\b|[*#`]", re.IGNORECASE
)


@pytest.fixture(scope="module")
def default_dialogue():
    base_url = f"http://127.0.0.1:{free_port()}/v1"
    params = {
        "local_llm.base_url": base_url,
        "llm.base_url": base_url,
        "aggregator.timeout": 120.0,
        "local_llm.startup_timeout": 120.0,
    }
    for agent in AGENTS:
        params[f"agents.{agent}.timeout"] = 120.0
    node = NodeProcess("insideout_dialogue", "dialogue_node", params=params)
    ros = RosHarness("dialogue_default_llm_test")
    try:
        yield node, ros
    finally:
        ros.close()
        node.stop()


def test_the_default_model_gives_a_sensible_spoken_reply(default_dialogue):
    node, ros = default_dialogue
    assert node.wait_for_output("dialogue_node ready", 150.0), node.output()
    assert "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf" in node.output()
    assert node.wait_for_output("embedded LLM prompts warmed", 150.0), node.output()
    io = DialogueIO(ros)
    assert io.wait_connected(), node.output()
    io.emotions.publish(face("happiness", 0.9))
    time.sleep(0.5)
    io.say("I just got the job I interviewed for!")
    turn = io.turn_for("I just got the job I interviewed for!", 240.0)
    assert turn is not None, node.output()
    for reply in turn.agent_replies:
        # Every agent answered; one answer may be set aside by the content checks
        # (agent_panel.refuse_unusable: the user's own words read back), never lost to the wiring.
        assert answered(reply), (reply.agent, reply.error)
        assert reply.model == "qwen2.5-coder-1.5b"
        assert 0 < reply.first_token_latency <= reply.latency
    # The default strategy, leading_voice: the happy face's agent speaks first, before the other
    # agents are done, and the aggregator continues from it; not a fallback.
    # A continuation cut before a sentence the content checks refused is still this source.
    source = "the happiness agent, then the aggregator"
    assert turn.success and turn.reply_source.startswith(source), (
        turn.reply_source,
        turn.reply,
    )
    leader = next(r for r in turn.agent_replies if r.agent == "happiness")
    assert turn.reply.split()[:3] == leader.text.split()[:3], (turn.reply, leader.text)
    assert 0 < turn.first_sentence_latency < turn.agents_latency
    words = turn.reply.split()
    assert 3 <= len(words) <= 60, turn.reply
    assert not SCAFFOLDING.search(turn.reply), turn.reply
    # The other agents decode at once (one server slot each): every one's first token arrives
    # before any of them has finished. A server answering one request at a time cannot do that.
    others = [r for r in turn.agent_replies if r.agent != "happiness"]
    assert max(r.first_token_latency for r in others) < min(r.latency for r in others), [
        (r.first_token_latency, r.latency) for r in others
    ]
    print(
        f"default model turn: agents {turn.agents_latency:.1f} s, first sentence "
        f"{turn.first_sentence_latency:.1f} s; reply: {turn.reply!r}"
    )
