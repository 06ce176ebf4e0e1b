"""Hand-over of utterances from the audio callback to the recognition worker.

The audio callback must never wait for the recogniser, so it only enqueues. Final utterances are
kept in order up to `max_finals`; past that the oldest is dropped and returned so the caller can
report it (never silently). Optional jobs - partial transcripts and speculative recognition of an
utterance that may just have ended - are droppable by nature: they are taken only when the worker
is idle, at most one waits, newer replaces older, and finals always go first.
"""

import threading
from collections import deque
from dataclasses import dataclass

import numpy as np


@dataclass
class RecognitionJob:
    utterance_id: int
    audio: np.ndarray
    is_final: bool
    start_time: float = 0.0  # stream time of the voiced span
    end_time: float = 0.0
    # time.monotonic() when the VAD closed the utterance (for latency reporting).
    closed_at: float = 0.0
    cut_at_max_length: bool = False
    # Speculative: recognised ahead of the final, whose text it provides if the utterance ends
    # at the same `end_sample`.
    speculative: bool = False
    end_sample: int = -1
    # Where in `audio` the VAD heard voice [s]: the recogniser's words elsewhere are invented.
    speech_spans: tuple = ()
    # The first part of a continuation that was cut off, given back: published even if its
    # first final was withheld.
    restored: bool = False
    # Begun over the robot's speech and held it: its words decide whether it interrupts.
    over_robot: bool = False


class RecognitionQueue:
    def __init__(self, max_finals: int = 4):
        if max_finals < 1:
            raise ValueError("max_finals must be >= 1")
        self._finals: deque[RecognitionJob] = deque()
        self._max_finals = max_finals
        self._optional: RecognitionJob | None = None
        self._closed = False
        self._busy = False
        self._condition = threading.Condition()

    def put_final(self, job: RecognitionJob) -> RecognitionJob | None:
        """Enqueue; returns the oldest waiting final when it had to be dropped to make room."""
        with self._condition:
            dropped = self._finals.popleft() if len(self._finals) >= self._max_finals else None
            self._finals.append(job)
            # An optional job for an utterance that just ended is obsolete.
            if self._optional is not None and self._optional.utterance_id == job.utterance_id:
                self._optional = None
            self._condition.notify()
            return dropped

    def offer_optional(self, job: RecognitionJob, even_if_busy: bool = False) -> bool:
        """Enqueue a partial or speculative job if the worker has nothing else to do, or with
        `even_if_busy` (a speculation on the newest pause) to run next, replacing one waiting.

        Returns True when accepted."""
        with self._condition:
            if self._finals or (self._busy and not even_if_busy):
                return False
            self._optional = job
            self._condition.notify()
            return True

    def get(self, timeout: float | None = None) -> RecognitionJob | None:
        """Next job (finals first); None once closed or after `timeout`. Marks the worker busy."""
        with self._condition:
            self._busy = False
            self._condition.wait_for(
                lambda: self._closed or self._finals or self._optional is not None, timeout
            )
            if self._closed:
                return None
            if self._finals:
                job = self._finals.popleft()
            elif self._optional is not None:
                job, self._optional = self._optional, None
            else:
                return None
            self._busy = True
            return job

    def done(self) -> None:
        with self._condition:
            self._busy = False

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    def depth(self) -> tuple[int, int]:
        """(finals waiting, optional jobs waiting)."""
        with self._condition:
            return len(self._finals), int(self._optional is not None)
