"""asr_node's REP-155 (ROS4HRI) output: one voice (the microphone's) on /humans/voices/tracked,
with /humans/voices/<id>/speech (hri_msgs/LiveSpeech) and /is_speaking (std_msgs/Bool).

The voice is tracked while the node is active; its per-voice publishers live exactly as long.
"""

import threading

from std_msgs.msg import Bool

from hri_msgs.msg import IdsList, LiveSpeech
from insideout_common import topic_names
from insideout_common.ros.qos import HRI_STREAM
from insideout_perception.core import rep155

# /tracked is volatile (as libhri expects): repeat it so a late subscriber learns the voice.
TRACKED_PERIOD_S = 1.0


class Rep155VoicePublisher:
    """Thread-safe: the recogniser's worker reports speech while the executor starts and stops."""

    def __init__(self, node, voice_id: str, language: str):
        self._node = node
        self._lock = threading.Lock()
        self.voice_id = voice_id
        self._locale = rep155.locale_of(language)
        # hri_msgs before 2.2 call the locale `language`.
        self._locale_field = "locale" if hasattr(LiveSpeech(), "locale") else "language"
        self._tracked_pub = node.create_publisher(
            IdsList, topic_names.HUMANS_VOICES_TRACKED, HRI_STREAM
        )
        self._speech_pub = self._speaking_pub = None
        self._timer = node.create_timer(TRACKED_PERIOD_S, self._publish_tracked)

    @property
    def tracked(self) -> bool:
        return self._speech_pub is not None

    def start(self) -> None:
        """The voice appears (the node is active)."""
        with self._lock:
            self._open()
        self._publish_tracked()

    def _open(self) -> None:
        if not self.tracked:
            self._speech_pub = self._node.create_publisher(
                LiveSpeech, topic_names.humans_voice_topic(self.voice_id, "speech"), HRI_STREAM
            )
            self._speaking_pub = self._node.create_publisher(
                Bool, topic_names.humans_voice_topic(self.voice_id, "is_speaking"), HRI_STREAM
            )

    def stop(self) -> None:
        """The voice goes (the node is paused or stopping)."""
        with self._lock:
            if self.tracked:
                self._speaking_pub.publish(Bool(data=False))
                self._node.destroy_publisher(self._speech_pub)
                self._node.destroy_publisher(self._speaking_pub)
                self._speech_pub = self._speaking_pub = None
        self._publish_tracked()

    def close(self) -> None:
        self.stop()
        self._node.destroy_timer(self._timer)
        self._node.destroy_publisher(self._tracked_pub)

    def speaking(self, speaking: bool) -> None:
        with self._lock:
            if self.tracked:
                self._speaking_pub.publish(Bool(data=speaking))

    def speech(self, stamp, text: str, is_final: bool, confidence: float) -> None:
        value = rep155.live_speech_of(text, is_final, confidence)
        msg = LiveSpeech(
            incremental=value.incremental, final=value.final, confidence=value.confidence
        )
        msg.header.stamp = stamp
        setattr(msg, self._locale_field, self._locale)
        with self._lock:
            if self.tracked:
                self._speech_pub.publish(msg)

    def _publish_tracked(self) -> None:
        with self._lock:
            msg = IdsList(ids=[self.voice_id] if self.tracked else [])
            msg.header.stamp = self._node.get_clock().now().to_msg()
            self._tracked_pub.publish(msg)
