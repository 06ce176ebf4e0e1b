"""Keeps the EmotionState stream in capture order: stamps published by fer_node never go back.

Two things would make them go back:
- large frames that DDS delivers out of order (a newer frame was already taken);
- a "face lost" report, made when frames stop arriving, followed by frames captured before the
  report but delivered after it (a stalled driver or network).

The report is stamped in the camera's own time base (the newest frame's stamp plus the time since
it arrived), so a camera whose clock is offset from the robot's still gets a coherent stream. A
frame stamped far further back than any delivery delay is not late: the camera's clock was reset
(a bag that loops, a restarted driver), and the stream starts again from it.
"""


class FrameStampOrder:
    """`late_window` [s]: a frame stamped up to this much before the newest admitted one is late;
    further back, the camera's clock was reset."""

    def __init__(self, late_window: float = 1.0):
        if late_window <= 0:
            raise ValueError("late_window must be > 0")
        self.late_window = late_window
        self._newest_stamp: float | None = None  # capture stamp of the newest admitted frame [s]
        self._newest_arrival: float | None = None  # its arrival, monotonic [s]
        self._loss_report_stamp: float | None = None  # stamp of the face-lost report since then
        self._newest_source = 0  # the subscription that delivered it

    def admit(self, stamp: float, arrival: float, source: int = 0) -> bool:
        """True when a frame captured at `stamp` (0: unstamped) may be processed.

        `source` names the subscription that delivered it. The newest frame again from the same
        source is a resend and is admitted; from another source it is the same frame delivered
        twice (while one subscription replaces another) and is not."""
        if not stamp:
            return True  # nothing to order by; the node stamps it on arrival
        if self._newest_stamp is not None and (
            self._is_late(stamp) or (stamp == self._newest_stamp and source != self._newest_source)
        ):
            return False
        self._newest_stamp, self._newest_arrival, self._loss_report_stamp = stamp, arrival, None
        self._newest_source = source
        return True

    def loss_report_stamp(self, now: float) -> float | None:
        """The stamp for a face-lost report made at monotonic `now`, in the camera's time base.

        None when no stamped frame was seen (the caller uses its own clock). Frames captured before
        this stamp are late from now on.
        """
        if self._newest_stamp is None:
            return None
        stamp = self._newest_stamp + max(now - self._newest_arrival, 0.0)
        self._loss_report_stamp = stamp
        return stamp

    def _is_late(self, stamp: float) -> bool:
        newest = self._newest_stamp
        latest_published = max(newest, self._loss_report_stamp or newest)
        # Further back than the window before the newest frame: a clock reset, not a late frame.
        return newest - self.late_window <= stamp < latest_published
