"""The client side of a managed node's lifecycle services, as `ros2 lifecycle` uses them."""

from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState, GetState

from support.ros_harness import wait_until


class Lifecycle:
    """The client side of a node's lifecycle services."""

    def __init__(self, ros, node_name):
        self.ros = ros
        self.get = ros.node.create_client(GetState, f"/{node_name}/get_state")
        self.change = ros.node.create_client(ChangeState, f"/{node_name}/change_state")

    def wait_for_services(self, timeout):
        return self.get.wait_for_service(timeout_sec=timeout) and \
            self.change.wait_for_service(timeout_sec=timeout)

    def state(self) -> int:
        future = self.get.call_async(GetState.Request())
        assert wait_until(future.done, 10.0), "get_state did not answer"
        return future.result().current_state.id

    def transition(self, transition_id: int, timeout: float = 120.0) -> bool:
        future = self.change.call_async(ChangeState.Request(transition=Transition(id=transition_id)))
        assert wait_until(future.done, timeout), f"change_state {transition_id} did not answer"
        return future.result().success
