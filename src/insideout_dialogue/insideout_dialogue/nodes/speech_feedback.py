"""dialogue_node's inputs from tts_node: which reply sentences started (reply/spoken), whether the
robot speaks (robot_speaking) and replies cut off (reply/interrupted), fed to core.SpokenReplies.
Every turn an interruption cut off goes to `interrupt` (the scheduler ends it, or corrects its
memory).
"""

from collections.abc import Callable

from rclpy.event_handler import SubscriptionEventCallbacks
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import Bool, String

from insideout_common import topic_names
from insideout_common.ros.qos import LATCHED_STATE, RELIABLE_EVENTS
from insideout_dialogue.core.spoken_replies import SpeechOutcome, SpokenReplies
from insideout_msgs.msg import ReplyInterrupted

# robot_speaking from a volatile publisher (a test, `ros2 topic pub`), as asr_node hears it:
# reliable, since a lost "false" would leave a goal waiting until its bound.
VOLATILE_STATE_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=10,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.VOLATILE,
)


class SpeechFeedback:
    """Opened at activate with the node's inputs (destroyed at deactivate with them)."""

    def __init__(self, node, spoken: SpokenReplies, interrupt: Callable[[SpeechOutcome], None]):
        self._node = node
        self._spoken = spoken
        self._interrupt = interrupt
        self.spoken_topic = ""  # the resolved reply/spoken name, once subscribed
        self.interrupted_turns = 0

    def subscribe(self, group) -> None:
        subscription = self._node.input_subscription(
            String,
            topic_names.REPLY_SPOKEN,
            lambda msg: self._spoken.started(msg.data),
            RELIABLE_EVENTS,
            callback_group=group,
        )
        self.spoken_topic = subscription.topic_name
        self._node.input_subscription(
            ReplyInterrupted,
            topic_names.REPLY_INTERRUPTED,
            self._on_interrupted,
            RELIABLE_EVENTS,
            callback_group=group,
        )
        # Latched from tts_node, and any volatile publisher too (as asr_node subscribes). Both
        # hear tts_node's messages; a repeated state changes nothing.
        on_speaking = lambda msg: self._spoken.robot_speaking(bool(msg.data))  # noqa: E731
        self._node.input_subscription(
            Bool,
            topic_names.ROBOT_SPEAKING,
            on_speaking,
            LATCHED_STATE,
            callback_group=group,
            event_callbacks=SubscriptionEventCallbacks(incompatible_qos=lambda event: None),
        )
        self._node.input_subscription(
            Bool, topic_names.ROBOT_SPEAKING, on_speaking, VOLATILE_STATE_QOS, callback_group=group
        )

    def speaker_reports(self) -> bool:
        """A speaker that says what it spoke is listening (tts_node): replies are heard, and
        their speech will be reported. A bag recorder or a test listening to /insideout/reply
        alone is not one."""
        return bool(self.spoken_topic) and self._node.count_publishers(self.spoken_topic) > 0

    def _on_interrupted(self, msg: ReplyInterrupted) -> None:
        """One info line per interruption, naming every turn it cut off."""
        outcomes = self._spoken.interrupted(msg.reply, msg.heard, msg.reason)
        if not outcomes:
            self._node.get_logger().info(
                f"speech stopped ({msg.reason}); no reply of ours was cut off"
            )
            return
        self.interrupted_turns += len(outcomes)
        for outcome in outcomes:
            self._interrupt(outcome)
        cut = outcomes[0]
        others = (
            f"; turns {', '.join(str(o.turn_id) for o in outcomes[1:])} dropped too"
            if len(outcomes) > 1
            else ""
        )
        self._node.get_logger().info(
            f"turn {cut.turn_id} {cut.describe()}"
            f"{'' if cut.generation_finished else ' (still writing: stopped)'}: heard "
            f"{cut.heard[-80:]!r}{others}"
        )
