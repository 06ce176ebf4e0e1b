"""insideout_perception: pure-Python core in .core, ROS nodes in .nodes."""
