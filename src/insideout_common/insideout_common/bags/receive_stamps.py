"""Bag timestamps from the DDS receive time, not from when the executor got round to the callback.

A recorder that stamps with `clock.now()` in its callback records executor lag: on a loaded
machine a callback may run 100-200 ms after the message arrived. The middleware already stamps
each message on arrival (MessageInfo `received_timestamp`, system time). Under `use_sim_time` the
bag time is what the node clock said at that instant: the latest /clock received before it
(sim time holds between /clock messages; it is not extrapolated).
"""

import bisect

# Enough /clock history to cover any executor lag worth recording (40 Hz clock: 25 s).
CLOCK_HISTORY = 1000


class ReceiveTimeStamper:
    def __init__(self, use_sim_time: bool):
        self.use_sim_time = use_sim_time
        self._clock_received_ns = []  # wall receive times of /clock, ascending
        self._clock_sim_ns = []  # what each of those said

    def clock_received(self, sim_ns: int, received_wall_ns: int) -> None:
        """Note a /clock message: it says `sim_ns` from `received_wall_ns` (system time) on."""
        if not received_wall_ns:
            return
        # Usually appends; a message taken out of order still lands in receive-time order.
        index = bisect.bisect_right(self._clock_received_ns, received_wall_ns)
        self._clock_received_ns.insert(index, received_wall_ns)
        self._clock_sim_ns.insert(index, sim_ns)
        if len(self._clock_received_ns) > 2 * CLOCK_HISTORY:
            del self._clock_received_ns[:CLOCK_HISTORY]
            del self._clock_sim_ns[:CLOCK_HISTORY]

    def stamp(self, received_wall_ns: int, now_ns: int) -> int:
        """The bag time of a message received at `received_wall_ns` (0: the middleware did not
        say), given the node clock's `now_ns` as the fallback."""
        if not received_wall_ns:
            return now_ns
        if not self.use_sim_time:
            return received_wall_ns
        index = bisect.bisect_right(self._clock_received_ns, received_wall_ns) - 1
        if index < 0:
            # Arrived before any /clock we know of (or older than the history): the node clock.
            return now_ns
        return self._clock_sim_ns[index]
