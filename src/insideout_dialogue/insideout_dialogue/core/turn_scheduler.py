"""Runs dialogue turns one at a time, in order, in its own asyncio loop thread.

The dialogue node hands every utterance (a final Transcript or a Respond goal) to `submit()`,
from any thread, and gets a `concurrent.futures.Future` of its `TurnResult`. The scheduler owns
the policies: a bounded queue (when full, the oldest waiting turn is dropped as failed), what a new
goal does to running or waiting goals (queue behind, or preempt them), cancellation, the fallback
reply when agents or the aggregator fail, a reply the user talks over (`interrupt`), and the
conversation memory. It reports through a `TurnListener` (stage feedback, reply sentences, each
finished turn), so every request ends in exactly one `on_turn_finished`, failures included.

No ROS here: the node supplies the emotion to use for a request (`emotion_for`) and turns
results into messages.
"""

import asyncio
import concurrent.futures
import re
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from insideout_dialogue.core import dialogue_turn as turn_core
from insideout_dialogue.core.agent_config import redact
from insideout_dialogue.core.conversation_memory import ConversationMemory
from insideout_dialogue.core.dialogue_turn import TurnResult, TurnSettings
from insideout_dialogue.core.llm_client import LlmClient
from insideout_dialogue.core.prompts import UserEmotion

GOAL_POLICIES = ("queue", "preempt")
# A final under a recent final's utterance id this soon [s] is that utterance again (the ASR's
# ids begin again when it restarts).
SAME_UTTERANCE_WITHIN_S = 30.0
# Errors after which the fallback reply is spoken (run_turn put it into the result).
_SPEAK_FALLBACK = (
    turn_core.ERROR_ALL_AGENTS_FAILED,
    turn_core.ERROR_AGGREGATOR_FAILED,
    turn_core.ERROR_INTERNAL,
)


@dataclass
class TurnEmotion:
    """The emotion a turn is conditioned on: scores, the UserEmotion for the prompts, what it is
    (for the DialogueTurn), and the node's own record of it (an EmotionState)."""

    scores: dict[str, float]
    emotion: UserEmotion
    note: str
    record: object = None


@dataclass(eq=False)
class TurnRequest:
    """One utterance waiting for or going through a turn."""

    turn_id: int
    utterance: str
    source: str  # "transcript" or "goal"
    received_at: float  # monotonic [s]
    publish_reply: bool = True  # reply sentences go to on_sentence
    invalid_reason: str = ""  # a request that cannot run: finished as ERROR_INVALID_GOAL
    context: object = None  # the node's own data (goal handle, emotion override, ...)
    emotion: TurnEmotion | None = None  # set when the turn starts (or ends unrun)
    result: TurnResult | None = None  # set when the turn starts: weights, answers so far
    cancel_reason: tuple[int, str] | None = None
    future: "concurrent.futures.Future[TurnResult]" = field(
        default_factory=concurrent.futures.Future
    )
    task: asyncio.Task | None = None
    # Transcripts: the ASR's utterance id (a continued utterance comes again under the same id).
    utterance_id: int | None = None
    sentences: list[str] = field(default_factory=list)  # reply sentences handed to the listener
    withdrawn: bool = False  # superseded before it was answered: ends without a report
    heard: str | None = None  # set when the user talked over its reply: what they heard

    @property
    def is_goal(self) -> bool:
        return self.source == "goal"

    @property
    def sentences_out(self) -> int:
        return len(self.sentences)


def _words(text: str) -> list:
    return re.findall(r"[a-z0-9']+", text.lower())


class TurnListener(Protocol):
    def emotion_for(self, request: TurnRequest) -> TurnEmotion: ...

    def on_stage(self, request: TurnRequest, stage: str, agent: str, text: str) -> None: ...

    def on_sentence(self, request: TurnRequest, sentence: str) -> None: ...

    def on_turn_finished(self, request: TurnRequest, result: TurnResult) -> None: ...

    def on_log(self, level: str, message: str) -> None: ...


@dataclass
class SchedulerSettings:
    max_pending: int = 8
    goal_policy: str = "queue"  # one of GOAL_POLICIES
    memory_turns: int = 2
    memory_expiry: float = 120.0


class TurnScheduler:
    def __init__(
        self,
        turn_settings: TurnSettings,
        settings: SchedulerSettings,
        client: LlmClient,
        listener: TurnListener,
        secrets=(),
    ):
        self.turn_settings = turn_settings
        self.settings = settings
        self.client = client
        self.listener = listener
        self.secrets = tuple(secrets)
        self.memory = ConversationMemory(settings.memory_turns, settings.memory_expiry)
        self.dropped = 0
        self._queue: deque[TurnRequest] = deque()
        self._current: TurnRequest | None = None
        # The latest request of each recent utterance id (a continued utterance comes again).
        self._by_utterance: OrderedDict[int, TurnRequest] = OrderedDict()
        self._loop = asyncio.new_event_loop()
        self._wakeup: asyncio.Event | None = None
        self._tasks: list = []
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run_loop, args=(ready,), name="dialogue-asyncio", daemon=True
        )
        self._thread.start()
        ready.wait(5.0)

    # --- from any thread -----------------------------------------------------------------------
    def submit(self, request: TurnRequest) -> "concurrent.futures.Future[TurnResult]":
        self._loop.call_soon_threadsafe(self._enqueue, request)
        return request.future

    def cancel(self, request: TurnRequest, code: int, message: str) -> None:
        self._loop.call_soon_threadsafe(self._cancel, request, code, message)

    def withdraw_utterance(self, utterance_id: int, why: str) -> None:
        """The user went on speaking after utterance `utterance_id`'s transcript: its turn, if
        waiting or running with nothing said yet, is dropped without a DialogueTurn (the whole
        utterance comes again under the same id and gets the one turn)."""
        self._loop.call_soon_threadsafe(self._withdraw, utterance_id, why)

    def interrupt(self, turn_id: int, heard: str, message: str) -> None:
        """The user talked over turn `turn_id`'s reply after hearing `heard` of it. Still running:
        it ends with ERROR_INTERRUPTED (no more sentences). Either way the memory keeps only what
        was heard, marked interrupted."""
        self._loop.call_soon_threadsafe(self._interrupt, turn_id, heard, message)

    def cancel_all(self, message: str, timeout: float = 5.0) -> None:
        """Cancel the running and waiting turns and wait until they have finished."""
        self._call(self._cancel_all(message), timeout)

    def run_soon(self, make_coroutine: Callable[[], object]) -> None:
        """Run a coroutine (e.g. a warm-up) in the loop; cancelled by close()."""
        self._loop.call_soon_threadsafe(
            lambda: self._tasks.append(self._loop.create_task(make_coroutine()))
        )

    def reset_memory(self, timeout: float = 5.0) -> int:
        return self._call(self._reset_memory(), timeout)

    @property
    def waiting(self) -> int:
        return len(self._queue)

    @property
    def busy(self) -> bool:
        return self._current is not None

    def close(self, timeout: float = 5.0) -> None:
        """Cancel everything (closing its HTTP requests), then stop the loop thread."""
        if not self._loop.is_running():
            return
        try:
            self._call(self._shutdown(), timeout)
        except Exception as error:  # report, but stop the loop anyway
            self.listener.on_log("error", f"shutdown: {error!r}")
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=timeout)

    def _call(self, coroutine, timeout: float):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=timeout)

    # --- in the loop thread --------------------------------------------------------------------
    def _run_loop(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._wakeup = asyncio.Event()
        self._tasks.append(self._loop.create_task(self._work()))
        ready.set()
        self._loop.run_forever()

    async def _work(self) -> None:
        while True:
            while not self._queue:
                self._wakeup.clear()
                await self._wakeup.wait()
            request = self._queue.popleft()
            self._current = request
            try:
                await self._run_turn(request)
            finally:
                self._current = None

    def _answered_already(self, request: TurnRequest) -> bool:
        """A final that repeats the words of its utterance's turn, kept because its reply had
        begun (the user's resumed speech added none): answering it again would say it twice."""
        if request.utterance_id is None:
            return False
        earlier = self._by_utterance.get(request.utterance_id)
        self._by_utterance[request.utterance_id] = request
        self._by_utterance.move_to_end(request.utterance_id)
        while len(self._by_utterance) > 32:
            self._by_utterance.popitem(last=False)
        return (
            earlier is not None
            and not earlier.withdrawn
            and request.received_at - earlier.received_at < SAME_UTTERANCE_WITHIN_S
            and _words(earlier.utterance) == _words(request.utterance)
        )

    def _enqueue(self, request: TurnRequest) -> None:
        """Queue a turn, applying the goal policy and the queue bound."""
        if self._answered_already(request):
            request.withdrawn = True
            self._end_withdrawn(
                request,
                f"utterance {request.utterance_id} came again with the "
                "same words as its turn, which is answering it",
            )
            return
        if request.is_goal and self.settings.goal_policy == "preempt":
            reason = f"preempted by goal of turn {request.turn_id}"
            for waiting in [t for t in self._queue if t.is_goal]:
                self._queue.remove(waiting)
                self._finish_unrun(waiting, turn_core.ERROR_PREEMPTED, reason)
            current = self._current
            if current is not None and current.is_goal and current.task is not None:
                current.cancel_reason = (turn_core.ERROR_PREEMPTED, reason)
                current.task.cancel()
        if len(self._queue) >= self.settings.max_pending:
            dropped = self._queue.popleft()
            self.dropped += 1
            message = (
                f"dropped unanswered: the queue was full when turn {request.turn_id} "
                f"arrived (queue.max_pending={self.settings.max_pending})"
            )
            self.listener.on_log(
                "error", f"turn {dropped.turn_id} ({dropped.utterance[:60]!r}) {message}"
            )
            self._finish_unrun(dropped, turn_core.ERROR_PREEMPTED, message)
        self._queue.append(request)
        if self._current is not None or len(self._queue) > 1:
            self.listener.on_stage(request, turn_core.STAGE_QUEUED, "", "")
        self._wakeup.set()

    def _cancel(self, request: TurnRequest, code: int, message: str) -> None:
        if request in self._queue:
            self._queue.remove(request)
            self._finish_unrun(request, code, message)
        elif request is self._current and request.task is not None:
            request.cancel_reason = (code, message)
            request.task.cancel()

    def _interrupt(self, turn_id: int, heard: str, message: str) -> None:
        current = self._current
        if current is not None and current.turn_id == turn_id and not current.future.done():
            # Also when its task has just ended: _run_turn checks `heard` before reporting.
            current.heard = heard
            current.cancel_reason = (turn_core.ERROR_INTERRUPTED, message)
            if current.task is not None:
                current.task.cancel()
            return
        self.memory.interrupt(turn_id, heard)

    def _withdraw(self, utterance_id: int, why: str) -> None:
        for waiting in [t for t in self._queue if t.utterance_id == utterance_id]:
            self._queue.remove(waiting)
            self._end_withdrawn(waiting, why)
        current = self._current
        if current is None or current.utterance_id != utterance_id or current.task is None:
            return
        if current.sentences_out:
            self.listener.on_log(
                "info",
                f"turn {current.turn_id}: utterance {utterance_id} goes "
                "on, but its reply has begun: the turn is kept",
            )
            return
        current.withdrawn = True
        current.cancel_reason = (turn_core.ERROR_CANCELED, why)
        current.task.cancel()

    def _end_withdrawn(self, request: TurnRequest, why: str) -> None:
        request.withdrawn = True
        self.listener.on_log("info", f"turn {request.turn_id} dropped unanswered: {why}")
        if not request.future.done():
            request.future.set_result(
                self._new_result(request).fail(turn_core.ERROR_CANCELED, why, "")
            )

    async def _cancel_all(self, message: str) -> None:
        running = self._current
        for request in list(self._queue) + ([running] if running else []):
            self._cancel(request, turn_core.ERROR_CANCELED, message)
        if running is not None:
            await asyncio.wait([asyncio.wrap_future(running.future)])

    async def _reset_memory(self) -> int:
        return self.memory.reset()

    async def _shutdown(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for waiting in list(self._queue):
            self._finish_unrun(waiting, turn_core.ERROR_CANCELED, "dialogue node shutting down")
        self._queue.clear()
        await self.client.close()

    def _new_result(self, request: TurnRequest) -> TurnResult:
        request.emotion = self.listener.emotion_for(request)
        result = TurnResult(
            user_text=request.utterance,
            emotion=request.emotion.emotion,
            started_at=request.received_at,
        )
        result.emotion_source = request.emotion.note
        request.result = result
        return result

    def _finish_unrun(self, request: TurnRequest, code: int, message: str) -> None:
        result = self._new_result(request)
        result.weights = []
        self._finish(request, result.fail(code, message, ""))

    async def _run_turn(self, request: TurnRequest) -> None:
        result = self._new_result(request)
        if request.invalid_reason:
            self._finish(
                request, result.fail(turn_core.ERROR_INVALID_GOAL, request.invalid_reason, "")
            )
            return
        hooks = turn_core.TurnHooks(
            on_stage=lambda stage, agent, text: self.listener.on_stage(request, stage, agent, text),
            on_sentence=lambda sentence: self._sentence(request, sentence),
        )
        request.task = asyncio.ensure_future(
            turn_core.run_turn(
                self.client,
                self.turn_settings,
                result,
                request.emotion.scores,
                self.memory.history(),
                hooks,
            )
        )
        try:
            await request.task
        except asyncio.CancelledError:
            if request.cancel_reason is None:  # the scheduler is closing
                self._finish(
                    request,
                    result.fail(turn_core.ERROR_CANCELED, "dialogue node shutting down", ""),
                )
                raise
            if request.heard is None:  # else _fail_interrupted below, keeping the reply's source
                result.fail(*request.cancel_reason, "")
            if request.withdrawn:
                self._end_withdrawn(request, request.cancel_reason[1])
                return
        except Exception as error:  # a bug must not stop the worker: report it on the turn
            self.listener.on_log("error", f"turn {request.turn_id}: internal error: {error!r}")
            result.fail(
                turn_core.ERROR_INTERNAL,
                redact(f"internal error: {error!r}", self.secrets),
                self.turn_settings.fallback_reply,
            )
        if request.heard is not None:
            self._fail_interrupted(request, result)
        elif result.error_code in _SPEAK_FALLBACK:
            self._sentence(request, result.reply)
        if result.success:
            self.memory.add(request.utterance, result.reply, request.turn_id)
        elif request.heard is not None:
            self.memory.add(request.utterance, request.heard, request.turn_id, interrupted=True)
        self._finish(request, result)

    def _fail_interrupted(self, request: TurnRequest, result: TurnResult) -> None:
        """The reply is what was written (and published) until the user talked over it."""
        source = result.reply_source
        result.fail(
            turn_core.ERROR_INTERRUPTED, request.cancel_reason[1], " ".join(request.sentences)
        )
        result.reply_source, result.reply_spoken = source, request.heard

    def _sentence(self, request: TurnRequest, sentence: str) -> None:
        if request.publish_reply and sentence.strip():
            request.sentences.append(sentence)
            self.listener.on_sentence(request, sentence)

    def _finish(self, request: TurnRequest, result: TurnResult) -> None:
        interrupted = result.error_code in (
            turn_core.ERROR_CANCELED,
            turn_core.ERROR_PREEMPTED,
            turn_core.ERROR_INTERRUPTED,
        )
        for answer in result.answers:
            if interrupted and answer.error == turn_core.NOT_ANSWERED:
                answer.error = f"interrupted before answering: {result.error_message}"
        try:
            self.listener.on_turn_finished(request, result)
        finally:
            if not request.future.done():
                request.future.set_result(result)
