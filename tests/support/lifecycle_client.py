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
        return self.get.wait_for_service(timeout_sec=timeout) and self.change.wait_for_service(
            timeout_sec=timeout
        )

    def state(self) -> int:
        # get_state changes nothing, so it is asked again when unanswered: a service sees the
        # client's request before it has matched the client's reply reader, and a reply sent
        # then is dropped ("failed to send response (timeout)"), seen once in a soak run.
        for _attempt in range(4):
            future = self.get.call_async(GetState.Request())
            if wait_until(future.done, 4.0):
                return future.result().current_state.id
            self.get.remove_pending_request(future)
        raise AssertionError("get_state did not answer in 4 tries of 4 s")

    def transition(self, transition_id: int, timeout: float = 120.0) -> bool:
        future = self.change.call_async(
            ChangeState.Request(transition=Transition(id=transition_id))
        )
        assert wait_until(future.done, timeout), f"change_state {transition_id} did not answer"
        return future.result().success
