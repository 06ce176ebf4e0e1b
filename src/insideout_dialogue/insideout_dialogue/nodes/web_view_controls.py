"""The live view's controls as ROS calls: an utterance through the Respond action, stop speaking
(tts_node's ~/stop), reset memory. Called from the web server's thread; each outcome comes back
to the pages as a notice."""

from collections.abc import Callable

from rclpy.action import ActionClient
from std_srvs.srv import Trigger

from insideout_common import topic_names
from insideout_dialogue.core.live_view.page_commands import (
    RESET_MEMORY,
    SAY,
    STOP_SPEAKING,
    PageCommand,
)
from insideout_msgs.action import Respond


class WebViewControls:
    def __init__(self, node, notify: Callable[[str, str], None]):
        """`notify(level, text)`: tell the pages (and the log) how a control went."""
        self._node = node
        self._notify = notify
        self._respond = ActionClient(node, Respond, topic_names.RESPOND_ACTION)
        self._stop = node.create_client(Trigger, topic_names.TTS_STOP_SERVICE)
        self._reset = node.create_client(Trigger, topic_names.RESET_MEMORY_SERVICE)

    def run(self, command: PageCommand) -> None:
        if command.kind == SAY:
            self._say(command.text)
        elif command.kind == STOP_SPEAKING:
            self._trigger(self._stop, "stop speaking")
        elif command.kind == RESET_MEMORY:
            self._trigger(self._reset, "reset memory")

    def destroy(self) -> None:
        self._respond.destroy()
        self._node.destroy_client(self._stop)
        self._node.destroy_client(self._reset)

    def _say(self, text: str) -> None:
        if not self._respond.server_is_ready():
            self._notify(
                "warning",
                f"not sent: no Respond action server on "
                f"{self._node.resolve_topic_name(topic_names.RESPOND_ACTION)}",
            )
            return
        sent = self._respond.send_goal_async(Respond.Goal(utterance=text))

        def accepted(future) -> None:
            handle = future.result()
            if handle is None or not handle.accepted:
                self._notify("warning", f"dialogue_node refused the utterance {text[:60]!r}")
            else:
                self._notify("info", f"asked: {text[:60]!r}")

        sent.add_done_callback(accepted)

    def _trigger(self, client, what: str) -> None:
        if not client.service_is_ready():
            self._notify("warning", f"{what}: {client.srv_name} is not available")
            return

        def done(future) -> None:
            try:
                response = future.result()
            except Exception as error:  # noqa: BLE001 - reported to the page
                self._notify("warning", f"{what} failed: {error!r}")
                return
            self._notify("info" if response.success else "warning", f"{what}: {response.message}")

        client.call_async(Trigger.Request()).add_done_callback(done)
