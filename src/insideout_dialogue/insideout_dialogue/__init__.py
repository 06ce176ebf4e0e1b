"""insideout_dialogue: pure-Python core in .core, ROS nodes in .nodes."""
