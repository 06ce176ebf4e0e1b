"""The one conversion between float seconds (what the cores use) and builtin_interfaces/Time."""

from builtin_interfaces.msg import Time

NS_PER_S = 1_000_000_000


def seconds_from_stamp(stamp: Time) -> float:
    return stamp.sec + stamp.nanosec * 1e-9


def stamp_from_seconds(seconds: float) -> Time:
    """Rounded to the nanosecond with the carry into `sec` (1.9999999997 s is 2 s, not 1 s);
    negative times (before the epoch, never a real stamp) become 0."""
    sec, nanosec = divmod(max(int(round(seconds * NS_PER_S)), 0), NS_PER_S)
    return Time(sec=sec, nanosec=nanosec)


def now_seconds(node) -> float:
    """The node clock (sim time under use_sim_time) in seconds."""
    return node.get_clock().now().nanoseconds * 1e-9
