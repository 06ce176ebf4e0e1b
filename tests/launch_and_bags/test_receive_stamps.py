"""ReceiveTimeStamper: the recorder's bag times come from when a message arrived, not from when
its callback ran."""

from insideout_common.bags.receive_stamps import ReceiveTimeStamper

WALL = 1_800_000_000 * 10**9
SIM = 1_600_000_000 * 10**9
MS = 1_000_000


def test_wall_time_is_the_receive_time_however_late_the_callback():
    stamper = ReceiveTimeStamper(use_sim_time=False)
    assert stamper.stamp(WALL, now_ns=WALL + 200 * MS) == WALL


def test_without_a_receive_time_the_node_clock_is_used():
    assert ReceiveTimeStamper(False).stamp(0, now_ns=WALL) == WALL
    assert ReceiveTimeStamper(True).stamp(0, now_ns=SIM) == SIM


def test_sim_time_is_the_clock_that_held_when_the_message_arrived():
    stamper = ReceiveTimeStamper(use_sim_time=True)
    for k in range(10):  # /clock at 40 Hz, sim time running at rate 2
        stamper.clock_received(SIM + k * 50 * MS, WALL + k * 25 * MS)
    # Received between the clocks of k=3 and k=4, its callback run after all ten.
    assert stamper.stamp(WALL + 90 * MS, now_ns=SIM + 450 * MS) == SIM + 150 * MS
    assert stamper.stamp(WALL + 75 * MS, now_ns=0) == SIM + 150 * MS, (
        "a clock holds from its arrival"
    )
    assert stamper.stamp(WALL - 1, now_ns=SIM + 450 * MS) == SIM + 450 * MS, "before any clock"


def test_a_clock_taken_out_of_order_is_filed_by_receive_time_and_loops_go_back():
    stamper = ReceiveTimeStamper(use_sim_time=True)
    stamper.clock_received(SIM + 2000 * MS, WALL)
    stamper.clock_received(SIM, WALL + 20 * MS)  # a looping player jumped back
    stamper.clock_received(SIM + 2010 * MS, WALL + 10 * MS)  # taken late
    assert stamper.stamp(WALL + 15 * MS, 0) == SIM + 2010 * MS
    assert stamper.stamp(WALL + 25 * MS, 0) == SIM


def test_history_stays_bounded():
    stamper = ReceiveTimeStamper(use_sim_time=True)
    for k in range(10_000):
        stamper.clock_received(SIM + k, WALL + k)
    assert stamper.stamp(WALL + 9_999, 0) == SIM + 9_999
    assert len(stamper._clock_received_ns) <= 2_000
