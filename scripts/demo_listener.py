"""What `make demo` hears over DDS: the pipeline's outputs, with monotonic receive times and the
DDS source timestamps the latency is taken from; and what the bag says it should hear."""

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ros_processes import RosHarness, sent_at, with_info


@dataclass
class Observations:
    """Everything received, with monotonic receive times."""

    t0: float | None = None  # first camera frame seen
    emotions: list[tuple[float, object]] = field(default_factory=list)
    transcripts: list[tuple[float, object]] = field(default_factory=list)
    turns: list[tuple[float, object]] = field(default_factory=list)
    replies: list[tuple[float, str]] = field(default_factory=list)
    speaker_chunks: list[tuple[float, bytes]] = field(default_factory=list)
    speaker_info: object | None = None
    speaking: list[tuple[float, bool]] = field(default_factory=list)
    audio_bytes: int = 0
    speech_start: float | None = None  # when the question's first/last sample went by
    speech_end: float | None = None
    # When the publishers SENT them (DDS source timestamps, wall clock [s]): the latency is taken
    # from these, so a moment when this listener falls behind does not shorten or stretch it.
    speech_end_sent: float | None = None
    final_sent: dict[str, float] = field(default_factory=dict)  # a final's text -> when sent
    first_reply_audio_sent: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def spoken(self) -> bool:
        """A turn is done once it was published and the robot has stopped speaking it. The robot
        may start speaking before the turn is published (leading_voice speaks the first sentence
        while the rest is written), so the speech counted is any that started after the final
        transcript."""
        with self.lock:
            finals = [t for t, m in self.transcripts if m.is_final]
            if not self.turns or not self.speaker_chunks or not finals:
                return False
            quiet = time.monotonic() - max(self.speaker_chunks[-1][0], self.turns[0][0]) > 1.5
            started = any(on and t >= finals[0] for t, on in self.speaking)
            stopped = bool(self.speaking) and self.speaking[-1][1] is False
            return quiet and started and stopped


class Listener(RosHarness):
    """The shared spinning node, recording the pipeline's outputs into `obs`. The question's end
    is the /audio chunk equal to `speech_end_chunk` (recognised by content, so a chunk missed here
    cannot move it); its start, the chunk holding byte `speech_start_byte`."""

    def __init__(self, obs: Observations, speech_start_byte: int, speech_end_chunk: bytes):
        from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
        from sensor_msgs.msg import Image
        from std_msgs.msg import Bool, String

        from audio_common_msgs.msg import AudioData, AudioInfo
        from insideout_msgs.msg import DialogueTurn, EmotionState, Transcript

        super().__init__("insideout_demo")
        self.obs = obs
        self._speech_start_byte, self._speech_end_chunk = speech_start_byte, speech_end_chunk
        # Deep enough that a busy moment here never overwrites audio not yet counted (the
        # question's start is found by counting audio bytes).
        reliable = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
        latched = QoSProfile(
            depth=1,
            reliability=ReliabilityPolicy.RELIABLE,
            durability=DurabilityPolicy.TRANSIENT_LOCAL,
        )
        best_effort = QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT)
        sub = self.node.create_subscription
        # raw: only the arrival matters, and deserializing 900 KB frames in Python is slow.
        sub(Image, "/camera/image_raw", self._on_frame, best_effort, raw=True)
        sub(AudioData, "/audio", with_info(self._on_mic_audio), reliable)
        sub(EmotionState, "/insideout/emotion", self._stamp(obs.emotions), reliable)
        sub(Transcript, "/insideout/transcript", with_info(self._on_transcript), reliable)
        sub(DialogueTurn, "/insideout/dialogue", self._stamp(obs.turns), reliable)
        sub(String, "/insideout/reply", lambda m: self._add(obs.replies, m.data), reliable)
        sub(AudioData, "/insideout/speaker/audio", with_info(self._on_speaker_audio), reliable)
        sub(AudioInfo, "/insideout/speaker/audio_info", self._on_speaker_info, latched)
        sub(Bool, "/insideout/robot_speaking", lambda m: self._add(obs.speaking, m.data), latched)

    def _add(self, items, value):
        with self.obs.lock:
            items.append((time.monotonic(), value))

    def _stamp(self, items):
        return lambda message: self._add(items, message)

    def _on_frame(self, _message):
        if self.obs.t0 is None:
            self.obs.t0 = time.monotonic()

    def _on_speaker_info(self, message):
        self.obs.speaker_info = message

    def _on_transcript(self, message, info):
        if message.is_final:
            self.obs.final_sent.setdefault(message.text, sent_at(info))
        self._add(self.obs.transcripts, message)

    def _on_speaker_audio(self, message, info):
        if self.obs.first_reply_audio_sent is None:
            self.obs.first_reply_audio_sent = sent_at(info)
        self._add(self.obs.speaker_chunks, bytes(message.data))

    def _on_mic_audio(self, message, info):
        # The question's end is when its last sample has been played to the pipeline.
        now = time.monotonic()
        before = self.obs.audio_bytes
        self.obs.audio_bytes += len(message.data)
        if before <= self._speech_start_byte < self.obs.audio_bytes:
            self.obs.speech_start = now
        if bytes(message.data) == self._speech_end_chunk and self.obs.speech_end_sent is None:
            self.obs.speech_end = now
            self.obs.speech_end_sent = sent_at(info)


def read_bag_facts(bag: Path) -> dict[str, str]:
    from insideout_common.bags import BagReader

    with BagReader(bag) as reader:
        facts = reader.custom_data
        facts["duration_s"] = f"{reader.duration_s:.2f}"
    return facts


def audio_chunk_holding(bag: Path, byte_index: int) -> bytes:
    """The payload of the bag's /audio message that holds the given byte of the recording: the
    listener recognises it by content, so a chunk it missed cannot shift the question's end."""
    from insideout_common.bags import BagReader

    seen = 0
    with BagReader(bag) as reader:
        for message in reader.messages(["/audio"]):
            data = bytes(reader.deserialize(message).data)
            if seen <= byte_index < seen + len(data):
                return data
            seen += len(data)
    return b""
