"""What a page that connects (or reconnects) now must be shown to catch up: the last of each state,
the emotion strip chart's last seconds, the turn in progress and the last turns. Bounded."""

import threading
from collections import deque
from typing import Deque, Dict, List, Optional


class LiveState:
    def __init__(self, chart_seconds: float = 30.0, max_turns: int = 20):
        self.chart_seconds = chart_seconds
        self.max_turns = max_turns
        self._lock = threading.Lock()  # recorded from ROS callbacks, replayed in the web thread
        self._chart: Deque[Dict] = deque()
        self._latest: Dict[str, Dict] = {}  # emotion, user_speaking, robot_speaking, spoken
        self._transcripts: Dict[str, Dict] = {}  # "partial", "final"
        self._progress: Dict[tuple, Dict] = {}  # the running turn's latest event per (stage, agent)
        self._progress_turn: Optional[int] = None
        self._turns: Deque[Dict] = deque(maxlen=max_turns)

    def record(self, event: Dict) -> None:
        kind = event["type"]
        with self._lock:
            if kind == "emotion":
                self._latest[kind] = event
                self._chart.append({"t": event["t"], "scores": event["scores"],
                                    "labels": event["labels"]})
                while self._chart and self._chart[0]["t"] < event["t"] - self.chart_seconds:
                    self._chart.popleft()
            elif kind in ("user_speaking", "robot_speaking", "spoken"):
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

    def replay(self) -> List[Dict]:
        """The events to send a new page, in an order it can apply one by one."""
        with self._lock:
            events: List[Dict] = [{"type": "emotion_history", "points": list(self._chart)}]
            events += list(self._turns)
            final, partial = self._transcripts.get("final"), self._transcripts.get("partial")
            if final:
                events.append(final)
            if partial and (not final or partial["utterance"] > final["utterance"]):
                events.append(partial)
            events += sorted(self._progress.values(), key=lambda e: e["t"])
            events += [self._latest[k] for k in ("emotion", "user_speaking", "robot_speaking",
                                                 "spoken") if k in self._latest]
            return events
