"""A py_trees behaviour that asks InsideOut for a reply through the /insideout/respond action.

It does what py_trees_ros' action-client behaviours do (py_trees_ros is not on PyPI, so this is
our own, on plain rclpy):
- initialise(): send the goal (the utterance, optionally an emotion override);
- update(): RUNNING while the goal runs, SUCCESS when the result says success, FAILURE on
  rejection, abort, cancellation or a failed result (the result's error_code is kept);
- terminate(): when the tree preempts the behaviour (a Timeout decorator, a higher-priority
  branch), cancel the goal so the dialogue node stops spending LLM time on it.
Feedback (stage, agent answers as they arrive) is kept for the tree to show.
"""

import py_trees
from action_msgs.msg import GoalStatus
from rclpy.action import ActionClient
from rclpy.node import Node

from insideout_msgs.action import Respond


class RespondGoal(py_trees.behaviour.Behaviour):
    """Call /insideout/respond with `utterance`; the outcome lands in `self.result`."""

    def __init__(
        self,
        name: str,
        utterance: str,
        action_name: str = "/insideout/respond",
        emotion_override=None,
        server_timeout: float = 10.0,
    ):
        super().__init__(name)
        self.utterance = utterance
        self.action_name = action_name
        self.emotion_override = emotion_override
        self.server_timeout = server_timeout
        self.client: ActionClient | None = None
        self.node: Node | None = None
        self.result: Respond.Result | None = None
        self.status_code = GoalStatus.STATUS_UNKNOWN
        self.feedback = []
        self._send_future = None
        self._result_future = None
        self._goal_handle = None

    def setup(self, **kwargs) -> None:
        """py_trees calls this once with the ROS node (tree.setup(node=...))."""
        self.node = kwargs["node"]
        self.client = ActionClient(self.node, Respond, self.action_name)
        if not self.client.wait_for_server(timeout_sec=self.server_timeout):
            raise RuntimeError(
                f"no action server on {self.action_name} after "
                f"{self.server_timeout} s: is dialogue_node running?"
            )

    def initialise(self) -> None:
        goal = Respond.Goal(utterance=self.utterance)
        if self.emotion_override is not None:
            goal.override_emotion, goal.emotion = True, self.emotion_override
        self.result, self.status_code, self.feedback = None, GoalStatus.STATUS_UNKNOWN, []
        self._goal_handle, self._result_future = None, None
        self._send_future = self.client.send_goal_async(goal, feedback_callback=self._on_feedback)
        self.feedback_message = "goal sent"

    def _on_feedback(self, message) -> None:
        feedback = message.feedback
        self.feedback.append(feedback)
        self.feedback_message = f"{feedback.stage} {feedback.agent}".strip()

    def update(self) -> py_trees.common.Status:
        if self._goal_handle is None:
            if not self._send_future.done():
                return py_trees.common.Status.RUNNING
            self._goal_handle = self._send_future.result()
            if not self._goal_handle.accepted:
                self.feedback_message = "goal rejected"
                return py_trees.common.Status.FAILURE
            self._result_future = self._goal_handle.get_result_async()
        if not self._result_future.done():
            return py_trees.common.Status.RUNNING
        response = self._result_future.result()
        self.status_code, self.result = response.status, response.result
        if self.status_code == GoalStatus.STATUS_SUCCEEDED and self.result.success:
            self.feedback_message = "reply received"
            return py_trees.common.Status.SUCCESS
        self.feedback_message = (
            f"failed: status {self.status_code}, error "
            f"{self.result.error_code} {self.result.error_message}"
        )
        return py_trees.common.Status.FAILURE

    def terminate(self, new_status: py_trees.common.Status) -> None:
        # INVALID means preempted by the tree: the goal may still be running on the server.
        running = self._result_future is None or not self._result_future.done()
        if new_status == py_trees.common.Status.INVALID and running:
            if self._goal_handle is not None and self._goal_handle.accepted:
                self._goal_handle.cancel_goal_async()
                self.feedback_message = "preempted: goal cancel requested"
            elif self._send_future is not None:
                # Accepted later: cancel it as soon as we learn its handle.
                self._send_future.add_done_callback(
                    lambda f: f.result().accepted and f.result().cancel_goal_async()
                )
                self.feedback_message = "preempted before acceptance: cancel on acceptance"
