"""`namespace:=robot1` moves every InsideOut topic, service and action, over DDS.

The four nodes of config/pipeline.yaml start as the launch file starts them (`-r __ns:=/robot1`,
config/insideout.yaml then config/prompts.yaml, no remapping of InsideOut's names); the graph must
then hold all of their names under /robot1 and none under /insideout. The launch file itself
cannot run here (`ros2 launch` is not on PyPI); tests/launch_and_bags/test_launch_file.py checks
that it passes exactly this.
"""

import pytest
import yaml
from std_srvs.srv import Trigger
from support.pipeline_nodes import PIPELINE
from support.ports import free_port
from support.ros_harness import REPO_ROOT, wait_until

CONFIG = REPO_ROOT / "config"
NAMESPACE = "/robot1"

# Everything the four nodes offer, relative to the namespace.
TOPICS = (
    "insideout/emotion",
    "insideout/transcript",
    "insideout/user_speaking",
    "insideout/robot_speaking",
    "insideout/dialogue",
    "insideout/reply",
    "insideout/speaker/audio",
    "insideout/speaker/audio_stamped",
    "insideout/speaker/audio_info",
    # the Respond action's own topics
    "insideout/respond/_action/feedback",
    "insideout/respond/_action/status",
)
SERVICES = (
    "insideout/reset_memory",
    "insideout/respond/_action/send_goal",
    "insideout/respond/_action/cancel_goal",
    "insideout/respond/_action/get_result",
    "tts_node/stop",
)

# Global by convention (ROS's own, and asr_node's driver inputs, remapped by the launch file's
# audio_topic arguments, which default to these).
GLOBAL_NAMES = {
    "/diagnostics",
    "/parameter_events",
    "/rosout",
    "/audio",
    "/audio_stamped",
    "/audio_info",
}


@pytest.fixture(scope="module")
def namespaced_pipeline(tmp_path_factory):
    # A user's file keyed `/**/<node>` (as config/ is) reaches the namespaced node: fer_node's
    # camera topic comes from it.
    extra = tmp_path_factory.mktemp("params") / "robot1.yaml"
    extra.write_text(
        yaml.safe_dump(
            {
                "/**/fer_node": {"ros__parameters": {"image_topic": "/robot1/camera/image_raw"}},
                # No LLM is needed to offer the interfaces; nothing listens at this port.
                "/**/dialogue_node": {
                    "ros__parameters": {
                        "local_llm.autostart": False,
                        "llm.model": "none",
                        "llm.base_url": f"http://127.0.0.1:{free_port()}/v1",
                    }
                },
            }
        )
    )
    files = [CONFIG / "insideout.yaml", CONFIG / "prompts.yaml", extra]
    return files


def names_under(entries, prefix):
    return {name[len(prefix) :] for name, _ in entries if name.startswith(prefix)}


@pytest.mark.timeout(240)
def test_one_namespace_moves_every_topic_service_and_action(namespaced_pipeline, ros, spawn_node):
    nodes = [
        spawn_node(
            node["package"],
            node["executable"],
            name=node["name"],
            namespace=NAMESPACE,
            params_files=namespaced_pipeline,
        )
        for node in PIPELINE.values()
    ]
    graph = ros.node
    prefix = NAMESPACE + "/"

    expected_nodes = {(node["name"], NAMESPACE) for node in PIPELINE.values()}

    def everything_offered():
        # The node names too: they are discovered apart from the endpoints, and the per-node
        # queries below fail for a node not seen yet (NodeNameNonExistentError, seen in a soak).
        return (
            set(TOPICS) <= names_under(graph.get_topic_names_and_types(), prefix)
            and set(SERVICES) <= names_under(graph.get_service_names_and_types(), prefix)
            and set(graph.get_node_names_and_namespaces()) >= expected_nodes
        )

    assert wait_until(
        lambda: everything_offered() or not all(n.running() for n in nodes), 180.0, 0.5
    )
    assert all(n.running() for n in nodes), "a node exited"
    assert everything_offered()

    # Nothing is left at the un-namespaced names: every name the four nodes use is under the
    # namespace, except ROS's own global topics and the driver inputs they were given. (Asked per
    # node: the whole graph can still hold, for a while, the endpoints of an earlier test's
    # dialogue_node, as seen twice in soak runs after the lifecycle tests.)
    for node in PIPELINE.values():
        used = [
            name
            for query in (
                graph.get_publisher_names_and_types_by_node,
                graph.get_subscriber_names_and_types_by_node,
                graph.get_service_names_and_types_by_node,
            )
            for name, _ in query(node["name"], NAMESPACE)
        ]
        outside = {name for name in used if not name.startswith(prefix)} - GLOBAL_NAMES
        assert used and outside == set(), f"{node['name']} uses {sorted(outside)}"
    # The nodes' inputs are where they were told: the wildcard section reached fer_node.
    assert graph.count_subscribers("/robot1/camera/image_raw") >= 1
    assert graph.count_subscribers("/robot1/insideout/transcript") >= 1  # dialogue_node

    # And the namespaced service answers.
    client = graph.create_client(Trigger, "/robot1/insideout/reset_memory")
    assert client.wait_for_service(timeout_sec=10.0)
    future = client.call_async(Trigger.Request())
    assert wait_until(future.done, 10.0)
    assert future.result().success
