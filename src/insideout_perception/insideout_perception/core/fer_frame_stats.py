"""fer_node's frame accounting and the numbers its /diagnostics report shows.

Counters are changed under the node's frame lock (callback and worker threads); reading them for
a report needs no lock (a report a frame out of date is fine).
"""

from collections import deque

import numpy as np

# The rate is measured over this recent span [s]; no frame for this long is a warning.
RECENT_S = 5.0


class FrameStats:
    def __init__(self):
        self.received = self.processed = self.skipped = self.rejected = self.failed = 0
        self.rejected_since_report = 0
        self.rejected_by_reason: dict[str, int] = {}  # ImageConversionError.reason -> frames
        self.last_problem = ""
        self.last_receive: float | None = None  # monotonic times
        self.last_processed: float | None = None
        self._latencies = deque(maxlen=300)
        # Where the time goes, per processed frame [s]: waiting for the worker, decoding, face
        # detection, expression model.
        self._stage_times = deque(maxlen=300)
        self._processed_times = deque(maxlen=600)

    def frame_received(self, now: float, admitted: bool = True) -> None:
        """A frame arrived; only an admitted one (not late, not a duplicate) counts as the camera
        being alive for the face-lost timeout and the no-frames warning."""
        self.received += 1
        if admitted:
            self.last_receive = now

    def frame_skipped(self) -> None:
        self.skipped += 1

    def frame_rejected(self, problem: str, reason: str) -> None:
        """A bad frame dropped; `reason` (ImageConversionError.reason) says what kind of problem."""
        self.rejected += 1
        self.rejected_by_reason[reason] = self.rejected_by_reason.get(reason, 0) + 1
        self.rejected_since_report += 1
        self.last_problem = problem

    def frame_failed(self, problem: str) -> None:
        self.failed += 1
        self.last_problem = problem

    def frame_processed(
        self,
        received: float,
        started: float,
        decoded: float,
        done: float,
        detection_s: float,
        classification_s: float,
    ) -> None:
        self._latencies.append(done - received)
        self._stage_times.append(
            (started - received, decoded - started, detection_s, classification_s)
        )
        self._processed_times.append(done)
        self.processed += 1
        self.last_processed = done

    def last_activity(self) -> float | None:
        times = [t for t in (self.last_receive, self.last_processed) if t is not None]
        return max(times) if times else None

    def rate(self, now: float) -> float:
        recent = [t for t in self._processed_times if now - t <= RECENT_S]
        if len(recent) > 2 and recent[-1] > recent[0]:
            return (len(recent) - 1) / (recent[-1] - recent[0])
        return 0.0

    def values(self, now: float) -> dict[str, object]:
        latencies = np.asarray(self._latencies) * 1000.0
        stages = np.asarray(self._stage_times) * 1000.0
        return {
            "processed_rate_hz": f"{self.rate(now):.1f}",
            "latency_p50_ms": f"{np.percentile(latencies, 50):.1f}" if latencies.size else "n/a",
            "latency_p95_ms": f"{np.percentile(latencies, 95):.1f}" if latencies.size else "n/a",
            "stage_p50_ms": (
                "n/a"
                if not stages.size
                else "wait {:.1f}, decode {:.1f}, detect {:.1f}, expression {:.1f}".format(
                    *np.percentile(stages, 50, axis=0)
                )
            ),
            "frames_received": self.received,
            "frames_processed": self.processed,
            "frames_skipped_newer_arrived": self.skipped,
            "frames_rejected_bad_input": self.rejected,
            # One key per kind of problem seen, e.g. frames_rejected_data_too_short (copied first:
            # a frame may add a kind meanwhile).
            **{
                f"frames_rejected_{reason}": count
                for reason, count in dict(self.rejected_by_reason).items()
            },
            "frames_failed": self.failed,
            "last_problem": self.last_problem or "none",
        }

    def health(self, now: float, topic: str) -> tuple[bool, str]:
        """(healthy, message) for the report, and starts a new report period."""
        rejected, self.rejected_since_report = self.rejected_since_report, 0
        if self.last_receive is None or now - self.last_receive > RECENT_S:
            return False, f"no frames on {topic} for {RECENT_S:g} s"
        if rejected:
            return False, f"{rejected} bad frame(s) dropped: {self.last_problem}"
        return True, f"{self.rate(now):.1f} frames/s"
