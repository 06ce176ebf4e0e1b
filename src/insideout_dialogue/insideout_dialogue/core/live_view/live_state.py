"""What a page that connects (or reconnects) now must be shown to catch up: the last of each state,
the emotion strip chart's last seconds, the turn in progress and the last turns (a reply cut off
after its turn ended marked as the page marked it). Bounded."""

import threading
from collections import deque


class LiveState:
    def __init__(self, chart_seconds: float = 30.0, max_turns: int = 20):
        self.chart_seconds = chart_seconds
        self.max_turns = max_turns
        self._lock = threading.Lock()  # recorded from ROS callbacks, replayed in the web thread
        self._chart: deque[dict] = deque()
        self._latest: dict[str, dict] = {}  # the last event of each kind in _LATEST
        self._transcripts: dict[str, dict] = {}  # "partial", "final"
        self._progress: dict[tuple, dict] = {}  # the running turn's latest event per (stage, agent)
        self._progress_turn: int | None = None
        self._turns: deque[dict] = deque(maxlen=max_turns)

    def record(self, event: dict) -> None:
        kind = event["type"]
        with self._lock:
            if kind == "emotion":
                self._latest[kind] = event
                self._chart.append(
                    {"t": event["t"], "scores": event["scores"], "labels": event["labels"]}
                )
                while self._chart and self._chart[0]["t"] < event["t"] - self.chart_seconds:
                    self._chart.popleft()
            elif kind in _LATEST:
                self._latest[kind] = event
            elif kind == "transcript":
                self._transcripts["final" if event["final"] else "partial"] = event
            elif kind == "progress":
                if event["turn"] != self._progress_turn:
                    self._progress.clear()
                    self._progress_turn = event["turn"]
                self._progress[(event["stage"], event["agent"])] = event
            elif kind == "turn":
                self._turns.append(event)
                if event["turn"] == self._progress_turn:
                    self._progress.clear()
                    self._progress_turn = None
            elif kind == "interrupted":
                self._mark_interrupted(event)

    def _mark_interrupted(self, cut: dict) -> None:
        """Replies are spoken in turn order, so the cut sentence is the running turn's (which
        dialogue_node ends, its DialogueTurn marked) or else the newest finished turn's."""
        running = self._progress.get(("reply_partial", ""))
        if running and cut["reply"] and cut["reply"] in running["text"]:
            return
        if self._turns:
            heard = heard_of_turn(self._turns[-1], cut)
            if heard is not None:
                self._turns[-1] = dict(self._turns[-1], interrupted=True, reply_spoken=heard)

    def replay(self) -> list[dict]:
        """The events to send a new page, in an order it can apply one by one."""
        with self._lock:
            events: list[dict] = [{"type": "emotion_history", "points": list(self._chart)}]
            events += list(self._turns)
            final, partial = self._transcripts.get("final"), self._transcripts.get("partial")
            if final:
                events.append(final)
            if partial and (not final or partial["utterance"] > final["utterance"]):
                events.append(partial)
            events += sorted(self._progress.values(), key=lambda e: e["t"])
            events += [self._latest[k] for k in _LATEST if k in self._latest]
            return events


_LATEST = ("emotion", "user_speaking", "robot_speaking", "spoken", "turn_state")


def heard_of_turn(turn: dict, cut: dict) -> str | None:
    """What of `turn`'s reply was heard if `cut` (an "interrupted" event) cut it off: its sentences
    before the cut one, then the cut one's heard words; None if the cut was not in this turn (or
    it is marked already). live_view.js marks its history by the same rule."""
    if not cut["reply"] or turn.get("interrupted"):
        return None
    at = turn["reply"].find(cut["reply"])
    if at < 0:
        return None
    return " ".join(part for part in (turn["reply"][:at].strip(), cut["heard"].strip()) if part)
