"""Emotion-aware weighting over DDS: the face's EmotionState decides the agent weights."""

import time

import pytest
from std_srvs.srv import Trigger
from support.fake_openai_server import FakeOpenAIServer
from support.ros_harness import wait_until

from dialogue.dialogue_test_support import AGENTS, DialogueIO, face, params_for


@pytest.fixture
def fake_llm():
    with FakeOpenAIServer() as server:
        yield server


def _start(spawn_node, ros, params):
    node = spawn_node("insideout_dialogue", "dialogue_node", params=params)
    assert node.wait_for_output("dialogue_node ready", 30.0), node.output()
    io = DialogueIO(ros)
    assert io.wait_connected(), node.output()
    return node, io


def _aggregator_prompt(server, question):
    """The aggregator's whole chat for `question` (its system prompt holds answers and mood)."""
    requests = [r for r in server.requests_for("fake-ok") if question in r.messages[-1]["content"]]
    return "\n".join(m["content"] for m in requests[-1].messages) if requests else ""


def test_sad_face_gives_the_configured_sadness_weights(spawn_node, ros, fake_llm):
    node, io = _start(spawn_node, ros, params_for(fake_llm.base_url))
    io.emotions.publish(face("sadness"))
    time.sleep(0.5)
    io.say("I failed my exam.")
    turn = io.turn_for("I failed my exam.")
    assert turn is not None and turn.success, node.output()
    # config/insideout.yaml: emotion_to_agent.sadness:
    #   [sadness:0.5, happiness:0.3, fear:0.1, anger:0.1]
    expected = {"happiness": 0.3, "sadness": 0.5, "fear": 0.1, "anger": 0.1}
    assert list(turn.agent_weights) == pytest.approx([expected[a] for a in AGENTS], abs=1e-6)
    assert turn.emotion.dominant_label == "sadness" and turn.emotion.face_detected
    assert turn.aggregation_strategy == "weighted_llm"
    prompt = _aggregator_prompt(fake_llm, "I failed my exam.")
    # One answer per line, best-weighted last (fear and anger tie: in the order they finished);
    # no numbers or names to read back.
    position = {agent: prompt.index(f"\nagent-{agent} answer one.") for agent in AGENTS}
    assert max(position["fear"], position["anger"]) < position["happiness"] < position["sadness"], (
        prompt
    )
    assert "weight" not in prompt and "0.5" not in prompt
    assert "They look sad. Comfort them" in prompt


def test_configured_mapping_and_select_strategy(spawn_node, ros, fake_llm):
    node, io = _start(
        spawn_node,
        ros,
        params_for(
            fake_llm.base_url,
            **{
                "emotion_to_agent.anger": ["fear:0.8", "anger:0.2"],
                "aggregation.strategy": "select",
            },
        ),
    )
    io.emotions.publish(face("anger"))
    time.sleep(0.5)
    io.say("Someone scratched my car!")
    turn = io.turn_for("Someone scratched my car!")
    assert turn is not None and turn.success, node.output()
    assert list(turn.agent_weights) == pytest.approx([0.0, 0.0, 0.8, 0.2], abs=1e-6)
    # select: the top-weighted agent's answer, no aggregator call.
    assert turn.reply == "agent-fear answer one. agent-fear answer two."
    assert fake_llm.requests_for("fake-ok") == []
    assert io.replies.wait_for(lambda m: m.data == "agent-fear answer one.", 5.0) is not None


def test_stale_or_missing_face_counts_as_neutral(spawn_node, ros, fake_llm):
    node, io = _start(spawn_node, ros, params_for(fake_llm.base_url, **{"emotion.timeout": 0.5}))
    io.say("Hello, nobody sees me.")
    first = io.turn_for("Hello, nobody sees me.")
    assert first is not None, node.output()
    assert list(first.agent_weights) == pytest.approx([0.25] * 4)
    assert not first.emotion.face_detected and first.emotion.dominant_label == "neutral"
    io.emotions.publish(face("happiness"))
    time.sleep(1.5)  # older than emotion.timeout when the utterance arrives
    io.say("Still there?")
    stale = io.turn_for("Still there?")
    assert stale is not None and list(stale.agent_weights) == pytest.approx([0.25] * 4)
    assert "cannot see their face" in _aggregator_prompt(fake_llm, "Still there?")


def _reset_memory(ros):
    client = ros.node.create_client(Trigger, "/insideout/reset_memory")
    assert client.wait_for_service(timeout_sec=10.0)
    future = client.call_async(Trigger.Request())
    assert wait_until(future.done, 10.0)
    return future.result()


def _asked(server, model, text):
    return [
        r
        for r in server.requests_for(model)
        if r.messages[-1]["content"] == text or f'"{text}"' in r.messages[-1]["content"]
    ][0]


def test_memory_goes_to_the_aggregator_and_resets(spawn_node, ros, fake_llm):
    node, io = _start(spawn_node, ros, params_for(fake_llm.base_url))
    io.say("My name is Ada.")
    assert io.turn_for("My name is Ada.") is not None, node.output()
    io.say("What is my name?")
    assert io.turn_for("What is my name?") is not None
    earlier = {"role": "user", "content": "My name is Ada."}
    assert earlier in _asked(fake_llm, "fake-ok", "What is my name?").messages
    # By default the agents get only the utterance (memory.in_agent_prompts: false).
    assert len(_asked(fake_llm, "agent-sadness", "What is my name?").messages) == 2
    response = _reset_memory(ros)
    assert response.success and "forgot 2 turns" in response.message
    io.say("Who am I?")
    assert io.turn_for("Who am I?") is not None
    assert earlier not in _asked(fake_llm, "fake-ok", "Who am I?").messages


def test_memory_in_agent_prompts(spawn_node, ros, fake_llm):
    node, io = _start(
        spawn_node,
        ros,
        params_for(fake_llm.base_url, **{"memory.in_agent_prompts": True, "memory.max_turns": 1}),
    )
    for text in ("One.", "Two.", "Three."):
        io.say(text)
        assert io.turn_for(text) is not None, node.output()
    messages = _asked(fake_llm, "agent-sadness", "Three.").messages
    # System prompt, the one remembered turn (the last), the utterance.
    assert [m["content"] for m in messages[1:]] == [
        "Two.",
        "fake-ok answer one. fake-ok answer two.",
        "Three.",
    ]


def test_the_turn_follows_the_face_while_the_user_spoke_not_the_latest_one(
    spawn_node, ros, fake_llm
):
    """A smile through the question, then a frown as the transcript arrives: the turn is
    conditioned on the smile, and the DialogueTurn says where its emotion came from."""
    from builtin_interfaces.msg import Time

    from insideout_msgs.msg import Transcript

    node, io = _start(spawn_node, ros, params_for(fake_llm.base_url))
    now = time.time()

    def stamped(label, t):
        state = face(label)
        state.header.stamp = Time(sec=int(t), nanosec=int((t % 1) * 1e9))
        return state

    for i in range(20):  # happy from now-3.0 s to now-1.1 s, 10 states/s, as fer_node stamps them
        io.emotions.publish(stamped("happiness", now - 3.0 + i / 10))
    io.emotions.publish(stamped("anger", now - 0.5))  # after the user stopped speaking
    time.sleep(0.5)
    text = "I got the job!"
    io.transcripts.publish(
        Transcript(
            utterance_id=1,
            text=text,
            is_final=True,
            confidence=0.9,
            language="en",
            utterance_start=Time(sec=int(now - 3.0), nanosec=int(((now - 3.0) % 1) * 1e9)),
            utterance_end=Time(sec=int(now - 1.0), nanosec=int(((now - 1.0) % 1) * 1e9)),
        )
    )
    turn = io.turn_for(text)
    assert turn is not None and turn.success, node.output()
    assert turn.emotion.dominant_label == "happiness" and turn.emotion.face_detected
    assert turn.emotion_source.startswith("during the utterance: 20 EmotionStates over 2.0 s"), (
        turn.emotion_source
    )
    # Without utterance times (a bare transcript) the latest state counts, and the turn says so.
    io.say("And now?")
    turn = io.turn_for("And now?")
    assert (
        turn.emotion.dominant_label == "anger" and turn.emotion_source == "the latest EmotionState"
    )
