"""Await, in a coroutine the rclpy executor runs (an action's execute callback), a
concurrent.futures.Future completed by another thread."""

import concurrent.futures

from rclpy.executors import Executor
from rclpy.task import Future


def executor_future(future: concurrent.futures.Future, executor: Executor) -> Future:
    """An rclpy Future done when `future` is. Completing it wakes the executor, which then
    resumes the awaiting coroutine at once instead of at its next unrelated wake-up."""
    done = Future(executor=executor)

    def resolve(_future) -> None:
        done.set_result(None)
        executor.wake()

    future.add_done_callback(resolve)
    return done
