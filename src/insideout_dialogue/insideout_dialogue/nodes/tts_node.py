"""Text-to-speech node (placeholder until its issue lands: starts, reports that it does nothing yet)."""

import sys

from rclpy.node import Node

from insideout_common.ros.lifecycle import run_node


class TtsNode(Node):
    def __init__(self):
        super().__init__("tts_node")
        self.get_logger().warning("tts_node is not implemented yet; it publishes nothing")


def main(args=None):
    sys.exit(run_node(TtsNode, args))


if __name__ == "__main__":
    main()
