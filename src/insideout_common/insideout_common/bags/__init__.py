"""rosbag2 (MCAP) reading and writing without rosbag2 or rclpy, on top of the `rosbags` library.

`typestore` knows the ROS 2 standard messages plus InsideOut's and audio_common's (registered from
their .msg text), `writer`/`reader` write and read standard rosbag2 MCAP bags (ros2msg schemas, so
`ros2 bag play` and Foxglove open them), `timing` holds the pure playback arithmetic the player
node uses. Nothing here imports rclpy: the player and recorder executables do the ROS wiring.
"""

from insideout_common.bags.reader import BagMessage, BagReader, TopicInfo
from insideout_common.bags.typestore import build_typestore
from insideout_common.bags.writer import BagWriter

__all__ = ["BagMessage", "BagReader", "BagWriter", "TopicInfo", "build_typestore"]
