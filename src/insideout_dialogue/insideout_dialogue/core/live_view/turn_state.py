"""Whose turn it is, as one state for the live view's header, folded from the pipeline's signals.

Precedence, first that holds:
  user pausing   the user is in a pause the end-of-turn model heard as unfinished (user_pausing)
  user speaking  the user's voice is in an utterance (user_speaking); shown as "interrupted" while
                 the user talks over a reply they have just cut off (barge-in)
  speaking       the robot speaks (robot_speaking)
  thinking       a turn runs: TurnProgress came and its DialogueTurn has not
  interrupted    the robot was cut off (ReplyInterrupted), until the next turn runs, the robot
                 speaks again or the user starts speaking anew
  listening      none of these

Messages on different topics can arrive in either order, so each input is read defensively: the
end of the user's utterance ends their pause too, a cut-off robot is not speaking until it says
so again, and a turn's late TurnProgress after it ended does not start it again.

Not thread-safe: web_view_node calls it from its one executor thread.
"""

from collections import deque

from insideout_dialogue.core.live_view.page_events import turn_state_event

LISTENING = "listening"
USER_SPEAKING = "user speaking"
USER_PAUSING = "user pausing"
THINKING = "thinking"
SPEAKING = "speaking"
INTERRUPTED = "interrupted"
STATES = (LISTENING, USER_SPEAKING, USER_PAUSING, THINKING, SPEAKING, INTERRUPTED)

STAGE_QUEUED = "queued"  # TurnProgress.STAGE_QUEUED: waiting behind the running turn


class TurnStateTracker:
    """Each input returns the page event of the new state when the state changed, else None."""

    def __init__(self, remembered_ended_turns: int = 16):
        self.state = LISTENING
        self._user_speaking = False
        self._user_pausing = False
        self._robot_speaking = False
        self._interrupted = False
        self._running_turn: int | None = None  # the turn dialogue_node is generating
        self._queued_turns: set[int] = set()
        self._ended_turns: deque[int] = deque(maxlen=remembered_ended_turns)

    def event(self, now: float | None = None) -> dict:
        """The current state as a page event (e.g. for a page when the node activates)."""
        return turn_state_event(self.state, now)

    # -- inputs ---------------------------------------------------------------------------------
    def user_speaking(self, on: bool, now: float | None = None) -> dict | None:
        on = bool(on)
        if on and not self._user_speaking:
            self._interrupted = False  # a new utterance: the cut-off reply is past
        if not on:
            self._user_pausing = False  # the utterance ended, and its pause with it
        self._user_speaking = on
        return self._changed(now)

    def user_pausing(self, on: bool, now: float | None = None) -> dict | None:
        self._user_pausing = bool(on)
        return self._changed(now)

    def robot_speaking(self, on: bool, now: float | None = None) -> dict | None:
        on = bool(on)
        if on and not self._robot_speaking:
            self._interrupted = False
        self._robot_speaking = on
        return self._changed(now)

    def turn_progress(self, turn_id: int, stage: str, now: float | None = None) -> dict | None:
        if turn_id in self._ended_turns:
            return None  # sent before the turn ended, arrived after its end
        self._interrupted = False
        if stage == STAGE_QUEUED:
            if turn_id != self._running_turn:
                self._queued_turns.add(turn_id)
        elif turn_id != self._running_turn:
            # dialogue_node runs one turn at a time, oldest first: any other running turn has
            # ended (a withdrawn one ends without a DialogueTurn), and so have older queued ones.
            if self._running_turn is not None:
                self._ended_turns.append(self._running_turn)
            self._running_turn = turn_id
            self._queued_turns = {t for t in self._queued_turns if t > turn_id}
        return self._changed(now)

    def turn_finished(self, turn_id: int, now: float | None = None) -> dict | None:
        """Its DialogueTurn: generation is over (the robot may still be speaking the reply)."""
        self._end_turn(turn_id)
        return self._changed(now)

    def reply_interrupted(self, now: float | None = None) -> dict | None:
        """tts_node cut the robot off (the user talked over it, or its stop service)."""
        self._interrupted = True
        self._robot_speaking = False  # its "false" may come later; a "true" is speech again
        if self._running_turn is not None:
            self._end_turn(self._running_turn)  # dialogue_node ends the turn it was speaking
        return self._changed(now)

    # -- state ------------------------------------------------------------------------------------
    def _end_turn(self, turn_id: int) -> None:
        self._ended_turns.append(turn_id)
        self._queued_turns.discard(turn_id)
        if self._running_turn == turn_id:
            self._running_turn = None

    def _current(self) -> str:
        if self._user_pausing:
            return USER_PAUSING
        if self._user_speaking:
            return INTERRUPTED if self._interrupted else USER_SPEAKING
        if self._robot_speaking:
            return SPEAKING
        if self._running_turn is not None or self._queued_turns:
            return THINKING
        return INTERRUPTED if self._interrupted else LISTENING

    def _changed(self, now: float | None) -> dict | None:
        state = self._current()
        if state == self.state:
            return None
        self.state = state
        return turn_state_event(state, now)
