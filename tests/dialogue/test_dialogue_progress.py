"""TurnProgress over DDS: each stage of a turn as it happens, for live views. The agents stream
from a FAKE LLM server at 10 words/s, so their answers arrive in pieces (the 0.1 s throttle itself
is tested in tests/web_view/test_web_view_core.py)."""

import pytest
from support.fake_openai_server import FakeOpenAIServer

from dialogue.dialogue_test_support import (
    AGENTS,
    STREAMING_AGGREGATOR,
    DialogueIO,
    face,
    params_for,
    streaming_behaviors,
)
from insideout_common.ros.qos import RELIABLE_EVENTS
from insideout_msgs.msg import TurnProgress

REPLY = "That is lovely news. Enjoy your evening."


@pytest.fixture
def streaming_llm():
    with FakeOpenAIServer(behaviors=streaming_behaviors(REPLY)) as server:
        yield server


def test_progress_shows_weights_each_agent_streaming_and_the_reply(spawn_node, ros, streaming_llm):
    node = spawn_node(
        "insideout_dialogue",
        "dialogue_node",
        params=params_for(streaming_llm.base_url, aggregator_model=STREAMING_AGGREGATOR),
    )
    assert node.wait_for_output("dialogue_node ready", 30.0), node.output()
    progress = ros.collect(TurnProgress, "/insideout/dialogue/progress", RELIABLE_EVENTS)
    io = DialogueIO(ros)
    assert io.wait_connected(), node.output()
    assert ros.wait_for_publishers("/insideout/dialogue/progress", 1, 20)
    for _ in range(5):
        io.emotions.publish(face("sadness"))
    io.say("My cat is ill.")
    turn = io.turn_for("My cat is ill.", 30.0)
    assert turn is not None and turn.success, node.output()
    steps = [m for m in progress.snapshot() if m.turn_id == turn.turn_id]
    assert steps[0].stage == TurnProgress.STAGE_AGENTS and steps[0].user_text == "My cat is ill."
    for step in steps:
        assert list(step.agent_names) == AGENTS
        assert list(step.agent_weights) == pytest.approx(list(turn.agent_weights))
    for reply in turn.agent_replies:
        partials = [
            m
            for m in steps
            if m.stage == TurnProgress.STAGE_AGENT_PARTIAL and m.agent == reply.agent
        ]
        assert len(partials) >= 2, f"{reply.agent}: {[p.text for p in partials]}"
        texts = [p.text for p in partials]
        assert all(reply.text.startswith(t.strip()) for t in texts)  # it grows towards the answer
        assert texts == sorted(texts, key=len)
        done = [
            m for m in steps if m.stage == TurnProgress.STAGE_AGENT_DONE and m.agent == reply.agent
        ]
        assert [d.text for d in done] == [reply.text]
    replies = [m.text for m in steps if m.stage == TurnProgress.STAGE_REPLY_PARTIAL]
    assert replies[-1] == turn.reply == REPLY
    elapsed = [m.elapsed for m in steps]
    assert elapsed == sorted(elapsed) and 0 < elapsed[-1] <= turn.latency + 0.01
