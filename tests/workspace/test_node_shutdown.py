"""One shutdown path (run_node): Ctrl-C ends every pipeline node cleanly and promptly, also under
use_sim_time with no /clock, where no timer ever fires to wake the executor (nodes hung there
until `ros2 launch` SIGKILLed them, found running the launch file under launch_ros)."""

import signal
import time

import pytest
from support.pipeline_nodes import PIPELINE, without_llm
from support.ros_harness import wait_until

CHEAP = without_llm()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("key", ["fer", "asr", "dialogue", "tts"])
def test_ctrl_c_under_sim_time_without_a_clock_ends_the_node_at_once(key, ros, spawn_node):
    spec = PIPELINE[key]
    node = spawn_node(
        spec["package"], spec["executable"], params={"use_sim_time": True, **CHEAP.get(key, {})}
    )
    ready = "/" + spec["output_topic"].lstrip("/")
    assert wait_until(
        lambda: ros.node.count_publishers(ready) >= 1 or not node.running(), 90.0, 0.2
    )
    assert node.running(), node.output()
    time.sleep(1.0)
    node.process.send_signal(signal.SIGINT)
    started = time.monotonic()
    assert wait_until(lambda: not node.running(), 8.0, 0.05), (
        f"{spec['name']} still running 8 s after SIGINT:\n{node.output()}"
    )
    assert node.process.returncode == 0, node.output()
    assert time.monotonic() - started < 8.0
    assert "Traceback" not in node.output(), node.output()
