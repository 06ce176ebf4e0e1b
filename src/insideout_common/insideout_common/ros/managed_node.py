"""The pipeline nodes as ROS 2 managed (lifecycle) nodes, one shape for all four.

    unconfigured --configure--> inactive --activate--> active
                 <--cleanup---          <--deactivate--

A subclass says what each step does:
- `configure_node()`: load models, start workers and the embedded server, create publishers
  (with `create_lifecycle_publisher`, so nothing goes out while inactive). Raise
  `InvalidParameters` to fail the transition cleanly: the node logs why and stays unconfigured.
- `activate_node()`: open the inputs with `input_subscription()` (and publish initial state).
- `deactivate_node()`: pause. The inputs are destroyed after it returns, so a deactivated FER node
  receives no frames at all (no CPU spent on them), which is how a behavior tree mutes perception
  without stopping a process.
- `release()`: free what configure made; called by cleanup, shutdown and on exit, possibly
  more than once or after a failed configure, so it checks what exists.

With `autostart` (the default) the node configures and activates itself as it starts, so
`ros2 run`, the launch file and `make demo` need nothing else; with `autostart: false` it waits
unconfigured for `ros2 lifecycle set <node> configure` (or a lifecycle manager).
"""

from collections.abc import Callable

from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.subscription import Subscription

from insideout_common.ros.diagnostics import OK, DiagnosticsPublisher, Report
from insideout_common.ros.params import InvalidParameters, ParamSpec

AUTOSTART = ParamSpec(
    "autostart",
    True,
    "Configure and activate at start. false: wait unconfigured for `ros2 lifecycle set` (e.g. from"
    " a lifecycle manager); deactivate pauses the node's inputs and outputs.",
)


class ManagedNode(LifecycleNode):
    def __init__(self, node_name: str, **kwargs):
        super().__init__(node_name, **kwargs)
        self.configure_error: str | None = None
        self._open_inputs: list = []
        self._configured_outputs: list = []
        self._configured_timers: list = []
        self._opened = False  # activate_node ran and _pause did not yet
        # (Not named _timers etc.: rclpy.node.Node keeps its own entity lists under those names.)

    # --- what subclasses provide -------------------------------------------------------------
    def configure_node(self) -> None:
        raise NotImplementedError

    def activate_node(self) -> None:
        pass

    def deactivate_node(self) -> None:
        pass

    def release(self) -> None:
        pass

    # --- helpers -------------------------------------------------------------------------------
    def input_subscription(self, *args, **kwargs) -> Subscription:
        """A subscription that exists only while the node is active."""
        subscription = self.create_subscription(*args, **kwargs)
        self._open_inputs.append(subscription)
        return subscription

    def output_publisher(self, *args, **kwargs):
        """A publisher made at configure, silent unless active, destroyed at cleanup."""
        publisher = self.create_lifecycle_publisher(*args, **kwargs)
        self._configured_outputs.append(publisher)
        return publisher

    def configured_timer(self, *args, **kwargs):
        """A timer made at configure and destroyed at cleanup."""
        timer = self.create_timer(*args, **kwargs)
        self._configured_timers.append(timer)
        return timer

    def publish_diagnostics(
        self, report: Callable[[], Report], period: float, hardware_id: str = "insideout"
    ) -> None:
        """/diagnostics in every state (made in the constructor): the node's own report once
        configured, with its lifecycle state."""

        def with_state() -> Report:
            state = self.lifecycle_state
            if state not in ("inactive", "active"):  # nothing configured to report on
                return OK, state, {"lifecycle_state": state}
            level, message, values = report()
            if state != "active":
                message = f"{state}: {message}"
            return level, message, {"lifecycle_state": state, **values}

        self.diagnostics = DiagnosticsPublisher(self, with_state, period, hardware_id)

    @property
    def lifecycle_state(self) -> str:
        return self._state_machine.current_state[1]

    @property
    def active(self) -> bool:
        """Inputs open: between activate and deactivate (also while either transition runs)."""
        return self._opened

    def start(self) -> bool:
        """configure then activate (autostart); False, with configure_error set, on failure."""
        if self.trigger_configure() != TransitionCallbackReturn.SUCCESS:
            return False
        return self.trigger_activate() == TransitionCallbackReturn.SUCCESS

    def close(self) -> None:
        """Pause and release, whatever state the node is in (run_node calls it on exit, with the
        context still alive, so a node can publish its last word)."""
        if self.active:
            self._pause()
        self.release()

    # --- transitions ---------------------------------------------------------------------------
    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.configure_error = None
        try:
            self.configure_node()
        except InvalidParameters as error:
            self.configure_error = str(error)
            self.get_logger().error(f"configure failed: {error}")
            self._clean_up()
            return TransitionCallbackReturn.FAILURE
        return super().on_configure(state)

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        result = super().on_activate(state)  # enables the lifecycle publishers first
        self._opened = True
        self.activate_node()
        return result

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._pause()
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        result = super().on_cleanup(state)
        self._clean_up()
        return result

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        if self._opened:
            self._pause()
        result = super().on_shutdown(state)
        self._clean_up()
        return result

    def _clean_up(self) -> None:
        self.release()
        for timer in self._configured_timers:
            self.destroy_timer(timer)
        for publisher in self._configured_outputs:
            self.destroy_lifecycle_publisher(publisher)
        self._configured_timers.clear()
        self._configured_outputs.clear()

    def _pause(self) -> None:
        self._opened = False
        self.deactivate_node()
        for subscription in self._open_inputs:
            self.destroy_subscription(subscription)
        self._open_inputs.clear()
