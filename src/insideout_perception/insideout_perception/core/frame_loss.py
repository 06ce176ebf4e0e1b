"""How many of a camera's frames reach fer_node, judged from the stamps of those that do.

A camera stamps its frames at a steady period; the frames that arrive have stamps a whole number
of periods apart. The period is the largest interval that (nearly) every observed gap is a
multiple of; the frames the camera sent over a window are the window's stamp span over that
period. A best-effort reader of 900 KB frames without the Fast DDS large-frame profile gets 6-60%
of them (docs/design/large_frames.md), with no error anywhere: this is how the node notices.

No claim is made when the stamps do not show a steady camera (unstamped frames, a triggered or
variable-rate camera, too few frames): the monitor then reports nothing.
"""

import statistics
from collections import deque
from dataclasses import dataclass

# Judged over the frames that arrived in this recent span of arrival time [s].
WINDOW_S = 4.0
# At least this many frames in the window before judging (at 6% of 30 frames/s: 7 in 4 s).
MIN_FRAMES = 5
# A gap within this share of a period from a whole number of periods fits the period: a driver's
# stamping jitter of ~2 ms at 30 frames/s. Wider, irregular senders fit by chance.
TOLERANCE = 0.12
# Periods tried: the smallest gap divided by 1..MAX_DIVISOR.
MAX_DIVISOR = 16
# The share of gaps that must fit a period.
FIT_SHARE = 0.9
# Cameras faster than this are not believed [frames/s] (stamps closer than this are duplicates).
MAX_RATE_HZ = 240.0
# Nor slower ones: a sender of ~10 irregular frames/s (a test, a script) fits a slow "camera"
# losing frames by chance; real cameras run at 15 frames/s and more.
MIN_RATE_HZ = 12.0
# A quarter of the frames lost is worth a warning: the EmotionState turns jerky (a best-effort
# 640x480 reader without the profile gets 6-60% of them, depending on the machine's load).
WARN_BELOW = 0.75


@dataclass(frozen=True)
class Delivery:
    """Over the recent window: frames that arrived of those the camera sent."""

    arrived: int
    sent: int
    camera_rate_hz: float

    @property
    def share(self) -> float:
        return self.arrived / self.sent if self.sent else 1.0

    @property
    def losing(self) -> bool:
        return self.share < WARN_BELOW


def camera_period(stamps: list[float]) -> float | None:
    """The camera's frame period [s] from sorted distinct stamps, or None when they do not show
    a steady camera."""
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    gaps = [g for g in gaps if g >= 1.0 / MAX_RATE_HZ]
    if len(gaps) < MIN_FRAMES - 1:
        return None
    # The shortest gaps are one period, or one multiple of it: their median is steady under
    # stamping jitter, where the single smallest gap is not.
    smallest = min(gaps)
    shortest = statistics.median(g for g in gaps if g <= 1.5 * smallest)
    for divisor in range(1, MAX_DIVISOR + 1):
        guess = shortest / divisor
        if guess < 1.0 / MAX_RATE_HZ:
            break
        # Refined over all the gaps (their span over their periods): a guess 1 ms off would be
        # 10 ms off at a gap of ten periods.
        period = sum(gaps) / sum(max(round(g / guess), 1) for g in gaps)
        fitting = sum(abs(g / period - round(g / period)) <= TOLERANCE for g in gaps)
        # Two frames in a row must show the period: irregular stamps (a test or a triggered
        # camera sending ~10 frames/s) fit some short "period" by chance, never with a gap of one.
        consecutive = any(round(g / period) == 1 for g in gaps)
        if fitting >= FIT_SHARE * len(gaps) and consecutive:
            return period if period <= 1.0 / MIN_RATE_HZ else None
    return None


class FrameLossMonitor:
    """Fed each arriving frame's stamp; says what share of the camera's frames arrive."""

    def __init__(self, window_s: float = WINDOW_S):
        self.window_s = window_s
        self._frames: deque[tuple[float, float]] = deque()  # (arrival, stamp)
        self.lost_total = 0  # frames judged lost, over the node's life (for the diagnostics)
        self._counted_until: float | None = None  # stamp up to which losses are counted

    def frame(self, stamp: float, arrival: float) -> None:
        """A frame stamped `stamp` [s, camera clock] arrived at `arrival` [s, monotonic]. An
        unstamped frame (0) tells nothing about the camera's period and is not kept."""
        if stamp <= 0.0:
            return
        if self._frames and stamp < self._frames[-1][1] - self.window_s:
            self.reset()  # the camera's clock went back (a looping bag): a new stream
        self._frames.append((arrival, stamp))
        self._forget_before(arrival - self.window_s)

    def reset(self) -> None:
        self._frames.clear()
        self._counted_until = None

    def delivery(self, now: float) -> Delivery | None:
        """What arrived of what the camera sent over the last window; None when it cannot tell."""
        self._forget_before(now - self.window_s)
        stamps = sorted({stamp for _, stamp in self._frames})
        if len(stamps) < MIN_FRAMES:
            return None
        period = camera_period(stamps)
        if period is None:
            return None
        sent = round((stamps[-1] - stamps[0]) / period) + 1
        delivery = Delivery(len(stamps), max(sent, len(stamps)), 1.0 / period)
        self._count_losses(stamps, period)
        return delivery

    def _count_losses(self, stamps: list[float], period: float) -> None:
        """Adds the frames missing between stamps not counted before to lost_total."""
        start = self._counted_until if self._counted_until is not None else stamps[0]
        new = [s for s in stamps if s > start]
        previous = start
        for stamp in new:
            self.lost_total += max(round((stamp - previous) / period) - 1, 0)
            previous = stamp
        self._counted_until = previous

    def _forget_before(self, oldest_arrival: float) -> None:
        while self._frames and self._frames[0][0] < oldest_arrival:
            self._frames.popleft()


# Fast DDS's default shared-memory segment: a frame larger than this goes in fragments [bytes].
FASTDDS_SEGMENT_BYTES = 512 * 1024


@dataclass(frozen=True)
class CameraLink:
    """What the node knows of how the frames come: for the advice."""

    topic: str
    compressed: bool  # image_transport compressed
    frame_bytes: int  # the newest frame's payload
    publishers_reliable: tuple[bool, ...]  # per camera publisher on the topic
    subscription_reliable: bool
    fastdds: bool  # the RMW is Fast DDS (the profile only works there)
    profile_path: str  # config/fastdds_large_frames.xml as installed


def loss_warning(delivery: Delivery, link: CameraLink, window_s: float = WINDOW_S) -> str:
    """The warning for a camera whose frames often never arrive, with what to do about it."""
    said = (
        f"fer_node got {delivery.arrived} of the {delivery.sent} frames the camera on "
        f"{link.topic} sent in the last {window_s:g} s ({delivery.share:.0%}; the camera stamps "
        f"{delivery.camera_rate_hz:.0f} frames/s): the rest were lost on the way"
    )
    best_effort_camera = not all(link.publishers_reliable)
    fixes = []
    if (
        all(link.publishers_reliable)
        and link.publishers_reliable
        and not link.subscription_reliable
    ):
        fixes.append(
            "set fer_node's image_reliability to auto or reliable (the camera is reliable)"
        )
    if link.compressed:
        fixes.append("check the network and the camera's process (compressed frames are small)")
    elif link.fastdds and link.frame_bytes > FASTDDS_SEGMENT_BYTES:
        kind = "a best-effort camera's" if best_effort_camera else "the camera's"
        said += (
            f"; {kind} {link.frame_bytes // 1024} KB frames do not fit Fast DDS's "
            f"{FASTDDS_SEGMENT_BYTES // 1024} KB shared-memory segment"
        )
        fixes.append(
            f"start the camera's process with FASTDDS_DEFAULT_PROFILES_FILE={link.profile_path} "
            "(only the camera needs it)"
        )
    if not link.compressed:
        if best_effort_camera:
            fixes.append(
                "have the camera publish reliably (fer_node follows: image_reliability auto)"
            )
        fixes.append("use image_transport: compressed")
    return f"{said}. Fix: {', or '.join(fixes)} (docs/design/large_frames.md)."
