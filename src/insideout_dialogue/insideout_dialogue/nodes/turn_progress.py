"""dialogue_node's TurnProgress output (insideout/dialogue/progress) and Respond feedback: one
call per stage of a turn, from the scheduler's loop thread."""

import time

from insideout_common import topic_names
from insideout_common.ros.qos import RELIABLE_EVENTS
from insideout_dialogue.core import dialogue_turn as turn_core
from insideout_dialogue.core.turn_scheduler import TurnRequest
from insideout_msgs.action import Respond
from insideout_msgs.msg import TurnProgress


class TurnProgressOutput:
    def __init__(self, node, agent_names):
        self._node = node
        self._agent_names = list(agent_names)
        self._publisher = node.output_publisher(
            TurnProgress, topic_names.DIALOGUE_PROGRESS, RELIABLE_EVENTS
        )

    def stage(self, request: TurnRequest, stage: str, agent: str, text: str) -> None:
        try:
            self._publish(request, stage, agent, text)
        except Exception as error:  # noqa: BLE001 - a view's topic must not fail the turn
            self._node.get_logger().debug(f"progress not published: {error}")
        goal_handle = request.context.goal_handle
        if goal_handle is None or stage == turn_core.STAGE_AGENT_PARTIAL:
            return  # partial agent text is for live views; feedback stays one per stage
        try:
            goal_handle.publish_feedback(
                Respond.Feedback(stage=stage, agent=agent, partial_text=text)
            )
        except Exception as error:  # goal already finished or node shutting down
            self._node.get_logger().debug(f"feedback not sent: {error}")

    def _publish(self, request: TurnRequest, stage: str, agent: str, text: str) -> None:
        msg = TurnProgress(
            turn_id=request.turn_id,
            user_text=request.utterance,
            stage=stage,
            agent=agent,
            text=text,
        )
        msg.header.stamp = self._node.get_clock().now().to_msg()
        result = request.result
        if result is not None and result.weights:
            msg.agent_names = self._agent_names
            msg.agent_weights = [float(w) for w in result.weights]
        if result is not None:
            msg.elapsed = max(0.0, time.monotonic() - result.started_at)  # both monotonic
        self._publisher.publish(msg)
