"""fer_node, asr_node, dialogue_node and tts_node are managed (lifecycle) nodes, over DDS.

Each starts with `autostart: false` and is driven through its lifecycle services, as
`ros2 lifecycle set` or a lifecycle manager would: unconfigured -> inactive -> active ->
inactive -> active -> inactive -> unconfigured -> inactive -> finalized. While not active a node
has no input subscription (a deactivated FER node receives no frames at all); while active it
has one. With the default `autostart: true` a node makes itself active.
"""

import time

import numpy as np
import pytest
from lifecycle_msgs.msg import State, Transition
from std_msgs.msg import String
from support.lifecycle_client import Lifecycle
from support.pipeline_nodes import PIPELINE, without_llm
from support.ros_harness import wait_until

from audio_common_msgs.msg import AudioData

CHEAP = without_llm()


def absolute(topic):
    return topic if topic.startswith("/") else "/" + topic


@pytest.mark.timeout(400)
@pytest.mark.parametrize("key", ["fer", "asr", "dialogue", "tts"])
def test_a_node_goes_through_its_lifecycle(key, ros, spawn_node):
    spec = PIPELINE[key]
    node = spawn_node(
        spec["package"], spec["executable"], params={"autostart": False, **CHEAP.get(key, {})}
    )
    lifecycle = Lifecycle(ros, spec["name"])
    assert lifecycle.wait_for_services(60.0), node.output()
    graph = ros.node
    inputs = absolute(spec["ready_topic"])
    listening = lambda: graph.count_subscribers(inputs) >= 1  # noqa: E731

    assert lifecycle.state() == State.PRIMARY_STATE_UNCONFIGURED
    time.sleep(1.0)
    assert not listening(), "an unconfigured node subscribes to its input"

    assert lifecycle.transition(Transition.TRANSITION_CONFIGURE), node.output()
    assert lifecycle.state() == State.PRIMARY_STATE_INACTIVE
    assert not listening()
    assert graph.count_publishers(absolute(spec["output_topic"])) >= 1  # outputs exist, silent

    for _ in range(2):  # activate and deactivate twice: deactivate is a pause
        assert lifecycle.transition(Transition.TRANSITION_ACTIVATE), node.output()
        assert lifecycle.state() == State.PRIMARY_STATE_ACTIVE
        assert wait_until(listening, 10.0), f"active but not subscribed to {inputs}"
        assert lifecycle.transition(Transition.TRANSITION_DEACTIVATE), node.output()
        assert lifecycle.state() == State.PRIMARY_STATE_INACTIVE
        assert wait_until(lambda: not listening(), 10.0), f"paused but still subscribed to {inputs}"

    # cleanup releases what configure made; configure works again after it
    assert lifecycle.transition(Transition.TRANSITION_CLEANUP), node.output()
    assert lifecycle.state() == State.PRIMARY_STATE_UNCONFIGURED
    assert lifecycle.transition(Transition.TRANSITION_CONFIGURE), node.output()
    assert lifecycle.transition(Transition.TRANSITION_INACTIVE_SHUTDOWN), node.output()
    assert lifecycle.state() == State.PRIMARY_STATE_FINALIZED
    assert node.running(), "the node process should stay up until it is stopped"
    assert node.stop() == 0, node.output()
    assert "Traceback" not in node.output(), node.output()


@pytest.mark.timeout(120)
def test_autostart_activates_and_a_paused_tts_node_says_nothing(ros, spawn_node):
    spec = PIPELINE["tts"]
    node = spawn_node(spec["package"], spec["executable"])
    lifecycle = Lifecycle(ros, spec["name"])
    assert lifecycle.wait_for_services(60.0), node.output()
    assert wait_until(lambda: lifecycle.state() == State.PRIMARY_STATE_ACTIVE, 60.0, 0.5), (
        node.output()
    )
    audio = ros.collect(AudioData, "/insideout/speaker/audio", 100)
    replies = ros.publisher(String, "/insideout/reply", 50)
    assert ros.wait_for_subscribers(replies), node.output()

    assert lifecycle.transition(Transition.TRANSITION_DEACTIVATE), node.output()
    replies.publish(String(data="You should not hear this."))
    time.sleep(2.0)
    assert audio.snapshot() == [], "a deactivated tts_node spoke"

    assert lifecycle.transition(Transition.TRANSITION_ACTIVATE), node.output()
    assert ros.wait_for_subscribers(replies), node.output()
    replies.publish(String(data="Hello again."))
    # Half a second of it (25 chunks of chunk_duration 0.02 s): past the voice's leading silence.
    assert len(audio.wait_for_count(25, timeout=30.0)) >= 25, node.output()
    pcm = np.frombuffer(b"".join(bytes(c.data) for c in audio.snapshot()), "<i2")
    assert np.abs(pcm).max() > 500, "the reactivated tts_node's audio is silent"
