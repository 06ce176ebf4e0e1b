"""Publish every sample message on its test topic, every 0.2 s, until killed (runs as its own
process so the round trip crosses DDS between processes)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import rclpy  # noqa: E402
from rclpy.executors import ExternalShutdownException  # noqa: E402

from support.sample_messages import TOPIC_SAMPLES  # noqa: E402


def main():
    rclpy.init()
    node = rclpy.create_node("insideout_sample_publisher")
    publishers = [
        (node.create_publisher(msg_type, topic, 10), factory)
        for topic, (msg_type, factory) in TOPIC_SAMPLES.items()
    ]

    def publish_all():
        for publisher, factory in publishers:
            publisher.publish(factory())

    node.create_timer(0.2, publish_all)
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    main()
