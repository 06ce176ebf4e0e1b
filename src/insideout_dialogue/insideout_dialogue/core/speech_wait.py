"""A Respond goal's wait for its reply to be spoken: it ends with the speech's outcome, at a bound
derived from the reply's length (so a goal never hangs on a speaker that stopped reporting), or
when the goal is cancelled. No ROS here: the node awaits `future`.
"""

import concurrent.futures
import threading
from dataclasses import dataclass

from insideout_dialogue.core.spoken_replies import SpeechOutcome

# How long speech may take before the goal's result goes out anyway [s]: a fixed allowance (the
# speaker's queue, synthesis of the first sentence) plus the time to say each character (about
# 15 characters a second at a normal pace, so this is three times that).
WAIT_BASE_S = 10.0
WAIT_PER_CHAR_S = 0.2

SPOKEN = "spoken"
INTERRUPTED = "interrupted"
TIMED_OUT = "timed_out"  # no outcome within the bound
FORGOTTEN = "forgotten"  # the record of the turn was dropped before it had an outcome
CANCELED = "canceled"


@dataclass(frozen=True)
class SpeechWaitEnd:
    how: str  # one of SPOKEN, INTERRUPTED, TIMED_OUT, FORGOTTEN, CANCELED
    outcome: SpeechOutcome | None = None
    message: str = ""  # CANCELED: why; TIMED_OUT: the bound


def wait_bound(reply: str, base: float = WAIT_BASE_S, per_char: float = WAIT_PER_CHAR_S) -> float:
    return base + per_char * len(reply)


class SpeechWait:
    def __init__(self, outcome: "concurrent.futures.Future[SpeechOutcome]", bound_s: float):
        self.future: concurrent.futures.Future[SpeechWaitEnd] = concurrent.futures.Future()
        self._lock = threading.Lock()
        self._timer = threading.Timer(
            bound_s,
            self._end,
            args=(SpeechWaitEnd(TIMED_OUT, message=f"no report within {bound_s:.1f} s"),),
        )
        self._timer.daemon = True
        self._timer.start()
        outcome.add_done_callback(self._on_outcome)

    def cancel(self, message: str) -> None:
        self._end(SpeechWaitEnd(CANCELED, message=message))

    def close(self) -> None:
        self._timer.cancel()

    def _on_outcome(self, outcome: "concurrent.futures.Future[SpeechOutcome]") -> None:
        if outcome.cancelled():
            self._end(SpeechWaitEnd(FORGOTTEN))
            return
        result = outcome.result()
        self._end(SpeechWaitEnd(INTERRUPTED if result.interrupted else SPOKEN, result))

    def _end(self, end: SpeechWaitEnd) -> None:
        with self._lock:  # the first of outcome, bound and cancel wins
            if self.future.done():
                return
            self.future.set_result(end)
        self._timer.cancel()
