"""Send audio to a node over DDS the way audio_common's audio_capture does.

audio_capture publishes `audio` (AudioData) and `audio_stamped` (AudioDataStamped) with reliable
QoS, depth 10, a chunk every few tens of milliseconds, and `audio_info` (AudioInfo, volatile).
"""

import time

from builtin_interfaces.msg import Time
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

from audio_common_msgs.msg import AudioData, AudioDataStamped, AudioInfo
from insideout_common.ros.qos import LATCHED_STATE

# Deeper than audio_capture's 10 so sending faster than real time never overwrites a chunk the
# reader has not acknowledged yet.
AUDIO_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=1000,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.VOLATILE,
)
VOLATILE_INFO_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=10,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.VOLATILE,
)


class AudioCapturePublisher:
    def __init__(self, ros, stamped: bool = False, latched_info: bool = False):
        self.ros = ros
        self.stamped = stamped
        if stamped:
            self.audio = ros.publisher(AudioDataStamped, "/audio_stamped", AUDIO_QOS)
        else:
            self.audio = ros.publisher(AudioData, "/audio", AUDIO_QOS)
        self.info = ros.publisher(
            AudioInfo, "/audio_info", LATCHED_STATE if latched_info else VOLATILE_INFO_QOS
        )

    def wait_for_node(self, timeout: float = 20.0) -> None:
        assert self.ros.wait_for_subscribers(self.audio, 1, timeout), (
            "asr_node never subscribed to audio"
        )
        assert self.ros.wait_for_subscribers(self.info, 1, timeout), (
            "asr_node never subscribed to audio_info"
        )

    def send_info(self, channels=1, sample_rate=16000, sample_format="S16LE", coding_format="wave"):
        width = {"S16LE": 2, "F32LE": 4}.get(sample_format, 2)
        self.info.publish(
            AudioInfo(
                channels=channels,
                sample_rate=sample_rate,
                sample_format=sample_format,
                bitrate=sample_rate * channels * width * 8,
                coding_format=coding_format,
            )
        )
        time.sleep(0.3)  # info and audio travel on different topics: let the info land first

    def send(
        self,
        data: bytes,
        chunk_bytes: int = 640,
        bytes_per_second: float = 32000.0,
        speed: float = 4.0,
        start_stamp: float = 0.0,
    ) -> None:
        """Publish `data` in chunks, paced at `speed` times real time."""
        started = time.monotonic()
        for offset in range(0, len(data), chunk_bytes):
            chunk = data[offset : offset + chunk_bytes]
            position = offset / bytes_per_second
            if self.stamped:
                msg = AudioDataStamped()
                stamp = start_stamp + position
                msg.header.stamp = Time(sec=int(stamp), nanosec=int((stamp % 1) * 1e9))
                msg.audio.data = chunk
                self.audio.publish(msg)
            else:
                self.audio.publish(AudioData(data=chunk))
            delay = started + (position + len(chunk) / bytes_per_second) / speed - time.monotonic()
            if delay > 0:
                time.sleep(delay)
