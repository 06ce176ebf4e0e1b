"""A Respond goal's result waits for its reply's speech: spoken completely, cut off by the user
(ERROR_INTERRUPTED), the goal cancelled, or the bound passed (docs/nodes/dialogue_node.md,
barge-in).
"""

from insideout_common.ros.executor_future import executor_future
from insideout_dialogue.core import dialogue_turn as turn_core
from insideout_dialogue.core import speech_wait
from insideout_dialogue.core.speech_wait import SpeechWait, SpeechWaitEnd
from insideout_dialogue.core.spoken_replies import SpokenReplies
from insideout_dialogue.core.turn_scheduler import TurnRequest
from insideout_dialogue.nodes.speech_feedback import SpeechFeedback
from insideout_msgs.action import Respond
from insideout_msgs.msg import DialogueTurn

CANCELED_WHILE_SPOKEN = "canceled by the action client while its reply was spoken"


class GoalSpeech:
    def __init__(self, node, spoken: SpokenReplies, reply_publisher, feedback: SpeechFeedback, log):
        self._node = node
        self._spoken = spoken
        self._reply_publisher = reply_publisher
        self._feedback = feedback
        self._log = log

    def expected(self, request: TurnRequest, turn: DialogueTurn) -> bool:
        """Wait only for a reply that went out (and is not cut off already) to a speaker that
        will say how it went; else the result comes at once."""
        return (
            request.sentences_out > 0
            and turn.error_code != turn_core.ERROR_INTERRUPTED
            and self._reply_publisher.get_subscription_count() > 0
            and self._feedback.speaker_reports()
        )

    async def settle(
        self, request: TurnRequest, turn: DialogueTurn, result: Respond.Result
    ) -> None:
        """Wait for the reply's speech, then complete `result` with how it went."""
        self._apply(request, result, await self._wait(request, turn))

    @staticmethod
    def cancel(request: TurnRequest, message: str = CANCELED_WHILE_SPOKEN) -> None:
        request.context.cancel_requested = True
        wait = request.context.speech_wait
        if wait is not None:
            wait.cancel(message)

    @staticmethod
    def stop_waiting(requests, message: str) -> None:
        """End every wait (the goals abort: their clients asked for nothing)."""
        for request in list(requests):
            if request.context.speech_wait is not None:
                request.context.speech_wait.cancel(message)

    async def _wait(self, request: TurnRequest, turn: DialogueTurn) -> SpeechWaitEnd:
        outcome = self._spoken.outcome(request.turn_id)
        if outcome is None:  # forgotten already
            return SpeechWaitEnd(speech_wait.FORGOTTEN)
        wait = SpeechWait(outcome, speech_wait.wait_bound(turn.reply))
        request.context.speech_wait = wait
        if request.context.cancel_requested:  # asked while the turn ended
            wait.cancel(CANCELED_WHILE_SPOKEN)
        try:
            await executor_future(wait.future, self._node.executor)
        finally:
            wait.close()
            request.context.speech_wait = None
        return wait.future.result()

    def _apply(self, request: TurnRequest, result: Respond.Result, end: SpeechWaitEnd) -> None:
        if end.how == speech_wait.SPOKEN:
            result.reply_spoken = end.outcome.heard
        elif end.how == speech_wait.INTERRUPTED:
            # A failed turn's fallback reply cut off keeps its own error.
            if result.success:
                result.success, result.error_code = False, turn_core.ERROR_INTERRUPTED
                result.error_message = end.outcome.describe()
            result.reply_spoken = end.outcome.heard
        elif end.how == speech_wait.CANCELED:
            result.success, result.error_code = False, turn_core.ERROR_CANCELED
            result.error_message = end.message
        else:  # the speaker never said: the result goes out as the turn's
            self._log.warning(
                f"goal of turn {request.turn_id}: its reply's speech was not "
                f"reported ({end.message or 'turn forgotten'}); result sent anyway",
                kind="speech wait",
            )
