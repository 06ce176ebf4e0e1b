"""A Respond action server in its own process, for the interface round-trip test only.

It echoes the goal's utterance after sending one feedback per stage; an utterance starting with
"slow" keeps it in the agents stage for up to 20 s so the test can cancel it.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import rclpy  # noqa: E402
from rclpy.action import ActionServer, CancelResponse  # noqa: E402
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor  # noqa: E402

from insideout_msgs.action import Respond  # noqa: E402
from support.sample_messages import agent_reply  # noqa: E402


def execute(goal_handle):
    Feedback = Respond.Feedback
    for stage in (Feedback.STAGE_QUEUED, Feedback.STAGE_AGENTS):
        goal_handle.publish_feedback(Feedback(stage=stage))
    if goal_handle.request.utterance.startswith("slow"):
        deadline = time.monotonic() + 20.0
        while time.monotonic() < deadline:
            if goal_handle.is_cancel_requested:
                goal_handle.canceled()
                return Respond.Result(
                    success=False,
                    error_code=Respond.Result.ERROR_CANCELED,
                    error_message="canceled by client",
                )
            time.sleep(0.05)
    goal_handle.publish_feedback(
        Feedback(stage=Feedback.STAGE_AGENT_DONE, agent="fear", partial_text="Careful.")
    )
    goal_handle.publish_feedback(Feedback(stage=Feedback.STAGE_AGGREGATING))
    goal_handle.succeed()
    return Respond.Result(
        reply="echo: " + goal_handle.request.utterance,
        agent_replies=[agent_reply("fear")],
        emotion_used=goal_handle.request.emotion,
        success=True,
    )


def main():
    rclpy.init()
    node = rclpy.create_node("insideout_test_respond_server")
    ActionServer(
        node,
        Respond,
        "/test/respond",
        execute_callback=execute,
        cancel_callback=lambda _goal: CancelResponse.ACCEPT,
    )
    executor = MultiThreadedExecutor(num_threads=2)
    executor.add_node(node)
    try:
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    main()
