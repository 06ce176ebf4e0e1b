"""Test support: ROS harness, node processes, sample messages."""
