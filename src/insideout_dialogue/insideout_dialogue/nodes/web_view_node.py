"""Live view node: the paper's demo screen as a web page, fed live by the pipeline's topics.

Subscribes
  /insideout/emotion              insideout_msgs/EmotionState   scores, valence/arousal, face box
  /insideout/transcript           insideout_msgs/Transcript     partial and final
  /insideout/user_speaking        std_msgs/Bool
  /insideout/user_pausing         std_msgs/Bool                 a thinking pause (turn state only)
  /insideout/robot_speaking       std_msgs/Bool
  /insideout/dialogue/progress    insideout_msgs/TurnProgress   agents' answers as they stream
  /insideout/dialogue             insideout_msgs/DialogueTurn   the finished turn, timings
  /insideout/reply/spoken         std_msgs/String               the sentence being spoken
  /insideout/reply/interrupted    insideout_msgs/ReplyInterrupted  a reply cut off: what was heard
  camera.image_topic              sensor_msgs/Image (or /compressed)  only while a page shows it
Calls (the page's controls)
  /insideout/respond  (Respond action), /tts_node/stop, /insideout/reset_memory (std_srvs/Trigger)
Serves
  http://<host>:<port>/  the page; /ws its WebSocket; /diagnostics

The server, page, conversions and the turn state (whose turn it is, shown in the page's header)
are in insideout_dialogue.core.live_view; this module only wires them to ROS.
"""

import os
import sys

from std_msgs.msg import Bool, String

from insideout_common import topic_names
from insideout_common.ros.diagnostics import DIAGNOSTICS_PERIOD, OK, WARN
from insideout_common.ros.managed_node import AUTOSTART, ManagedNode
from insideout_common.ros.node_runner import run_node
from insideout_common.ros.params import InvalidParameters, ParamSpec, declare_parameters
from insideout_common.ros.qos import LATCHED_STATE, RELIABLE_EVENTS
from insideout_common.ros.throttled_log import ThrottledLog
from insideout_dialogue.core.live_view import page_events
from insideout_dialogue.core.live_view.live_state import LiveState
from insideout_dialogue.core.live_view.turn_state import TurnStateTracker
from insideout_dialogue.core.live_view.web_server import LiveViewServer, is_loopback
from insideout_dialogue.core.progress_throttle import PerKeyThrottle
from insideout_dialogue.nodes.web_view_camera import WebViewCamera
from insideout_dialogue.nodes.web_view_controls import WebViewControls
from insideout_msgs.msg import (
    DialogueTurn,
    EmotionState,
    ReplyInterrupted,
    Transcript,
    TurnProgress,
)

IMAGE_TRANSPORTS = ("raw", "compressed")
IMAGE_RELIABILITIES = ("auto", "reliable", "best_effort")


# Above the web_view_node section of config/insideout.yaml.
YAML_COMMENT = (
    "The live view (launch web:=true; `make demo` starts it): the paper's demo screen in a browser."
)
PARAMETERS = [
    ParamSpec(
        "host",
        "127.0.0.1",
        "Address to serve the page on. Anything but a loopback address"
        " makes the robot's camera and conversation reachable from the network: set an"
        " access token (access_token_env) then.",
    ),
    ParamSpec(
        "port",
        8080,
        "TCP port of the page (0: any free port; the log says which).",
        minimum=0,
        maximum=65535,
    ),
    ParamSpec(
        "access_token_env",
        "INSIDEOUT_WEB_TOKEN",
        "Environment variable holding an access"
        " token; when it is set, the page opens only as http://<host>:<port>/?token=<token>."
        " Empty: no token. The token is never logged.",
    ),
    ParamSpec(
        "camera.enabled",
        True,
        "Offer the camera panel (false: no camera frame ever leaves this node).",
    ),
    ParamSpec(
        "camera.image_topic", "/camera/image_raw", "Camera topic (as fer_node's image_topic)."
    ),
    ParamSpec(
        "camera.image_transport",
        "raw",
        "raw: sensor_msgs/Image; compressed: <image_topic>/compressed.",
        choices=IMAGE_TRANSPORTS,
    ),
    ParamSpec(
        "camera.image_reliability",
        "auto",
        "QoS reliability of the camera subscription (as fer_node's image_reliability).",
        choices=IMAGE_RELIABILITIES,
    ),
    ParamSpec(
        "camera.max_fps",
        10.0,
        "Most camera frames per second sent to the pages.",
        minimum=0.5,
        maximum=30.0,
    ),
    ParamSpec(
        "camera.max_width",
        480,
        "Frames are downscaled to at most this width [px].",
        minimum=64,
        maximum=1920,
    ),
    ParamSpec(
        "camera.jpeg_quality", 70, "JPEG quality of the frames sent.", minimum=10, maximum=95
    ),
    ParamSpec(
        "camera.max_image_pixels",
        33177600,
        "Larger camera frames are refused (as fer_node).",
        minimum=1,
        maximum=2**31 - 1,
    ),
    ParamSpec(
        "emotion_rate",
        10.0,
        "Most EmotionStates per second sent to the pages (a face"
        " appearing or leaving goes at once).",
        minimum=1.0,
        maximum=60.0,
    ),
    ParamSpec(
        "chart_seconds",
        30.0,
        "Length of the emotion strip chart a newly opened page gets [s].",
        minimum=5.0,
        maximum=600.0,
    ),
    ParamSpec(
        "history_turns", 20, "Finished turns a newly opened page gets.", minimum=1, maximum=500
    ),
    ParamSpec(
        "max_utterance_chars",
        1000,
        "Longest utterance the page may send.",
        minimum=10,
        maximum=100000,
    ),
    DIAGNOSTICS_PERIOD,
    AUTOSTART,
]


class WebViewNode(ManagedNode):
    """configure: bind the web server; activate: subscribe and follow the pages' camera panels;
    deactivate: stop feeding the pages (they stay connected and show the last state)."""

    def __init__(self):
        super().__init__("web_view_node")
        self._p = declare_parameters(self, PARAMETERS)
        self._log = ThrottledLog(self.get_logger())
        self._server = self._camera = self._controls = None
        self._emotion_throttle = PerKeyThrottle(1.0 / self._p["emotion_rate"])
        self._last_face = None
        self._turn_state = TurnStateTracker()
        self._bad_input = 0
        self.publish_diagnostics(self._report, self._p[DIAGNOSTICS_PERIOD.name])

    # -- lifecycle ----------------------------------------------------------------------------
    def configure_node(self) -> None:
        p = self._p
        token = os.environ.get(p["access_token_env"], "") if p["access_token_env"] else ""
        self._server = LiveViewServer(
            LiveState(p["chart_seconds"], p["history_turns"]),
            self._on_command,
            self._on_bad_input,
            host=p["host"],
            port=p["port"],
            token=token,
            camera_available=p["camera.enabled"],
            max_utterance_chars=p["max_utterance_chars"],
        )
        try:
            self._server.start()
        except OSError as error:
            raise InvalidParameters(f"web_view_node: {error}") from error
        if not is_loopback(p["host"]) and not token:
            self.get_logger().warning(
                f"serving on {p['host']} without an access token: anyone who can reach this "
                f"address sees the camera and can talk to the robot (set ${p['access_token_env']})"
            )
        self._controls = WebViewControls(self, self._notify)
        if p["camera.enabled"]:
            self._camera = WebViewCamera(self, p, self._server, self._log.warning)
            self.configured_timer(0.5, self._camera.follow_pages)
        self.get_logger().info(
            f"live view on {self._server.url}" + (" (access token required)" if token else "")
        )

    def activate_node(self) -> None:
        # Afresh: the latched inputs are delivered again to the new subscriptions.
        turn_state = self._turn_state = TurnStateTracker()
        self._publish(turn_state.event())
        sub = self.input_subscription
        sub(EmotionState, topic_names.EMOTION, self._on_emotion, RELIABLE_EVENTS)
        sub(
            Transcript,
            topic_names.TRANSCRIPT,
            lambda m: self._publish(page_events.transcript_event(m)),
            RELIABLE_EVENTS,
        )
        sub(
            Bool,
            topic_names.USER_SPEAKING,
            lambda m: self._publish(
                page_events.flag_event("user_speaking", m.data), turn_state.user_speaking(m.data)
            ),
            LATCHED_STATE,
        )
        sub(
            Bool,
            topic_names.USER_PAUSING,
            lambda m: self._publish(turn_state.user_pausing(m.data)),
            LATCHED_STATE,
        )
        sub(
            Bool,
            topic_names.ROBOT_SPEAKING,
            lambda m: self._publish(
                page_events.flag_event("robot_speaking", m.data), turn_state.robot_speaking(m.data)
            ),
            LATCHED_STATE,
        )
        sub(
            TurnProgress,
            topic_names.DIALOGUE_PROGRESS,
            lambda m: self._publish(
                page_events.progress_event(m), turn_state.turn_progress(m.turn_id, m.stage)
            ),
            RELIABLE_EVENTS,
        )
        sub(
            DialogueTurn,
            topic_names.DIALOGUE,
            lambda m: self._publish(page_events.turn_event(m), turn_state.turn_finished(m.turn_id)),
            RELIABLE_EVENTS,
        )
        sub(
            String,
            topic_names.REPLY_SPOKEN,
            lambda m: self._publish(page_events.spoken_event(m.data)),
            RELIABLE_EVENTS,
        )
        sub(
            ReplyInterrupted,
            topic_names.REPLY_INTERRUPTED,
            lambda m: self._publish(
                page_events.interrupted_event(m), turn_state.reply_interrupted()
            ),
            RELIABLE_EVENTS,
        )

    def deactivate_node(self) -> None:
        if self._camera is not None:
            self._camera.close()

    def release(self) -> None:
        if self._camera is not None:
            self._camera.close()
            self._camera = None
        if self._controls is not None:
            self._controls.destroy()
            self._controls = None
        if self._server is not None:
            self._server.stop()
            self._server = None

    # -- ROS to the pages ---------------------------------------------------------------------
    def _publish(self, *events) -> None:
        """Each event in order; None (the turn state did not change) is skipped."""
        if self._server is not None and self.active:
            for event in events:
                if event is not None:
                    self._server.publish(event)

    def _on_emotion(self, msg: EmotionState) -> None:
        face = (msg.face_detected, msg.track_id)
        if face != self._last_face or self._emotion_throttle.due("emotion"):
            self._last_face = face
            self._publish(page_events.emotion_event(msg))

    # -- the pages to ROS (called in the web server's thread) ---------------------------------
    def _on_command(self, command) -> None:
        if not self.active:
            self._notify("warning", "web_view_node is not active: controls are off")
            return
        self._controls.run(command)

    def _on_bad_input(self, message: str, kind: str = "") -> None:
        self._bad_input += 1
        self._log.warning(message, kind)

    def _notify(self, level: str, text: str) -> None:
        if level == "warning":
            self._log.warning(text)
        else:
            self.get_logger().info(text)
        if self._server is not None:
            self._server.publish(page_events.notice_event(level, text))

    # -- diagnostics ----------------------------------------------------------------------------
    def _report(self):
        server = self._server
        values = {
            "url": server.url,
            "pages": server.pages,
            "camera_pages": server.camera_pages,
            "camera_subscribed": bool(self._camera and self._camera.subscribed),
            "camera_frames_sent": server.frames_sent,
            "pages_dropped": server.pages_dropped,
            "bad_input": self._bad_input,
            "turn_state": self._turn_state.state,
        }
        if self._camera is not None:
            values["camera_topic"] = self._camera.topic
        if self._bad_input or server.pages_dropped:
            return WARN, self._log.last_message, values
        return OK, f"serving {server.url} to {server.pages} page(s)", values


def main(args=None):
    sys.exit(run_node(WebViewNode, args))


if __name__ == "__main__":
    main()
