"""ROS wiring shared by the InsideOut nodes."""
