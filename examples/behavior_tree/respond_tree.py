#!/usr/bin/env python3
"""A behavior tree that asks InsideOut for a reply, with a time limit and a fallback.

    source scripts/env.sh
    python examples/behavior_tree/respond_tree.py --utterance "I passed my exam today!"

Tree (py_trees):

    [?] converse                      Selector: the first child that succeeds wins
     |-- [-] answer                   Sequence
     |    |-- (Timeout) respond in time       cancels the goal when the limit passes
     |    |    '-- RespondGoal /insideout/respond
     |    '-- report reply            logs the reply and each agent's answer
     '-- apologise                    runs when answering failed or timed out

Exit code 0 when the tree succeeded through the `answer` branch, 1 otherwise.
"""

import argparse
import sys
import time
from pathlib import Path

import py_trees
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.task import Future

sys.path.insert(0, str(Path(__file__).resolve().parent))
from respond_behaviour import RespondGoal  # noqa: E402


class Report(py_trees.behaviour.Behaviour):
    """Print what the RespondGoal behaviour got."""

    def __init__(self, name, respond: RespondGoal):
        super().__init__(name)
        self.respond = respond

    def update(self):
        result = self.respond.result
        # Every feedback received, in order (a tick only sees the latest one).
        stages = [f"{f.stage} {f.agent}".strip() for f in self.respond.feedback]
        print(f"[bt] feedback: {', '.join(stages)}")
        for agent in result.agent_replies:
            print(f"[bt] {agent.agent}: {agent.text if agent.ok else 'FAILED ' + agent.error}")
        print(
            f"[bt] reply (emotion {result.emotion_used.dominant_label or 'none'}): {result.reply}",
            flush=True,
        )
        return py_trees.common.Status.SUCCESS


class Apologise(py_trees.behaviour.Behaviour):
    def __init__(self, name, respond: RespondGoal):
        super().__init__(name)
        self.respond = respond

    def update(self):
        print(f"[bt] no reply: {self.respond.feedback_message}", flush=True)
        return py_trees.common.Status.SUCCESS


def build_tree(utterance: str, timeout: float):
    respond = RespondGoal("RespondGoal /insideout/respond", utterance)
    answer = py_trees.composites.Sequence(
        "answer",
        memory=True,
        children=[
            py_trees.decorators.Timeout("respond in time", child=respond, duration=timeout),
            Report("report reply", respond),
        ],
    )
    root = py_trees.composites.Selector(
        "converse", memory=True, children=[answer, Apologise("apologise", respond)]
    )
    return root, answer, respond


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Ask InsideOut for a reply from a behavior tree.")
    parser.add_argument("--utterance", default="Hello robot, how are you today?")
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="seconds before the tree gives up and cancels the goal",
    )
    parser.add_argument("--tick-period", type=float, default=0.1)
    args = parser.parse_args(argv)

    rclpy.init()
    node = rclpy.create_node("insideout_bt_example")
    # The tree ticks in a timer of a single-threaded executor, so the action client is only ever
    # used from the thread that also takes its responses: rclpy 7 (Jazzy) ignores a goal response
    # that arrives before send_goal_async, called from another thread, has filed the request
    # ("Ignoring unexpected goal response"), and the goal then never counts as accepted.
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    root, answer, respond = build_tree(args.utterance, args.timeout)
    tree = py_trees.trees.BehaviourTree(root)
    finished = Future()
    last = [None]

    def tick() -> None:
        tree.tick()
        if respond.feedback_message != last[0]:
            last[0] = respond.feedback_message
            print(f"[bt] {respond.name}: {respond.status.value} ({last[0]})", flush=True)
        if root.status in (py_trees.common.Status.SUCCESS, py_trees.common.Status.FAILURE):
            finished.set_result(root.status)

    try:
        try:
            tree.setup(node=node, timeout=15.0)
        except RuntimeError as error:
            print(f"[bt] cannot start: {error}", file=sys.stderr, flush=True)
            return 2
        print(py_trees.display.unicode_tree(root), flush=True)
        timer = node.create_timer(args.tick_period, tick)
        executor.spin_until_future_complete(finished)
        timer.cancel()
        # Let a cancel request sent on preemption reach the server before exiting.
        settle = time.monotonic() + 0.5
        while time.monotonic() < settle:
            executor.spin_once(timeout_sec=0.05)
        return 0 if answer.status == py_trees.common.Status.SUCCESS else 1
    finally:
        tree.shutdown()
        executor.shutdown(timeout_sec=1.0)
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    sys.exit(main())
