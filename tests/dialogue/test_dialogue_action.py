"""The Respond action over DDS: goal, feedback and result; cancel mid-turn; queue and preempt."""

import pytest
from action_msgs.msg import GoalStatus
from rclpy.action import ActionClient
from support.fake_openai_server import Behavior, FakeOpenAIServer
from support.ros_harness import wait_until

from dialogue.dialogue_test_support import AGENTS, DialogueIO, face, params_for
from insideout_msgs.action import Respond

Result = Respond.Result
HANG = Behavior(kind="hang")


@pytest.fixture
def fake_llm():
    with FakeOpenAIServer(content_behaviors={"[hang]": HANG}) as server:
        yield server


def _start(spawn_node, ros, params):
    node = spawn_node("insideout_dialogue", "dialogue_node", params=params)
    assert node.wait_for_output("dialogue_node ready", 30.0), node.output()
    client = ActionClient(ros.node, Respond, "/insideout/respond")
    assert client.wait_for_server(timeout_sec=30.0), node.output()
    io = DialogueIO(ros)
    assert io.wait_connected(), node.output()
    return node, client, io


def _send(client, goal, feedback):
    future = client.send_goal_async(goal, feedback_callback=lambda f: feedback.append(f.feedback))
    assert wait_until(future.done, 15.0), "goal was neither accepted nor rejected"
    handle = future.result()
    assert handle.accepted
    return handle


def _result(handle, timeout=20.0):
    future = handle.get_result_async()
    assert wait_until(future.done, timeout), "no result"
    return future.result()


def test_goal_feedback_and_result(spawn_node, ros, fake_llm):
    node, client, io = _start(spawn_node, ros, params_for(fake_llm.base_url))
    feedback = []
    sad = face("sadness")
    handle = _send(
        client,
        Respond.Goal(utterance="My cat is ill.", override_emotion=True, emotion=sad),
        feedback,
    )
    # The feedback topic and the result service are not ordered, and rclpy's client drops feedback
    # that arrives after the result: watch the feedback come in first, then ask for the result.
    # (Behaviour trees should do the same: treat feedback as progress, and the result as the
    # answer.)
    full_reply = "fake-ok answer one. fake-ok answer two."
    assert wait_until(
        lambda: any(f.stage == "reply_partial" and f.partial_text == full_reply for f in feedback),
        20.0,
    ), node.output()
    response = _result(handle)
    assert response.status == GoalStatus.STATUS_SUCCEEDED, node.output()
    result = response.result
    assert result.success and result.error_code == Result.ERROR_NONE
    assert result.reply == "fake-ok answer one. fake-ok answer two."
    assert [r.agent for r in result.agent_replies] == AGENTS and all(
        r.ok for r in result.agent_replies
    )
    assert result.emotion_used.dominant_label == "sadness" and result.emotion_used.face_detected
    stages = [f.stage for f in feedback]
    assert stages[0] == "agents"
    assert sorted(f.agent for f in feedback if f.stage == "agent_done") == sorted(AGENTS)
    done = {f.agent: f.partial_text for f in feedback if f.stage == "agent_done"}
    assert done["fear"] == "agent-fear answer one. agent-fear answer two."
    assert stages.index("aggregating") > max(i for i, s in enumerate(stages) if s == "agent_done")
    partials = [f.partial_text for f in feedback if f.stage == "reply_partial"]
    assert partials == ["fake-ok answer one.", "fake-ok answer one. fake-ok answer two."]
    # The goal's turn is logged on /insideout/dialogue and spoken on /insideout/reply.
    turn = io.turn_for("My cat is ill.", 5.0)
    assert turn is not None and turn.success
    assert io.replies.wait_for(lambda m: m.data == "fake-ok answer two.", 5.0) is not None


def test_cancel_mid_turn_stops_the_requests(spawn_node, ros, fake_llm):
    node, client, io = _start(spawn_node, ros, params_for(fake_llm.base_url, timeout=60.0))
    feedback = []
    handle = _send(client, Respond.Goal(utterance="[hang] tell me a long story"), feedback)
    assert wait_until(lambda: len(fake_llm.requests) == len(AGENTS), 10.0), node.output()
    assert wait_until(lambda: any(f.stage == "agents" for f in feedback), 10.0)
    cancel = handle.cancel_goal_async()
    assert wait_until(cancel.done, 10.0)
    assert len(cancel.result().goals_canceling) == 1
    response = _result(handle, 10.0)
    assert response.status == GoalStatus.STATUS_CANCELED, node.output()
    assert response.result.error_code == Result.ERROR_CANCELED and not response.result.success
    # Every in-flight HTTP request was closed by the node, well before its 60 s timeout.
    assert wait_until(lambda: all(r.client_disconnected for r in fake_llm.requests), 5.0)
    turn = io.turn_for("[hang] tell me a long story", 5.0)
    assert turn is not None and turn.error_code == Result.ERROR_CANCELED
    # Nothing was spoken for a cancelled turn.
    assert io.replies.snapshot() == []
    # The node serves the next goal normally.
    response = _result(_send(client, Respond.Goal(utterance="Still there?"), []))
    assert response.status == GoalStatus.STATUS_SUCCEEDED


def test_queue_policy_runs_goals_in_order(spawn_node, ros):
    slow = {f"agent-{a}": Behavior(delay=0.8) for a in AGENTS}
    with FakeOpenAIServer(slow) as server:
        node, client, io = _start(spawn_node, ros, params_for(server.base_url))
        first_feedback, second_feedback = [], []
        first = _send(client, Respond.Goal(utterance="first"), first_feedback)
        assert wait_until(lambda: len(server.requests) >= len(AGENTS), 10.0)
        second = _send(client, Respond.Goal(utterance="second"), second_feedback)
        assert wait_until(lambda: second_feedback, 10.0)  # before its result: see above
        assert _result(first).status == GoalStatus.STATUS_SUCCEEDED
        assert _result(second).status == GoalStatus.STATUS_SUCCEEDED
        assert second_feedback[0].stage == "queued"
        turns = io.turns.wait_for_count(2, 5.0)
        assert [t.user_text for t in turns] == ["first", "second"]


def test_preempt_policy_aborts_the_running_goal(spawn_node, ros, fake_llm):
    node, client, io = _start(
        spawn_node,
        ros,
        params_for(fake_llm.base_url, timeout=60.0, **{"action.on_new_goal": "preempt"}),
    )
    first = _send(client, Respond.Goal(utterance="[hang] first"), [])
    assert wait_until(lambda: len(fake_llm.requests) >= len(AGENTS), 10.0), node.output()
    second = _send(client, Respond.Goal(utterance="second"), [])
    response = _result(first, 10.0)
    assert response.status == GoalStatus.STATUS_ABORTED
    assert response.result.error_code == Result.ERROR_PREEMPTED
    assert _result(second).status == GoalStatus.STATUS_SUCCEEDED
    hung = [r for r in fake_llm.requests if "[hang]" in r.messages[-1]["content"]]
    assert wait_until(lambda: all(r.client_disconnected for r in hung), 5.0)


def test_empty_goal_is_invalid(spawn_node, ros, fake_llm):
    node, client, io = _start(spawn_node, ros, params_for(fake_llm.base_url))
    response = _result(_send(client, Respond.Goal(utterance="   "), []))
    assert response.status == GoalStatus.STATUS_ABORTED
    assert response.result.error_code == Result.ERROR_INVALID_GOAL
    assert fake_llm.requests == []


def test_goal_with_unusable_emotion_is_invalid(spawn_node, ros, fake_llm):
    node, client, io = _start(spawn_node, ros, params_for(fake_llm.base_url))
    broken = face("sadness")
    broken.scores = [float("nan")] * len(broken.labels)
    response = _result(
        _send(client, Respond.Goal(utterance="Hi", override_emotion=True, emotion=broken), [])
    )
    assert response.status == GoalStatus.STATUS_ABORTED
    assert response.result.error_code == Result.ERROR_INVALID_GOAL
    assert "sadness=nan" in response.result.error_message
