"""Run a node process: one shutdown path for every node, a clear exit on bad parameters."""

import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence

import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions

from insideout_common.ros.managed_node import AUTOSTART, ManagedNode
from insideout_common.ros.params import InvalidParameters, warn_about_unknown_overrides

EXIT_INVALID_PARAMETERS = 2


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def run_node(make_node: Callable[[], Node], args: Sequence[str] | None = None) -> int:
    """Create the node, bring it up, spin it until Ctrl-C / SIGTERM, then close it. Returns the
    exit code: 2 when its parameters are invalid or (with autostart) configure failed.

    Ctrl-C and SIGTERM end the spin with KeyboardInterrupt rather than through rclpy's handlers,
    which would shut the ROS context down first: this way `close()` runs with the context alive,
    so a node can still log and publish its last word (tts_node: robot_speaking false, else the
    ASR stays muted), and only then is the node destroyed and the context shut down.

    Every node spins one SingleThreadedExecutor; slow work (models, synthesis, the LLM) runs in
    the node's own worker threads, so callbacks stay short. rclpy 9.1's MultiThreadedExecutor
    spends most of a core in its wait loop and falls far behind its inputs (measured: a
    best-effort image subscriber took 32 of 370 frames under it and 303 under this one).
    """
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    try:
        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)
    except ValueError:  # not the main thread (a node built inside another program)
        pass
    node = None
    try:
        node = make_node()
        warn_about_unknown_overrides(node)
        if (
            isinstance(node, ManagedNode)
            and node.get_parameter(AUTOSTART.name).value
            and not node.start()
        ):
            raise InvalidParameters(node.configure_error or "could not be activated")
    except InvalidParameters as error:
        print(f"[FATAL] {error}", file=sys.stderr, flush=True)
        _finish(node)
        return EXIT_INVALID_PARAMETERS
    except KeyboardInterrupt:  # stopped while loading
        _finish(node)
        return 0
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    wake_on_signals(executor)
    try:
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except Exception:
        # A callback still running when another thread shut the context down (a bag player
        # that finished) meets destroyed handles: that is the shutdown, not a failure.
        if node.context.ok():
            raise
    finally:
        executor.shutdown(timeout_sec=1.0)
        _finish(node)
    return 0


def wake_on_signals(executor) -> None:
    """Python runs a signal handler only once the main thread is back in Python code, and an
    idle executor waits in C until something is ready: under use_sim_time with no /clock no
    timer ever is, so Ctrl-C went unnoticed. The interpreter's C-level handler writes each
    signal to a wake-up pipe at once; a thread reading it wakes the executor, whose spin then
    returns to Python and runs the handler."""
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    try:
        signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    except ValueError:  # not the main thread
        os.close(read_end)
        os.close(write_end)
        return

    def relay() -> None:
        while os.read(read_end, 64):
            executor.wake()

    threading.Thread(target=relay, name="signal-wakeup", daemon=True).start()


def _finish(node: Node | None) -> None:
    # Ctrl-C under `ros2 launch` reaches a node twice (the terminal's, then launch's own
    # SIGINT): the second must not interrupt the clean-up half way.
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    except ValueError:
        pass
    if node is not None:
        close = getattr(node, "close", None)
        if callable(close):
            close()
        node.destroy_node()
    rclpy.try_shutdown()
