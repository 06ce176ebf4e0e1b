"""Run a node process: clean shutdown on Ctrl-C / SIGTERM, clear exit on bad parameters."""

import signal
import sys
from typing import Callable, Optional, Sequence

import rclpy
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor, SingleThreadedExecutor
from rclpy.node import Node

from insideout_common.ros.params import InvalidParameters

EXIT_INVALID_PARAMETERS = 2


def run_node(make_node: Callable[[], Node], args: Optional[Sequence[str]] = None,
             threads: int = 2) -> int:
    """Create the node, spin it until shutdown, then release it. Returns the exit code.

    rclpy.init installs SIGINT and SIGTERM handlers that shut the context down, which ends the
    spin with ExternalShutdownException; `close()` on the node (when it has one) then stops its
    workers before the node is destroyed.

    threads=1 runs a SingleThreadedExecutor: it dispatches several times faster than the
    multi-threaded one (measured: a 2-thread MultiThreadedExecutor kept up with ~110 small
    messages/s here, losing the rest from a depth-100 reliable queue; the single-threaded one
    took all of 235/s), which matters for high-rate streams such as audio chunks.
    """
    rclpy.init(args=args)
    node = None
    try:
        node = make_node()
    except InvalidParameters as error:
        print(f"[FATAL] {error}", file=sys.stderr, flush=True)
        rclpy.try_shutdown()
        return EXIT_INVALID_PARAMETERS
    executor = SingleThreadedExecutor() if threads == 1 else MultiThreadedExecutor(num_threads=threads)
    executor.add_node(node)
    try:
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        # Ctrl-C under `ros2 launch` reaches a node twice (the terminal's, then launch's own
        # SIGINT): the second must not interrupt the clean-up half way.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        close = getattr(node, "close", None)
        if callable(close):
            close()
        executor.shutdown(timeout_sec=1.0)
        node.destroy_node()
        rclpy.try_shutdown()
    return 0
