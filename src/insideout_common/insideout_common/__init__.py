"""Helpers shared by the InsideOut packages.

`insideout_common.emotions` is pure Python; `insideout_common.ros` holds the small ROS wiring every
node uses (parameters, QoS, diagnostics, process lifecycle) and is the only part importing rclpy.
"""
