"""Which reply sentences the user has heard: dialogue_node's record of what tts_node did with them.

dialogue_node publishes a turn's reply sentence by sentence; tts_node reports each one's text as
its audio starts (reply/spoken), whether the robot is speaking (robot_speaking), and a reply cut
off before its end (reply/interrupted: the sentence playing and its words heard). From these,
each turn gets one SpeechOutcome:

- spoken completely: its generation finished, every sentence started, and the robot went quiet
  after the last one started (robot_speaking may also flip false between two sentences when the
  next one comes late; the turn is not complete then, since its generation goes on or a sentence
  has not started);
- interrupted: the sentences started before the cut one, then the cut one's heard words. A turn
  whose sentences were only waiting (dropped by the stop) is interrupted with what had been heard
  of it so far.

Thread-safe: ROS callbacks and the scheduler's loop thread call it. No ROS here.
"""

import concurrent.futures
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

# Turns remembered (a goal asks for its outcome right after its turn; a transcript's turn only
# needs to be found by a later interruption, which comes while its reply plays).
DEFAULT_MAX_TURNS = 32


@dataclass(frozen=True)
class SpeechOutcome:
    turn_id: int
    interrupted: bool
    heard: str  # interrupted: what the user heard; spoken completely: the whole reply
    reason: str = ""  # why it was interrupted: "barge_in", "stop_service"
    generation_finished: bool = True  # False: the turn was still writing its reply

    @property
    def words_heard(self) -> int:
        return len(self.heard.split())

    def describe(self) -> str:
        """ "interrupted by the user after 7 words", as a DialogueTurn's error_message says it."""
        how = {
            "barge_in": "interrupted by the user",
            "stop_service": "stopped by tts_node's stop service",
        }.get(self.reason, f"interrupted ({self.reason or 'no reason given'})")
        words = self.words_heard
        return f"{how} after {words} word{'' if words == 1 else 's'}"


@dataclass
class _Sentence:
    text: str
    started: bool = False
    dropped: bool = False  # waiting when speech was stopped: it will never start


@dataclass
class _Turn:
    turn_id: int
    sentences: list[_Sentence] = field(default_factory=list)
    generation_finished: bool = False
    # robot_speaking went false after the last sentence started (reset by each new sentence)
    quiet_after_last_start: bool = False
    outcome: SpeechOutcome | None = None
    future: "concurrent.futures.Future[SpeechOutcome]" = field(
        default_factory=concurrent.futures.Future
    )

    def all_started(self) -> bool:
        return all(s.started for s in self.sentences)

    def heard_before(self, index: int) -> list[str]:
        return [s.text for s in self.sentences[:index] if s.started]


class SpokenReplies:
    def __init__(self, max_turns: int = DEFAULT_MAX_TURNS):
        self._max_turns = max(1, max_turns)
        self._turns: OrderedDict[int, _Turn] = OrderedDict()
        self._lock = threading.Lock()

    # --- dialogue_node's side --------------------------------------------------------------------
    def sent(self, turn_id: int, sentence: str) -> None:
        """A sentence of `turn_id` is about to be published for speech (record it first: its
        reply/spoken may come back before publish() returns)."""
        with self._lock:
            turn = self._turns.get(turn_id)
            if turn is None:
                turn = self._turns[turn_id] = _Turn(turn_id)
                forgotten = self._forget_oldest()
            else:
                forgotten = []
            turn.sentences.append(_Sentence(sentence))
            turn.quiet_after_last_start = False
        for old in forgotten:  # a goal still waiting on one gets no outcome: its bound ends it
            old.future.cancel()

    def generation_finished(self, turn_id: int) -> None:
        """The turn has published its last sentence (it ended, or failed, or was interrupted)."""
        with self._lock:
            turn = self._turns.get(turn_id)
            if turn is None:
                return
            turn.generation_finished = True
            resolved = self._resolve_if_spoken(turn)
        self._deliver(resolved)

    def is_interrupted(self, turn_id: int) -> bool:
        """The user cut this turn off: publish none of its sentences any more."""
        with self._lock:
            turn = self._turns.get(turn_id)
            return turn is not None and turn.outcome is not None and turn.outcome.interrupted

    def outcome(self, turn_id: int) -> "concurrent.futures.Future[SpeechOutcome] | None":
        """The turn's outcome when known; None for a turn that published nothing (or was
        forgotten). Cancelled when the turn is forgotten before it has one."""
        with self._lock:
            turn = self._turns.get(turn_id)
            return turn.future if turn is not None else None

    # --- tts_node's reports --------------------------------------------------------------------
    def started(self, text: str) -> int | None:
        """reply/spoken: the oldest sent sentence with this exact text that has not started yet
        has started; returns its turn id (None: not one of ours, e.g. published by someone else)."""
        with self._lock:
            for turn in self._turns.values():
                if turn.outcome is not None:
                    continue
                for sentence in turn.sentences:
                    if not sentence.started and not sentence.dropped and sentence.text == text:
                        sentence.started = True
                        turn.quiet_after_last_start = False
                        return turn.turn_id
        return None

    def robot_speaking(self, speaking: bool) -> None:
        if speaking:
            return
        resolved = []
        with self._lock:
            for turn in self._turns.values():
                if turn.outcome is None and turn.sentences and turn.all_started():
                    turn.quiet_after_last_start = True
                    resolved += self._resolve_if_spoken(turn)
        self._deliver(resolved)

    def interrupted(self, reply: str, heard: str, reason: str) -> list[SpeechOutcome]:
        """reply/interrupted: `reply` (one sentence as published; empty when none was playing)
        was cut after `heard`, and every waiting sentence was dropped. Returns the outcome of
        each turn this interrupted, the cut one first."""
        resolved = []
        with self._lock:
            cut = self._find_playing(reply) if reply else None
            if cut is not None:
                turn, index = cut
                turn.sentences[index].started = True
                parts = turn.heard_before(index) + ([heard.strip()] if heard.strip() else [])
                resolved.append(self._interrupt(turn, " ".join(parts), reason))
            # Turns with sentences still waiting lost them: heard is what had started.
            for turn in self._turns.values():
                if turn.outcome is None and any(not s.started for s in turn.sentences):
                    resolved.append(
                        self._interrupt(
                            turn, " ".join(turn.heard_before(len(turn.sentences))), reason
                        )
                    )
        self._deliver(resolved)
        return [turn.outcome for turn in resolved]

    # --- inside the lock -----------------------------------------------------------------------
    def _find_playing(self, reply: str):
        """The sentence that was playing: the newest started one with this text; failing that
        (its reply/spoken not in yet), the oldest waiting one."""
        for turn in reversed(self._turns.values()):
            if turn.outcome is None:
                for index in range(len(turn.sentences) - 1, -1, -1):
                    if turn.sentences[index].started and turn.sentences[index].text == reply:
                        return turn, index
        for turn in self._turns.values():
            if turn.outcome is None:
                for index, sentence in enumerate(turn.sentences):
                    if not sentence.started and not sentence.dropped and sentence.text == reply:
                        return turn, index
        return None

    @staticmethod
    def _interrupt(turn: _Turn, heard: str, reason: str) -> _Turn:
        for sentence in turn.sentences:
            sentence.dropped = not sentence.started  # tts_node dropped what was waiting
        turn.outcome = SpeechOutcome(turn.turn_id, True, heard, reason, turn.generation_finished)
        return turn

    @staticmethod
    def _resolve_if_spoken(turn: _Turn) -> list[_Turn]:
        if (
            turn.outcome is None
            and turn.generation_finished
            and turn.sentences
            and turn.all_started()
            and turn.quiet_after_last_start
        ):
            turn.outcome = SpeechOutcome(
                turn.turn_id, False, " ".join(s.text for s in turn.sentences)
            )
            return [turn]
        return []

    def _forget_oldest(self) -> list[_Turn]:
        forgotten = []
        while len(self._turns) > self._max_turns:
            forgotten.append(self._turns.popitem(last=False)[1])
        return forgotten

    # --- outside the lock: futures run their callbacks in this thread ----------------------------
    @staticmethod
    def _deliver(turns) -> None:
        for turn in turns:
            if not turn.future.done():
                turn.future.set_result(turn.outcome)
