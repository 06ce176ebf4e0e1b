"""Dialogue node: four emotion agents and emotion-aware aggregation, wired to ROS.

ROS callbacks run in the rclpy executor and only hand utterances to the core's TurnScheduler,
which runs the turns in its own asyncio loop thread and reports back through the TurnListener
methods below. A Respond goal's execute callback is a coroutine awaiting its turn (then, with a
speaker that reports, its reply's speech), so waiting goals hold no executor thread.
"""

import itertools
import sys
import time
from collections import deque
from dataclasses import dataclass

from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup, ReentrantCallbackGroup
from std_msgs.msg import String
from std_srvs.srv import Trigger

from insideout_common import topic_names
from insideout_common.ros import diagnostics
from insideout_common.ros.diagnostics import DIAGNOSTICS_PERIOD
from insideout_common.ros.executor_future import executor_future
from insideout_common.ros.managed_node import ManagedNode
from insideout_common.ros.node_runner import run_node
from insideout_common.ros.params import declare_parameters
from insideout_common.ros.qos import RELIABLE_EVENTS
from insideout_common.ros.throttled_log import ThrottledLog
from insideout_common.ros.time_conversion import seconds_from_stamp
from insideout_dialogue.core import dialogue_turn as turn_core
from insideout_dialogue.core.agent_config import DEFAULT_AGENTS, secret_values
from insideout_dialogue.core.dialogue_turn import TurnResult
from insideout_dialogue.core.emotion_weights import emotion_problem
from insideout_dialogue.core.llm_client import LlmClient
from insideout_dialogue.core.local_llm_supervisor import RUNNING
from insideout_dialogue.core.prompt_warmup import warm_up
from insideout_dialogue.core.speech_wait import SpeechWait
from insideout_dialogue.core.spoken_replies import SpokenReplies
from insideout_dialogue.core.turn_scheduler import TurnEmotion, TurnRequest, TurnScheduler
from insideout_dialogue.core.utterance_text import sanitize
from insideout_dialogue.nodes import dialogue_setup
from insideout_dialogue.nodes.dialogue_messages import (
    dialogue_turn_msg,
    respond_result,
    stage_summary,
)
from insideout_dialogue.nodes.dialogue_parameters import BASE_SPECS, agent_specs, mapping_specs
from insideout_dialogue.nodes.goal_speech import GoalSpeech
from insideout_dialogue.nodes.speech_feedback import SpeechFeedback
from insideout_dialogue.nodes.turn_emotion_source import TurnEmotionSource
from insideout_dialogue.nodes.turn_progress import TurnProgressOutput
from insideout_msgs.action import Respond
from insideout_msgs.msg import DialogueTurn, EmotionState, Transcript


@dataclass
class Utterance:
    """The node's side of a TurnRequest (its `context`)."""

    goal_handle: object = None
    override: EmotionState | None = None  # a goal's own emotion
    spoken_between: tuple | None = None  # the Transcript's utterance start/end, ROS time [s]
    turn_msg: object = None  # the DialogueTurn once published
    cancel_requested: bool = False  # a goal's client asked to cancel it
    speech_wait: SpeechWait | None = None  # a goal waiting for its reply to be spoken


class DialogueNode(ManagedNode):
    """configure: the embedded LLM server (when used), the turn scheduler, outputs and the
    Respond action; activate: listen to transcripts and emotions, accept goals; deactivate:
    cancel the running and waiting turns (their goals abort) and stop listening."""

    def __init__(self):
        super().__init__("dialogue_node")
        self._log = ThrottledLog(self.get_logger())
        self.p = declare_parameters(self, BASE_SPECS)
        names = list(self.p["agents.names"])
        self.p.update(declare_parameters(self, agent_specs(names) + mapping_specs(names)))
        self._settings = dialogue_setup.turn_settings(self.p, names)
        self._secrets = secret_values(
            e.api_key_env
            for e in [a.endpoint for a in self._settings.agents] + [self._settings.aggregator]
        )
        self._emotions = TurnEmotionSource(self, self.p, self._log)
        self._turn_ids = itertools.count(1)
        self._goals: dict[bytes, TurnRequest] = {}  # running or waiting goals by goal id
        self._answered_utterances = deque(maxlen=32)  # recent final transcripts' utterance ids
        self._stats = {
            "turns": 0,
            "failed_turns": 0,
            "last_latency": 0.0,
            "last_error": "",
            "last_stages": "n/a",
        }
        self._spoken = SpokenReplies()
        self._speech_feedback = SpeechFeedback(
            self,
            self._spoken,
            lambda outcome: self._scheduler.interrupt(
                outcome.turn_id, outcome.heard, outcome.describe()
            ),
        )
        self._local_server = self._scheduler = self._action = None
        self._local_server_error = ""
        self.create_service(
            Trigger,
            topic_names.RESET_MEMORY_SERVICE,
            self._on_reset_memory,
            callback_group=ReentrantCallbackGroup(),
        )
        self.publish_diagnostics(self._report, self.p[DIAGNOSTICS_PERIOD.name])

    # --- lifecycle -----------------------------------------------------------------------------
    def configure_node(self) -> None:
        self._local_server, self._settings, self._local_server_error = (
            dialogue_setup.start_embedded_server(self.p, self._settings, self.on_log)
        )
        self._reply_pub = self.output_publisher(String, topic_names.REPLY, RELIABLE_EVENTS)
        self._goal_speech = GoalSpeech(
            self, self._spoken, self._reply_pub, self._speech_feedback, self._log
        )
        self._turn_pub = self.output_publisher(DialogueTurn, topic_names.DIALOGUE, RELIABLE_EVENTS)
        self._progress = TurnProgressOutput(self, [a.name for a in self._settings.agents])
        self._scheduler = TurnScheduler(
            self._settings,
            dialogue_setup.scheduler_settings(self.p),
            LlmClient(self._secrets),
            self,
            self._secrets,
        )
        warm_prompts = self._local_server is not None and self.p["local_llm.warm_prompts"]
        self._scheduler.run_soon(
            lambda: warm_up(
                self._scheduler.client,
                self._settings,
                self.p["local_llm.base_url"] if warm_prompts else None,
                self.on_log,
            )
        )
        self._action = ActionServer(
            self,
            Respond,
            topic_names.RESPOND_ACTION,
            execute_callback=self._execute_goal,
            goal_callback=lambda _goal: GoalResponse.ACCEPT if self.active else GoalResponse.REJECT,
            cancel_callback=self._on_cancel_request,
            callback_group=ReentrantCallbackGroup(),
        )

    def activate_node(self) -> None:
        inputs = MutuallyExclusiveCallbackGroup()
        self.input_subscription(
            Transcript,
            topic_names.TRANSCRIPT,
            self._on_transcript,
            RELIABLE_EVENTS,
            callback_group=inputs,
        )
        self._emotions.subscribe(inputs)
        self._speech_feedback.subscribe(inputs)
        self.get_logger().info(
            f"dialogue_node ready: agents {self.p['agents.names']}, strategy "
            f"{self._settings.strategy}, prompts {self._settings.prompts.style}, aggregator "
            f"{self._settings.aggregator.model} at {self._settings.aggregator.base_url}"
        )

    def deactivate_node(self) -> None:
        self._scheduler.cancel_all("dialogue node deactivated")
        GoalSpeech.stop_waiting(self._goals.values(), "dialogue node deactivated")  # aborted
        self._emotions.stop()

    def release(self) -> None:
        if self._scheduler is not None:
            self._scheduler.close()
            self._scheduler = None
        if self._action is not None:
            self._action.destroy()
            self._action = None
        if self._local_server is not None:
            self._local_server.stop()
            self._local_server = None
            self.get_logger().info("embedded LLM server stopped")

    # --- the scheduler's listener (called in its loop thread) ----------------------------------
    def emotion_for(self, request: TurnRequest) -> TurnEmotion:
        utterance: Utterance = request.context
        return self._emotions.emotion_for(utterance.override, utterance.spoken_between)

    def on_stage(self, request: TurnRequest, stage: str, agent: str, text: str) -> None:
        self._progress.stage(request, stage, agent, text)

    def on_sentence(self, request: TurnRequest, sentence: str) -> None:
        if self._spoken.is_interrupted(request.turn_id):
            return  # the user talked over this reply: the scheduler is ending the turn
        self._spoken.sent(request.turn_id, sentence)
        self._reply_pub.publish(String(data=sentence))

    def on_turn_finished(self, request: TurnRequest, result: TurnResult) -> None:
        """Publish the DialogueTurn: exactly one per utterance and goal, failures included."""
        if request.sentences_out:
            self._spoken.generation_finished(request.turn_id)
        self._stats.update(
            turns=self._stats["turns"] + 1,
            last_latency=result.latency,
            last_stages=stage_summary(result),
        )
        for answer in result.answers:
            if not answer.ok and not answer.error.startswith("interrupted before answering"):
                self.get_logger().warning(
                    f"turn {request.turn_id}: agent {answer.agent} failed: {answer.error}"
                )
        if result.success:
            self.get_logger().info(
                f"turn {request.turn_id} done in {result.latency:.2f} s "
                f"(agents {result.agents_latency:.2f} s, first sentence "
                f"{result.first_sentence_latency:.2f} s)"
            )
        elif result.error_code != turn_core.ERROR_INTERRUPTED:  # an interruption is no fault
            self._stats.update(
                failed_turns=self._stats["failed_turns"] + 1, last_error=result.error_message
            )
            self.get_logger().warning(
                f"turn {request.turn_id} failed (code {result.error_code}): {result.error_message}"
            )
        msg = dialogue_turn_msg(
            request.turn_id,
            request.utterance,
            result,
            request.emotion.record,
            self._settings.strategy,
            self._secrets,
        )
        msg.header.stamp = self.get_clock().now().to_msg()
        request.context.turn_msg = msg
        self._turn_pub.publish(msg)

    def on_log(self, level: str, message: str) -> None:
        # One call site per severity: rclpy refuses a severity change at one call site.
        if level == "error":
            self.get_logger().error(message)
        elif level == "warning":
            self.get_logger().warning(message)
        else:
            self.get_logger().info(message)

    # --- ROS callbacks -------------------------------------------------------------------------
    def _request(self, utterance: str, source: str, **context) -> TurnRequest:
        # Cleaned before it reaches a prompt or a log (core/utterance_text).
        utterance, removed = sanitize(utterance)
        request = TurnRequest(
            turn_id=next(self._turn_ids),
            utterance=utterance.strip(),
            source=source,
            received_at=time.monotonic(),
            publish_reply=source == "transcript" or self.p["action.publish_reply"],
            context=Utterance(**context),
        )
        limit = self.p["max_utterance_chars"]
        if removed:
            self._log.warning(
                f"{source} of turn {request.turn_id} had characters that are not "
                f"text, removed: {removed}",
                kind=f"{source} characters",
            )
        if not request.utterance:
            request.invalid_reason = "empty utterance"
            self._log.warning(
                f"{source} with an empty utterance: no reply (turn "
                f"{request.turn_id} reported as failed)"
            )
        elif len(request.utterance) > limit:
            self._log.warning(
                f"utterance of {len(request.utterance)} characters cut to {limit} "
                "(max_utterance_chars)"
            )
            request.utterance = request.utterance[:limit]
        return request

    def _on_transcript(self, msg: Transcript) -> None:
        # A partial after the final of the same utterance, or a second final of it: the user went
        # on speaking, and the whole utterance's final replaces the turn begun on the first part.
        if self._answered_utterances and msg.utterance_id < self._answered_utterances[-1]:
            self._answered_utterances.clear()  # the ASR restarted: its ids begin again
        if msg.utterance_id in self._answered_utterances:
            self._scheduler.withdraw_utterance(
                msg.utterance_id,
                f"the user went on speaking (utterance {msg.utterance_id} "
                "continues; its whole transcript is answered instead)",
            )
        if msg.is_final:
            span = (seconds_from_stamp(msg.utterance_start), seconds_from_stamp(msg.utterance_end))
            request = self._request(
                msg.text, "transcript", spoken_between=span if 0 < span[0] < span[1] else None
            )
            request.utterance_id = msg.utterance_id
            if msg.utterance_id not in self._answered_utterances:
                self._answered_utterances.append(msg.utterance_id)
            self._scheduler.submit(request)

    async def _execute_goal(self, goal_handle):
        goal = goal_handle.request
        override = goal.emotion if goal.override_emotion else None
        problem = emotion_problem(override.labels, override.scores) if override else None
        request = self._request(
            goal.utterance, "goal", goal_handle=goal_handle, override=None if problem else override
        )
        if problem and not request.invalid_reason:
            request.invalid_reason = f"goal emotion unusable: {problem}"
        goal_id = bytes(goal_handle.goal_id.uuid)
        self._goals[goal_id] = request  # until the result: it may be cancelled while spoken
        try:
            await executor_future(self._scheduler.submit(request), self.executor)
            turn = request.context.turn_msg
            if turn is None:  # the DialogueTurn could not be published: the node is going down
                goal_handle.abort()
                return Respond.Result(
                    success=False,
                    error_code=turn_core.ERROR_CANCELED,
                    error_message="dialogue node shutting down",
                )
            result = respond_result(turn)
            if self._goal_speech.expected(request, turn):
                await self._goal_speech.settle(request, turn, result)
        finally:
            self._goals.pop(goal_id, None)
        if result.success:
            goal_handle.succeed()
        elif result.error_code == turn_core.ERROR_CANCELED and goal_handle.is_cancel_requested:
            goal_handle.canceled()
        else:
            goal_handle.abort()
        return result

    def _on_cancel_request(self, goal_handle) -> CancelResponse:
        request = self._goals.get(bytes(goal_handle.goal_id.uuid))
        if request is None:
            return CancelResponse.REJECT
        self._scheduler.cancel(request, turn_core.ERROR_CANCELED, "canceled by the action client")
        GoalSpeech.cancel(request)  # when it waits for its reply's speech, or is about to
        return CancelResponse.ACCEPT

    def _on_reset_memory(self, _request, response):
        if self._scheduler is None:
            response.success, response.message = True, "not configured: no memory to forget"
            return response
        try:
            response.success, response.message = (
                True,
                f"forgot {self._scheduler.reset_memory()} turns",
            )
        except Exception as error:
            response.success, response.message = False, f"reset failed: {error!r}"
        return response

    def _report(self):
        s = self._scheduler
        values = {
            "turns": self._stats["turns"],
            "failed_turns": self._stats["failed_turns"],
            "interrupted_turns": self._speech_feedback.interrupted_turns,
            "dropped_turns": s.dropped,
            "waiting": s.waiting,
            "busy": s.busy,
            "last_latency_s": f"{self._stats['last_latency']:.2f}",
            "last_turn_stages": self._stats["last_stages"],
            "strategy": self._settings.strategy,
            "prompt_style": self._settings.prompts.style,
            "memory_turns": len(s.memory),
        }
        match = self._emotions.matched_face
        values["rep155_matched_face"] = (
            f"{match.face_id} ({match.confidence:.2f})" if match else "none"
        )
        if self._local_server is not None:
            server = self._local_server.status()
            values.update(
                local_llm=server.state,
                local_llm_restarts=server.restarts,
                local_llm_model=self._local_server.server.model_path.name,
            )
            if server.state != RUNNING:
                values["local_llm_last_exit_code"] = server.last_exit_code
                return (
                    diagnostics.ERROR,
                    "embedded LLM server exited; restarting it"
                    + (f" (last attempt: {server.last_error})" if server.last_error else ""),
                    values,
                )
        if self._local_server_error:
            return (
                diagnostics.ERROR,
                "embedded LLM server could not start: " + self._local_server_error,
                values,
            )
        if self._stats["last_error"]:
            values["last_error"] = self._stats["last_error"]
            return diagnostics.WARN, "some turns failed", values
        return diagnostics.OK, "ok", values

    def expected_unused_parameter(self, name: str) -> bool:
        """config/prompts.yaml sets every default agent's prompt: not a mistake when
        agents.names leaves one of them out."""
        parts = name.split(".")
        return (
            len(parts) == 3
            and parts[0] == "agents"
            and parts[1] in DEFAULT_AGENTS
            and parts[1] not in self.p["agents.names"]
        )


def main(args=None):
    sys.exit(run_node(DialogueNode, args))


if __name__ == "__main__":
    main()
