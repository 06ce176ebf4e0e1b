"""An installed asr_node in a ROS domain of its own, fed by a microphone publisher as audio_capture
feeds it, with its transcripts collected: the set-up the asr benchmarks share."""

import contextlib
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


@contextlib.contextmanager
def asr_node_with_microphone(name: str, params=None):
    """Yields (node, mic, transcripts): the NodeProcess, an AudioCapturePublisher that has sent
    its AudioInfo, and a Collector of /insideout/transcript."""
    from support.ros_domain import claim_isolated_domain

    claim = claim_isolated_domain()
    os.environ["ROS_DOMAIN_ID"] = str(claim.domain_id)
    os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    # Imported once the domain is set: rclpy reads it when the harness starts.
    from asr.audio_capture_publisher import AudioCapturePublisher
    from support.ros_harness import NodeProcess, RosHarness

    from insideout_common.ros.qos import RELIABLE_EVENTS
    from insideout_msgs.msg import Transcript

    node = NodeProcess("insideout_perception", "asr_node", params=params or {})
    harness = RosHarness(name)
    try:
        if not node.wait_for_output("asr_node ready", 90):
            raise RuntimeError(f"asr_node did not start:\n{node.output()}")
        transcripts = harness.collect(Transcript, "/insideout/transcript", RELIABLE_EVENTS)
        mic = AudioCapturePublisher(harness)
        mic.wait_for_node()
        mic.send_info()
        yield node, mic, transcripts
    finally:
        harness.close()
        node.stop()
        claim.release()
