"""Barge-in, dialogue_node's side, over DDS: the test plays tts_node's part (a sentence's audio
starts, robot_speaking, a reply cut off) against a real dialogue_node and a FAKE LLM server.

A turn cut off while it still writes ends with ERROR_INTERRUPTED and publishes nothing more; a
Respond goal's result waits for its reply's speech; the next prompt holds only what was heard.
"""

import time

from action_msgs.msg import GoalStatus
from rclpy.action import ActionClient
from std_msgs.msg import Bool, String
from support.fake_openai_server import Behavior, FakeOpenAIServer
from support.ros_harness import wait_until

from dialogue.dialogue_test_support import DialogueIO, params_for
from insideout_common.ros.qos import RELIABLE_EVENTS, ROBOT_SPEAKING_STATE
from insideout_msgs.action import Respond
from insideout_msgs.msg import ReplyInterrupted

Result = Respond.Result
# The aggregator's model name in these tests; the agents answer at once (FakeOpenAIServer default).
AGGREGATOR = "aggregator-fake"
MARK = " — (interrupted by the user)"


class FakeTtsSpeaker:
    """Publishes what tts_node would: reply/spoken, robot_speaking (latched, with its QoS) and
    reply/interrupted."""

    def __init__(self, ros):
        self.ros = ros
        self.spoken = ros.publisher(String, "/insideout/reply/spoken", RELIABLE_EVENTS)
        self.speaking = ros.publisher(Bool, "/insideout/robot_speaking", ROBOT_SPEAKING_STATE)
        self.interrupted = ros.publisher(
            ReplyInterrupted, "/insideout/reply/interrupted", RELIABLE_EVENTS
        )

    def wait_connected(self, timeout: float = 20.0) -> bool:
        # robot_speaking: dialogue_node's latched and volatile subscriptions both match tts's QoS.
        return (
            self.ros.wait_for_subscribers(self.spoken, 1, timeout)
            and self.ros.wait_for_subscribers(self.speaking, 2, timeout)
            and self.ros.wait_for_subscribers(self.interrupted, 1, timeout)
        )

    def start(self, sentence: str) -> None:
        self.spoken.publish(String(data=sentence))
        self.speaking.publish(Bool(data=True))
        # Two topics are not ordered with each other: let this start arrive before what follows.
        time.sleep(0.2)

    def quiet(self) -> None:
        self.speaking.publish(Bool(data=False))

    def cut(self, reply: str, heard: str) -> None:
        self.interrupted.publish(
            ReplyInterrupted(reply=reply, heard=heard, reason="barge_in", replies_dropped=0)
        )


def _start(spawn_node, ros, server):
    node = spawn_node(
        "insideout_dialogue",
        "dialogue_node",
        params=params_for(
            server.base_url, aggregator_model=AGGREGATOR, **{"reply.first_clause_min_words": 0}
        ),
    )
    assert node.wait_for_output("dialogue_node ready", 30.0), node.output()
    io = DialogueIO(ros)
    speaker = FakeTtsSpeaker(ros)
    assert io.wait_connected() and speaker.wait_connected(), node.output()
    return node, io, speaker


def _assistant_messages(server, utterance):
    request = [
        r for r in server.requests_for(AGGREGATOR) if r.messages[-1]["content"] == utterance
    ][-1]
    return [m["content"] for m in request.messages if m["role"] == "assistant"]


STORY = (
    "That sounds like a lovely plan. I hope the weather stays kind to you. Take a warm coat along."
)


def test_a_turn_cut_off_while_writing_ends_interrupted_and_only_the_heard_part_is_remembered(
    spawn_node, ros
):
    # 5 words a second: the second sentence would follow the first about 1.6 s later.
    slow = Behavior(text=STORY, tokens_per_second=5, later_text="Sounds good to me.")
    with FakeOpenAIServer({AGGREGATOR: slow}) as server:
        node, io, speaker = _start(spawn_node, ros, server)
        io.say("I am going hiking tomorrow.")
        first = io.replies.wait_for(lambda m: m.data == "That sounds like a lovely plan.", 20.0)
        assert first is not None, node.output()
        speaker.start(first.data)
        speaker.cut(first.data, "That sounds like a")

        turn = io.turn_for("I am going hiking tomorrow.", 10.0)
        assert turn is not None, node.output()
        assert not turn.success and turn.error_code == Result.ERROR_INTERRUPTED
        assert turn.reply_spoken == "That sounds like a"
        assert turn.error_message == "interrupted by the user after 4 words"
        assert turn.reply == "That sounds like a lovely plan."
        time.sleep(2.0)  # the next sentence was due by now: nothing more is published
        assert [m.data for m in io.replies.snapshot()] == ["That sounds like a lovely plan."]
        assert node.wait_for_output("turn 1 interrupted by the user after 4 words", 5.0)

        speaker.quiet()
        io.say("What should I bring?")
        assert io.turn_for("What should I bring?", 20.0).success, node.output()
        assert _assistant_messages(server, "What should I bring?") == ["That sounds like a" + MARK]


def _send(client, goal):
    future = client.send_goal_async(goal)
    assert wait_until(future.done, 15.0), "goal was neither accepted nor rejected"
    assert future.result().accepted
    return future.result()


def test_a_goal_result_waits_for_its_reply_to_be_spoken_or_cut_off(spawn_node, ros):
    fast = Behavior(
        text="One two three. Four five six.", later_text="Seven eight nine. Ten eleven twelve."
    )
    with FakeOpenAIServer({AGGREGATOR: fast}) as server:
        node, io, speaker = _start(spawn_node, ros, server)
        client = ActionClient(ros.node, Respond, "/insideout/respond")
        assert client.wait_for_server(timeout_sec=30.0), node.output()
        # wait_for_server sees the server from this side only; its reply writer may not have
        # matched this client yet, and a goal response sent before that is lost (seen once in a
        # fresh-clone soak: "goal was neither accepted nor rejected").
        time.sleep(1.0)

        # Cut off while spoken, after the turn itself has finished.
        result = _send(client, Respond.Goal(utterance="Count for me.")).get_result_async()
        turn = io.turn_for("Count for me.", 20.0)
        assert turn is not None and turn.success, node.output()
        assert io.replies.wait_for(lambda m: m.data == "Four five six.", 5.0) is not None
        time.sleep(0.5)
        assert not result.done(), "the result came before the reply was spoken"
        speaker.start("One two three.")
        speaker.start("Four five six.")
        speaker.cut("Four five six.", "Four")
        assert wait_until(result.done, 10.0), node.output()
        response = result.result()
        assert response.status == GoalStatus.STATUS_ABORTED
        assert not response.result.success
        assert response.result.error_code == Result.ERROR_INTERRUPTED
        assert response.result.reply == "One two three. Four five six."
        assert response.result.reply_spoken == "One two three. Four"
        assert response.result.error_message == "interrupted by the user after 4 words"

        # Spoken completely: every sentence started, then the robot went quiet.
        result = _send(client, Respond.Goal(utterance="Go on.")).get_result_async()
        assert io.replies.wait_for(lambda m: m.data == "Ten eleven twelve.", 20.0) is not None
        speaker.start("Seven eight nine.")
        speaker.start("Ten eleven twelve.")
        time.sleep(0.5)
        assert not result.done(), "the result came while the last sentence played"
        speaker.quiet()
        assert wait_until(result.done, 10.0), node.output()
        response = result.result()
        assert response.status == GoalStatus.STATUS_SUCCEEDED, node.output()
        assert response.result.success
        assert response.result.reply_spoken == "Seven eight nine. Ten eleven twelve."
        # The first goal's turn is remembered as it was heard.
        assert _assistant_messages(server, "Go on.") == ["One two three. Four" + MARK]

        # Cancelled while its reply is spoken.
        handle = _send(client, Respond.Goal(utterance="Once more."))
        result = handle.get_result_async()
        assert io.turn_for("Once more.", 20.0) is not None
        time.sleep(0.3)
        assert not result.done()
        cancel = handle.cancel_goal_async()
        assert wait_until(cancel.done, 10.0) and len(cancel.result().goals_canceling) == 1
        assert wait_until(result.done, 10.0)
        assert result.result().status == GoalStatus.STATUS_CANCELED
        assert result.result().result.error_code == Result.ERROR_CANCELED
