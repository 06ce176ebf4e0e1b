"""config/insideout.yaml (+ config/prompts.yaml) versus what the nodes really declare.

Each node is started with no parameter file and asked over DDS for every parameter it declared
and its value: the YAML must hold exactly those names with exactly those (typed) values, so the
file documents the real defaults and loading it changes nothing.
"""

import pytest
import yaml
from rcl_interfaces.msg import ParameterType
from rcl_interfaces.srv import GetParameters, ListParameters
from support.parameter_yaml import flatten_parameters, node_section
from support.ros_harness import REPO_ROOT, wait_until

CONFIG = REPO_ROOT / "config"
NODES = {
    "fer_node": "insideout_perception",
    "asr_node": "insideout_perception",
    "dialogue_node": "insideout_dialogue",
    "tts_node": "insideout_dialogue",
}
# Declared by rclpy itself for every node, not by InsideOut.
ROS_OWN = ("use_sim_time", "start_type_description_service")


def yaml_parameters(node):
    parameters = {}
    for path in (CONFIG / "insideout.yaml", CONFIG / "prompts.yaml"):
        document = yaml.safe_load(path.read_text()) or {}
        parameters.update(flatten_parameters(node_section(document, node)))
    return parameters


def python_value(value):
    kinds = {
        ParameterType.PARAMETER_BOOL: "bool_value",
        ParameterType.PARAMETER_INTEGER: "integer_value",
        ParameterType.PARAMETER_DOUBLE: "double_value",
        ParameterType.PARAMETER_STRING: "string_value",
        ParameterType.PARAMETER_BOOL_ARRAY: "bool_array_value",
        ParameterType.PARAMETER_INTEGER_ARRAY: "integer_array_value",
        ParameterType.PARAMETER_DOUBLE_ARRAY: "double_array_value",
        ParameterType.PARAMETER_STRING_ARRAY: "string_array_value",
    }
    if value.type == ParameterType.PARAMETER_NOT_SET:
        return None
    result = getattr(value, kinds[value.type])
    return list(result) if value.type >= ParameterType.PARAMETER_BYTE_ARRAY else result


def same(yaml_value, node_value):
    """Equal, and of the type the node would accept from the YAML (1 is not 1.0 for ROS)."""
    if isinstance(node_value, list):
        if not isinstance(yaml_value, list) or len(yaml_value) != len(node_value):
            return False
        return all(same(a, b) for a, b in zip(yaml_value, node_value))
    if isinstance(node_value, bool) or isinstance(yaml_value, bool):
        return type(node_value) is type(yaml_value) and node_value == yaml_value
    if isinstance(node_value, float):
        return isinstance(yaml_value, float) and yaml_value == pytest.approx(node_value, rel=1e-12)
    if isinstance(node_value, int):
        return type(yaml_value) is int and yaml_value == node_value
    return isinstance(yaml_value, str) and yaml_value == node_value


def call(ros, service_type, name, request, timeout=60.0):
    client = ros.node.create_client(service_type, name)
    assert client.wait_for_service(timeout_sec=timeout), f"{name} not available"
    future = client.call_async(request)
    assert wait_until(future.done, timeout), f"{name} did not answer"
    return future.result()


def declared_parameters(ros, node):
    names = call(
        ros, ListParameters, f"/{node}/list_parameters", ListParameters.Request()
    ).result.names
    names = [n for n in names if n not in ROS_OWN and not n.startswith("qos_overrides.")]
    values = call(
        ros, GetParameters, f"/{node}/get_parameters", GetParameters.Request(names=names)
    ).values
    return {name: python_value(value) for name, value in zip(names, values)}


@pytest.mark.timeout(300)
def test_yaml_holds_exactly_every_declared_parameter_with_its_default(ros, spawn_node):
    processes = {node: spawn_node(package, node) for node, package in NODES.items()}
    problems = []
    for node, process in processes.items():
        declared = declared_parameters(ros, node)
        assert declared, f"{node} declared no parameters:\n{process.output()}"
        documented = yaml_parameters(node)
        print(f"{node}: {len(declared)} declared, {len(documented)} in the YAML")
        for name in sorted(set(declared) - set(documented)):
            problems.append(f"{node}: {name} (default {declared[name]!r}) is not in the YAML")
        for name in sorted(set(documented) - set(declared)):
            problems.append(f"{node}: {name} is in the YAML but the node does not declare it")
        for name in sorted(set(declared) & set(documented)):
            if not same(documented[name], declared[name]):
                problems.append(
                    f"{node}: {name}: YAML {documented[name]!r} != node default {declared[name]!r}"
                )
    assert not problems, "\n".join(problems)
