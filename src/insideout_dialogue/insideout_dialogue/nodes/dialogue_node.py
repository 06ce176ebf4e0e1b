"""Dialogue node (placeholder until its issue lands: starts, reports that it does nothing yet)."""

import sys

from rclpy.node import Node

from insideout_common.ros.lifecycle import run_node


class DialogueNode(Node):
    def __init__(self):
        super().__init__("dialogue_node")
        self.get_logger().warning("dialogue_node is not implemented yet; it publishes nothing")


def main(args=None):
    sys.exit(run_node(DialogueNode, args))


if __name__ == "__main__":
    main()
