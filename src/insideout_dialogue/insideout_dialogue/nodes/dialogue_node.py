"""Dialogue node: four emotion agents and emotion-aware aggregation, wired to ROS.

ROS callbacks run in the rclpy executor; every turn runs in an asyncio loop in its own thread
(AsyncOpenAI needs one). Callbacks hand work to the loop with call_soon_threadsafe; turns run one at
a time from a bounded queue. The dialogue logic itself lives in insideout_dialogue.core.
"""

import asyncio
import itertools
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Deque, Dict, List, Optional

from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup, ReentrantCallbackGroup
from rclpy.task import Future
from std_msgs.msg import String
from std_srvs.srv import Trigger

from insideout_common import topic_names
from insideout_common.emotions import LABELS, neutral_scores
from insideout_common.ros import diagnostics
from insideout_common.ros.diagnostics import DIAGNOSTICS_PERIOD
from insideout_common.ros.managed_node import ManagedNode
from insideout_common.ros.node_runner import run_node
from insideout_common.ros.params import InvalidParameters, declare_parameters
from insideout_common.ros.qos import RELIABLE_EVENTS
from insideout_common.ros.throttled_log import ThrottledLog
from insideout_common.ros.time_conversion import now_seconds, seconds_from_stamp
from insideout_msgs.action import Respond
from insideout_msgs.msg import AgentReply, DialogueTurn, EmotionState, Transcript

from insideout_dialogue.core import dialogue_turn as turn_core
from insideout_dialogue.core.agent_config import (DEFAULT_AGENTS, AgentConfig, EndpointConfig,
                                                  redact, secret_values)
from insideout_dialogue.core.conversation_memory import ConversationMemory
from insideout_dialogue.core.embedded_slots import pin_embedded_slots
from insideout_dialogue.core.emotion_weights import (EmotionReading, effective_emotion,
                                                     emotion_problem, parse_mapping_row)
from insideout_dialogue.core.llm_client import LlmClient
from insideout_dialogue.core.llm_models import LlmModelError, resolve_model
from insideout_dialogue.core.local_llm_server import (LocalLlmServer, LocalServerError,
                                                      ServerSettings, needs_local_server)
from insideout_dialogue.core.local_llm_supervisor import RUNNING, LocalLlmSupervisor
from insideout_dialogue.core.prompt_warmup import warm_prompt_caches
from insideout_dialogue.core.prompts import PromptSet, UserEmotion
from insideout_dialogue.core.utterance_emotion import EmotionHistory
from insideout_dialogue.nodes.dialogue_parameters import BASE_SPECS, agent_specs, mapping_specs



@dataclass
class PendingTurn:
    """One utterance waiting for or going through a turn."""
    turn_id: int
    utterance: str
    source: str  # "transcript" or "goal"
    received_at: float
    override: Optional[EmotionState] = None
    goal_handle: object = None
    # Set (in the loop thread) when a goal waits on this turn's result.
    done: Optional[Future] = None
    task: Optional[asyncio.Task] = None
    # Why the running task was cancelled (error code, message); None: node shutdown.
    cancel_reason: Optional[tuple] = None
    invalid_reason: str = ""
    # When the user spoke (the Transcript's utterance_start/end, ROS time [s]); None for goals.
    spoken_between: Optional[tuple] = None


def _emotion_msg_from_scores(scores: Dict[str, float], emotion: UserEmotion,
                             source: Optional[EmotionState]) -> EmotionState:
    """The EmotionState a turn was conditioned on (the neutral default when none was usable)."""
    if source is not None and not emotion.fallback_reason:
        return source
    return EmotionState(face_detected=False, labels=list(LABELS), scores=neutral_scores(),
                        raw_scores=neutral_scores(), dominant_label="neutral", confidence=1.0)


def _mean_emotion_msg(reading: EmotionReading) -> EmotionState:
    """An EmotionState holding the emotion over an utterance (a mean, not one received message)."""
    scores = [float(reading.scores.get(label, 0.0)) for label in LABELS]
    return EmotionState(face_detected=reading.face_detected, labels=list(LABELS), scores=scores,
                        raw_scores=scores, dominant_label=reading.dominant_label,
                        confidence=float(reading.confidence))


def _reading(msg: EmotionState, received_at: float) -> EmotionReading:
    scores = {label: float(score) for label, score in zip(msg.labels, msg.scores)}
    return EmotionReading(face_detected=msg.face_detected, scores=scores,
                          dominant_label=msg.dominant_label, confidence=float(msg.confidence),
                          received_at=received_at)


class DialogueNode(ManagedNode):
    """configure: the embedded LLM server (when used), the asyncio loop, outputs and the Respond
    action; activate: listen to transcripts and emotions, accept goals; deactivate: cancel the
    running and waiting turns (their goals abort) and stop listening."""

    def __init__(self):
        super().__init__("dialogue_node")
        self._log = ThrottledLog(self.get_logger())
        self.p = declare_parameters(self, BASE_SPECS)
        names = list(self.p["agents.names"])
        self.p.update(declare_parameters(self, agent_specs(names) + mapping_specs(names)))
        self._settings = self._turn_settings(names)
        self._secrets = secret_values(e.api_key_env for e in
                                      [a.endpoint for a in self._settings.agents]
                                      + [self._settings.aggregator])
        self._memory = ConversationMemory(self.p["memory.max_turns"], self.p["memory.expiry"])
        self._latest_emotion: Optional[tuple] = None  # (EmotionState, EmotionReading)
        self._emotion_history = EmotionHistory()  # for the emotion while the user spoke
        self._turn_ids = itertools.count(1)
        self._queue: Deque[PendingTurn] = deque()
        self._current: Optional[PendingTurn] = None
        self._stats = {"turns": 0, "failed_turns": 0, "dropped": 0, "last_latency": 0.0,
                       "last_error": ""}
        self._local_server: Optional[LocalLlmSupervisor] = None
        self._local_server_error = ""
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._action: Optional[ActionServer] = None
        self.create_service(Trigger, topic_names.RESET_MEMORY_SERVICE, self._on_reset_memory,
                            callback_group=ReentrantCallbackGroup())
        self.publish_diagnostics(self._report, self.p[DIAGNOSTICS_PERIOD.name])

    # --- lifecycle -----------------------------------------------------------------------------
    def configure_node(self) -> None:
        self._start_local_server_if_needed()
        # The asyncio side: one loop thread, one worker running turns in order.
        self._loop = asyncio.new_event_loop()
        self._wakeup: Optional[asyncio.Event] = None
        self._client = LlmClient(self._secrets)
        self._loop_thread = threading.Thread(target=self._run_loop, name="dialogue-asyncio",
                                             daemon=True)
        self._loop_ready = threading.Event()
        self._loop_thread.start()
        self._loop_ready.wait(5.0)
        self._reply_pub = self.output_publisher(String, topic_names.REPLY, RELIABLE_EVENTS)
        self._turn_pub = self.output_publisher(DialogueTurn, topic_names.DIALOGUE, RELIABLE_EVENTS)
        self._action = ActionServer(
            self, Respond, topic_names.RESPOND_ACTION, execute_callback=self._execute_goal,
            goal_callback=self._on_goal_request,
            cancel_callback=self._on_cancel_request, callback_group=ReentrantCallbackGroup())

    def activate_node(self) -> None:
        inputs = MutuallyExclusiveCallbackGroup()
        self.input_subscription(Transcript, topic_names.TRANSCRIPT, self._on_transcript,
                                RELIABLE_EVENTS, callback_group=inputs)
        self.input_subscription(EmotionState, topic_names.EMOTION, self._on_emotion,
                                RELIABLE_EVENTS, callback_group=inputs)
        self.get_logger().info(
            f"dialogue_node ready: agents {self.p['agents.names']}, strategy "
            f"{self._settings.strategy}, prompts {self._settings.prompts.style}, aggregator "
            f"{self._settings.aggregator.model} at {self._settings.aggregator.base_url}")

    def deactivate_node(self) -> None:
        def cancel_all():
            for pending in list(self._queue) + [self._current]:
                if pending is not None:
                    self._cancel(pending, turn_core.ERROR_CANCELED, "dialogue node deactivated")
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(cancel_all)

    def _on_goal_request(self, _goal) -> GoalResponse:
        return GoalResponse.ACCEPT if self.active else GoalResponse.REJECT

    # --- configuration -------------------------------------------------------------------------
    def _turn_settings(self, names: List[str]) -> turn_core.TurnSettings:
        p = self.p
        agents = []
        for name in names:
            a = f"agents.{name}."
            agents.append(AgentConfig(
                name=name, prompt=p[a + "prompt"], paper_word=p[a + "paper_word"],
                endpoint=self._endpoint(a)))
        aggregator = self._endpoint("aggregator.")
        prompts = PromptSet(
            style=p["prompts.style"], aggregator_prompt=p["prompts.aggregator"],
            weighted_aggregator_prompt=p["prompts.weighted_aggregator"],
            paper_agent_template=p["prompts.paper.agent_template"],
            paper_aggregator_template=p["prompts.paper.aggregator_template"],
            paper_emotion_clause=p["prompts.paper.emotion_clause"])
        mapping = {label: parse_mapping_row(p[f"emotion_to_agent.{label}"]) for label in LABELS}
        return turn_core.TurnSettings(
            agents=agents, aggregator=aggregator, prompts=prompts,
            strategy=p["aggregation.strategy"], emotion_to_agent=mapping,
            fallback_reply=p["reply.fallback"], stream_sentences=p["reply.stream_sentences"],
            history_in_agent_prompts=p["memory.in_agent_prompts"],
            agents_deadline=p["agents.deadline"],
            agents_max_sentences=p["agents.max_sentences"],
            first_clause_min_words=p["reply.first_clause_min_words"])

    def _endpoint(self, prefix: str) -> EndpointConfig:
        """An agent's or the aggregator's endpoint; empty base_url / model mean llm.*'s."""
        p = self.p
        base_url = p[prefix + "base_url"] or p["llm.base_url"]
        return EndpointConfig(
            base_url=base_url, model=self._model_name(prefix, base_url),
            api_key_env=p[prefix + "api_key_env"], temperature=p[prefix + "temperature"],
            max_tokens=p[prefix + "max_tokens"], timeout=p[prefix + "timeout"])

    def _model_name(self, prefix: str, base_url: str) -> str:
        """The model to ask for: as configured, or for the embedded server, its model's name."""
        model = self.p[prefix + "model"] or self.p["llm.model"]
        if model:
            return model
        if base_url.rstrip("/") != self.p["local_llm.base_url"].rstrip("/"):
            raise InvalidParameters(f"{prefix}model: must be set for {base_url} (only the "
                                    "embedded server at local_llm.base_url knows its model)")
        path = self.p["local_llm.model_path"]
        return Path(path).stem if path else self.p["local_llm.preset"]

    def _start_local_server_if_needed(self) -> None:
        local = self.p["local_llm.base_url"]
        urls = [e.base_url for e in [a.endpoint for a in self._settings.agents]
                + [self._settings.aggregator]]
        if not self.p["local_llm.autostart"] or not needs_local_server(urls, local):
            return
        try:
            model = resolve_model(self.p["local_llm.preset"], self.p["local_llm.model_path"])
            slots = self.p["local_llm.parallel"] or len(self._settings.agents) + 1
            server = LocalLlmServer(local, model, ServerSettings(
                n_parallel=slots, ctx_per_slot=self.p["local_llm.ctx_per_slot"],
                n_threads=self.p["local_llm.n_threads"]), binary=self.p["local_llm.server_binary"])
            self.get_logger().info(f"starting the embedded LLM server ({server.model_path.name}) "
                                   f"at {local}")
            started = time.monotonic()
            server.start(self.p["local_llm.startup_timeout"])
            self.get_logger().info(f"embedded LLM server answers after "
                                   f"{time.monotonic() - started:.1f} s (pid {server.process.pid})")
            # Restarted when it dies; turns made meanwhile fail with the fallback reply.
            self._local_server = LocalLlmSupervisor(
                server, self._log_from_thread, self.p["local_llm.startup_timeout"])
            self._local_server.watch()
            # A server we started has known slots: one per agent and one for the aggregator.
            self._settings = pin_embedded_slots(self._settings, local, slots)
        except (LocalServerError, LlmModelError) as error:
            # Keep running: turns then fail with a clear error and the fallback reply.
            self._local_server_error = str(error)
            self.get_logger().error(f"cannot start the embedded LLM server: {error}")

    def _log_from_thread(self, level: str, text: str) -> None:
        (self.get_logger().error if level == "error" else self.get_logger().info)(text)

    # --- asyncio loop thread -------------------------------------------------------------------
    def _run_loop(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._wakeup = asyncio.Event()
        self._worker = self._loop.create_task(self._work())
        self._warm_up_task = self._loop.create_task(self._warm_up())
        self._loop_ready.set()
        self._loop.run_forever()

    async def _warm_up(self) -> None:
        endpoints = [a.endpoint for a in self._settings.agents] + [self._settings.aggregator]
        problems = await self._client.warm_up(endpoints)
        for base_url, problem in problems.items():
            self.get_logger().warning(f"LLM server {base_url} did not answer GET /models at start"
                                      f" ({problem}); turns using it may fail")
        if self._local_server is not None and self.p["local_llm.warm_prompts"]:
            started = time.monotonic()
            failures = await warm_prompt_caches(self._client, self._settings,
                                                self.p["local_llm.base_url"])
            for name, problem in failures.items():
                self.get_logger().warning(f"warming the {name} prompt failed: {problem}")
            self.get_logger().info(f"embedded LLM prompts warmed in "
                                   f"{time.monotonic() - started:.1f} s")

    async def _work(self) -> None:
        while True:
            while not self._queue:
                self._wakeup.clear()
                await self._wakeup.wait()
            pending = self._queue.popleft()
            self._current = pending
            try:
                await self._run_turn(pending)
            finally:
                self._current = None

    def _enqueue(self, pending: PendingTurn) -> None:
        """In the loop thread: queue a turn (applying the goal policy and the queue bound)."""
        if pending.source == "goal" and self.p["action.on_new_goal"] == "preempt":
            for waiting in [t for t in self._queue if t.source == "goal"]:
                self._queue.remove(waiting)
                self._finish_unrun(waiting, turn_core.ERROR_PREEMPTED,
                                   f"preempted by goal of turn {pending.turn_id}")
            current = self._current
            if current is not None and current.source == "goal" and current.task is not None:
                current.cancel_reason = (turn_core.ERROR_PREEMPTED,
                                         f"preempted by goal of turn {pending.turn_id}")
                current.task.cancel()
        if len(self._queue) >= self.p["queue.max_pending"]:
            dropped = self._queue.popleft()
            self._stats["dropped"] += 1
            message = (f"dropped unanswered: the queue was full when turn {pending.turn_id} "
                       f"arrived (queue.max_pending={self.p['queue.max_pending']})")
            self.get_logger().error(f"turn {dropped.turn_id} ({dropped.utterance[:60]!r}) {message}")
            self._finish_unrun(dropped, turn_core.ERROR_PREEMPTED, message)
        self._queue.append(pending)
        if self._current is not None or len(self._queue) > 1:
            self._goal_feedback(pending, turn_core.STAGE_QUEUED, "", "")
        self._wakeup.set()

    def _cancel(self, pending: PendingTurn, code: int, message: str) -> None:
        """In the loop thread: cancel a waiting or running turn."""
        if pending in self._queue:
            self._queue.remove(pending)
            self._finish_unrun(pending, code, message)
        elif pending is self._current and pending.task is not None:
            pending.cancel_reason = (code, message)
            pending.task.cancel()

    def _finish_unrun(self, pending: PendingTurn, code: int, message: str) -> None:
        scores, emotion, used, emotion_source = self._emotion_for(pending)
        result = turn_core.TurnResult(user_text=pending.utterance, emotion=emotion,
                                      started_at=pending.received_at)
        result.weights = []
        result.emotion_source = emotion_source
        self._finish(pending, result.fail(code, message, ""), used)

    def _emotion_for(self, pending: PendingTurn):
        """Scores, UserEmotion, the EmotionState used, and which emotion that is (for the turn)."""
        during = None
        if pending.override is not None:
            reading = _reading(pending.override, time.monotonic())
            source, note = pending.override, "the goal's emotion"
            timeout = float("inf")
        else:
            if pending.spoken_between is not None:
                during = self._emotion_history.during(*pending.spoken_between, time.monotonic())
            if during is not None:
                reading, note = during.reading, during.describe()
                source = _mean_emotion_msg(reading)
            else:
                latest = self._latest_emotion
                source, reading = latest if latest else (None, None)
                note = ("the latest EmotionState (none during the utterance)" if pending.spoken_between
                        else "the latest EmotionState")
            timeout = self.p["emotion.timeout"]
        scores, emotion = effective_emotion(reading, time.monotonic(), timeout)
        if emotion.fallback_reason:
            note = f"neutral: {emotion.fallback_reason} ({note})"
        return scores, emotion, _emotion_msg_from_scores(scores, emotion, source), note

    async def _run_turn(self, pending: PendingTurn) -> None:
        scores, emotion, used, emotion_source = self._emotion_for(pending)
        result = turn_core.TurnResult(user_text=pending.utterance, emotion=emotion,
                                      started_at=pending.received_at)
        result.emotion_source = emotion_source
        if pending.invalid_reason:
            self._finish(pending, result.fail(turn_core.ERROR_INVALID_GOAL,
                                              pending.invalid_reason, ""), used)
            return
        publish_reply = pending.source == "transcript" or self.p["action.publish_reply"]
        hooks = turn_core.TurnHooks(
            on_stage=lambda stage, agent, text: self._goal_feedback(pending, stage, agent, text),
            on_sentence=(self._publish_reply if publish_reply else (lambda _s: None)))
        pending.task = asyncio.ensure_future(turn_core.run_turn(
            self._client, self._settings, result, scores, self._memory.history(), hooks))
        try:
            await pending.task
        except asyncio.CancelledError:
            if pending.cancel_reason is None:  # node shutdown
                result.fail(turn_core.ERROR_CANCELED, "dialogue node shutting down", "")
                self._finish(pending, result, used)
                raise
            result.fail(*pending.cancel_reason, "")
        except Exception as error:  # a bug must not stop the worker: report it on the turn
            self.get_logger().error(f"turn {pending.turn_id}: internal error: {error!r}")
            result.fail(turn_core.ERROR_INTERNAL, redact(f"internal error: {error!r}",
                                                         self._secrets),
                        self._settings.fallback_reply)
        if result.error_code in (turn_core.ERROR_ALL_AGENTS_FAILED,
                                 turn_core.ERROR_AGGREGATOR_FAILED, turn_core.ERROR_INTERNAL) \
                and publish_reply:
            self._publish_reply(result.reply)
        if result.success:
            self._memory.add(pending.utterance, result.reply)
        self._finish(pending, result, used)

    # --- results out ---------------------------------------------------------------------------
    def _finish(self, pending: PendingTurn, result: turn_core.TurnResult,
                emotion_used: EmotionState) -> None:
        """Publish the DialogueTurn (exactly one per request) and complete a waiting goal."""
        self._stats["turns"] += 1
        self._stats["last_latency"] = result.latency
        self._stats["last_stages"] = (
            f"agents first token {min((a.first_token_latency for a in result.answers if a.first_token_latency >= 0), default=-1.0):.2f} s, "
            f"agents done {result.agents_latency:.2f} s, aggregator first token "
            f"{result.aggregator_first_token_latency:.2f} s, first sentence {result.first_sentence_latency:.2f} s")
        if not self.context.ok():
            # Ctrl-C has already shut the ROS context down: nothing can be published any more.
            print(f"dialogue_node: turn {pending.turn_id} ended at shutdown "
                  f"({result.error_message}); its DialogueTurn cannot be published",
                  file=sys.stderr, flush=True)
            if pending.done is not None and not pending.done.done():
                pending.done.cancel()
            return
        interrupted = result.error_code in (turn_core.ERROR_CANCELED, turn_core.ERROR_PREEMPTED)
        for answer in result.answers:
            if interrupted and answer.error == turn_core.NOT_ANSWERED:
                answer.error = f"interrupted before answering: {result.error_message}"
            elif not answer.ok:
                self.get_logger().warning(f"turn {pending.turn_id}: agent {answer.agent} failed: "
                                          f"{answer.error}")
        if not result.success:
            self._stats["failed_turns"] += 1
            self._stats["last_error"] = result.error_message
            self.get_logger().warning(f"turn {pending.turn_id} failed (code {result.error_code}): "
                                      f"{result.error_message}")
        else:
            self.get_logger().info(f"turn {pending.turn_id} done in {result.latency:.2f} s "
                                   f"(agents {result.agents_latency:.2f} s, first sentence "
                                   f"{result.first_sentence_latency:.2f} s)")
        replies = [AgentReply(agent=a.agent, model=a.model, text=a.text if a.ok else "", ok=a.ok,
                              error=redact(a.error, self._secrets), latency=float(a.latency),
                              first_token_latency=float(a.first_token_latency))
                   for a in result.answers]
        msg = DialogueTurn(turn_id=pending.turn_id, user_text=pending.utterance,
                           emotion=emotion_used, agent_replies=replies,
                           agent_weights=[float(w) for w in result.weights],
                           aggregation_strategy=self._settings.strategy, reply=result.reply,
                           reply_source=result.reply_source, emotion_source=result.emotion_source,
                           success=result.success, error_code=result.error_code,
                           error_message=redact(result.error_message, self._secrets),
                           latency=float(result.latency),
                           agents_latency=float(result.agents_latency if result.answers else -1.0),
                           aggregator_first_token_latency=float(result.aggregator_first_token_latency),
                           first_sentence_latency=float(result.first_sentence_latency))
        msg.header.stamp = self.get_clock().now().to_msg()
        self._turn_pub.publish(msg)
        if pending.done is not None and not pending.done.done():
            pending.done.set_result(Respond.Result(
                reply=msg.reply, agent_replies=replies, emotion_used=emotion_used,
                success=msg.success, error_code=msg.error_code, error_message=msg.error_message))

    def _publish_reply(self, text: str) -> None:
        if text.strip():
            self._reply_pub.publish(String(data=text))

    def _goal_feedback(self, pending: PendingTurn, stage: str, agent: str, text: str) -> None:
        if pending.goal_handle is None:
            return
        try:
            pending.goal_handle.publish_feedback(
                Respond.Feedback(stage=stage, agent=agent, partial_text=text))
        except Exception as error:  # goal already finished or node shutting down
            self.get_logger().debug(f"feedback not sent: {error}")

    # --- ROS callbacks -------------------------------------------------------------------------
    def _new_pending(self, utterance: str, source: str, **kwargs) -> PendingTurn:
        pending = PendingTurn(turn_id=next(self._turn_ids), utterance=utterance, source=source,
                              received_at=time.monotonic(), **kwargs)
        text = utterance.strip()
        limit = self.p["max_utterance_chars"]
        if not text:
            pending.invalid_reason = "empty utterance"
            self._log.warning(f"{source} with an empty utterance: no reply (turn "
                              f"{pending.turn_id} reported as failed)")
        elif len(text) > limit:
            self._log.warning(f"utterance of {len(text)} characters cut to {limit} "
                              "(max_utterance_chars)")
            text = text[:limit]
        pending.utterance = text
        return pending

    def _on_transcript(self, msg: Transcript) -> None:
        if not msg.is_final:
            return
        span = (seconds_from_stamp(msg.utterance_start), seconds_from_stamp(msg.utterance_end))
        pending = self._new_pending(msg.text, "transcript",
                                    spoken_between=span if 0 < span[0] < span[1] else None)
        self._loop.call_soon_threadsafe(self._enqueue, pending)

    def _on_emotion(self, msg: EmotionState) -> None:
        problem = emotion_problem(msg.labels, msg.scores)
        if problem:
            self._log.warning(f"EmotionState ignored: {problem}")
            return
        reading = _reading(msg, time.monotonic())
        self._latest_emotion = (msg, reading)
        stamp = seconds_from_stamp(msg.header.stamp) or now_seconds(self)
        self._emotion_history.add(stamp, reading)

    async def _execute_goal(self, goal_handle):
        goal = goal_handle.request
        override = goal.emotion if goal.override_emotion else None
        problem = emotion_problem(override.labels, override.scores) if override else None
        pending = self._new_pending(goal.utterance, "goal", override=override,
                                    goal_handle=goal_handle, done=Future(executor=self.executor))
        # A done callback makes set_result (from the loop thread) wake the executor, which then
        # resumes this coroutine at once instead of at its next unrelated wake-up.
        pending.done.add_done_callback(lambda _future: None)
        if problem and not pending.invalid_reason:
            pending.invalid_reason = f"goal emotion unusable: {problem}"
            pending.override = None
        goal_handle._insideout_pending = pending  # found again by the cancel callback
        self._loop.call_soon_threadsafe(self._enqueue, pending)
        result: Optional[Respond.Result] = await pending.done
        if result is None:  # the node shut down under this goal
            goal_handle.abort()
            return Respond.Result(reply="", success=False, error_code=turn_core.ERROR_CANCELED,
                                  error_message="dialogue node shutting down")
        if result.success:
            goal_handle.succeed()
        elif result.error_code == turn_core.ERROR_CANCELED and goal_handle.is_cancel_requested:
            goal_handle.canceled()
        else:
            goal_handle.abort()
        return result

    def _on_cancel_request(self, goal_handle) -> CancelResponse:
        pending = getattr(goal_handle, "_insideout_pending", None)
        if pending is None:
            return CancelResponse.REJECT
        self._loop.call_soon_threadsafe(self._cancel, pending, turn_core.ERROR_CANCELED,
                                        "canceled by the action client")
        return CancelResponse.ACCEPT

    def _on_reset_memory(self, _request, response):
        if self._loop is None:  # not configured: no turn can be using the memory
            response.success, response.message = True, f"forgot {self._memory.reset()} turns"
            return response
        future = asyncio.run_coroutine_threadsafe(self._reset_memory(), self._loop)
        try:
            count = future.result(timeout=5.0)
            response.success, response.message = True, f"forgot {count} turns"
        except Exception as error:
            response.success, response.message = False, f"reset failed: {error!r}"
        return response

    async def _reset_memory(self) -> int:
        return self._memory.reset()

    def _report(self):
        values = {"turns": self._stats["turns"], "failed_turns": self._stats["failed_turns"],
                  "dropped_turns": self._stats["dropped"], "waiting": len(self._queue),
                  "busy": self._current is not None,
                  "last_latency_s": f"{self._stats['last_latency']:.2f}",
                  "last_turn_stages": self._stats.get("last_stages", "n/a"),
                  "strategy": self._settings.strategy, "prompt_style": self._settings.prompts.style,
                  "memory_turns": len(self._memory)}
        if self._local_server is not None:
            server = self._local_server.status()
            values["local_llm"] = server.state
            values["local_llm_model"] = self._local_server.server.model_path.name
            values["local_llm_restarts"] = server.restarts
            if server.state != RUNNING:
                values["local_llm_last_exit_code"] = server.last_exit_code
                return diagnostics.ERROR, "embedded LLM server exited; restarting it" + (
                    f" (last attempt: {server.last_error})" if server.last_error else ""), values
        if self._local_server_error:
            return diagnostics.ERROR, "embedded LLM server could not start: " + \
                self._local_server_error, values
        if self._stats["last_error"]:
            values["last_error"] = self._stats["last_error"]
            return diagnostics.WARN, "some turns failed", values
        return diagnostics.OK, "ok", values

    # --- shutdown ------------------------------------------------------------------------------
    def expected_unused_parameter(self, name: str) -> bool:
        """config/prompts.yaml sets every default agent's prompt: not a mistake when
        agents.names leaves one of them out."""
        parts = name.split(".")
        return (len(parts) == 3 and parts[0] == "agents" and parts[1] in DEFAULT_AGENTS
                and parts[1] not in self.p["agents.names"])

    def release(self) -> None:
        """Cancel the running turn (closing its HTTP requests), stop the loop and the server."""
        async def shutdown():
            # The warm-up too: left pending, its requests outlived the server they warm.
            for task in (self._warm_up_task, self._worker):
                task.cancel()
            await asyncio.gather(self._warm_up_task, self._worker, return_exceptions=True)
            for waiting in list(self._queue):
                self._finish_unrun(waiting, turn_core.ERROR_CANCELED, "dialogue node shutting down")
            self._queue.clear()
            await self._client.close()

        if self._loop is not None and self._loop.is_running():
            try:
                asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(timeout=5.0)
            except Exception as error:
                self.get_logger().error(f"shutdown: {error!r}")
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._loop_thread.join(timeout=5.0)
        self._loop = None
        if self._action is not None:
            self._action.destroy()
            self._action = None
        if self._local_server is not None:
            self._local_server.stop()
            self._local_server = None
            self.get_logger().info("embedded LLM server stopped")

def main(args=None):
    sys.exit(run_node(DialogueNode, args))


if __name__ == "__main__":
    main()
