"""The Respond action between two processes: a goal with feedback and result, and a cancel."""

import pytest
from action_msgs.msg import GoalStatus
from rclpy.action import ActionClient
from support.ros_harness import wait_until
from support.sample_messages import emotion_state
from support.script_process import ScriptProcess

from insideout_msgs.action import Respond


@pytest.fixture
def respond_server():
    process = ScriptProcess("respond_action_server.py")
    yield process
    process.stop()


def _send(client, goal, feedback):
    future = client.send_goal_async(goal, feedback_callback=lambda f: feedback.append(f.feedback))
    assert wait_until(future.done, 15.0), "goal was neither accepted nor rejected"
    handle = future.result()
    assert handle.accepted
    return handle


def test_goal_round_trip_with_feedback(ros, respond_server):
    client = ActionClient(ros.node, Respond, "/test/respond")
    assert client.wait_for_server(timeout_sec=30.0), respond_server.stop()
    feedback = []
    goal = Respond.Goal(utterance="hello there", override_emotion=True, emotion=emotion_state())
    handle = _send(client, goal, feedback)
    result_future = handle.get_result_async()
    assert wait_until(result_future.done, 15.0)
    response = result_future.result()
    assert response.status == GoalStatus.STATUS_SUCCEEDED
    assert response.result.reply == "echo: hello there"
    assert response.result.success
    assert response.result.emotion_used == emotion_state()
    assert response.result.agent_replies[0].agent == "fear"
    assert wait_until(lambda: len(feedback) >= 4, 5.0)
    assert [f.stage for f in feedback] == ["queued", "agents", "agent_done", "aggregating"]
    assert feedback[2].partial_text == "Careful."


def test_cancelled_goal(ros, respond_server):
    client = ActionClient(ros.node, Respond, "/test/respond")
    assert client.wait_for_server(timeout_sec=30.0), respond_server.stop()
    feedback = []
    handle = _send(client, Respond.Goal(utterance="slow question"), feedback)
    assert wait_until(lambda: any(f.stage == "agents" for f in feedback), 10.0)
    cancel_future = handle.cancel_goal_async()
    assert wait_until(cancel_future.done, 10.0)
    assert len(cancel_future.result().goals_canceling) == 1
    result_future = handle.get_result_async()
    assert wait_until(result_future.done, 10.0)
    response = result_future.result()
    assert response.status == GoalStatus.STATUS_CANCELED
    assert response.result.error_code == Respond.Result.ERROR_CANCELED
