"""Thin ROS nodes wiring topics, parameters and actions to the core."""
