"""Pure-Python core: no rclpy imports here, so it is testable without ROS."""
