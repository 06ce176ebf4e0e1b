"""Every node reads its parameters at start, so `ros2 param set` on a running node is refused with
"read-only" (rather than reporting success and changing nothing). Over DDS, one node at a time."""

import pytest
from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import GetParameters, SetParameters
from support.ros_harness import wait_until

# (package, executable, log line when ready, start parameters, parameter to change, new value)
NODES = [
    ("insideout_perception", "fer_node", "listening on", {"max_rate": 12.5}, "max_rate", 5.0),
    ("insideout_perception", "asr_node", "asr_node ready", {}, "vad_threshold", 0.3),
    ("insideout_dialogue", "tts_node", "speaking /insideout/reply with", {}, "max_reply_chars", 10),
    (
        "insideout_dialogue",
        "dialogue_node",
        "dialogue_node ready",
        {"local_llm.autostart": False},
        "agents.happiness.model",
        "another-model",
    ),
]


def _value(value) -> ParameterValue:
    if isinstance(value, float):
        return ParameterValue(type=ParameterType.PARAMETER_DOUBLE, double_value=value)
    if isinstance(value, int):
        return ParameterValue(type=ParameterType.PARAMETER_INTEGER, integer_value=value)
    return ParameterValue(type=ParameterType.PARAMETER_STRING, string_value=value)


def _call(ros, service_type, service, request):
    client = ros.node.create_client(service_type, service)
    assert client.wait_for_service(timeout_sec=10), f"no {service}"
    future = client.call_async(request)
    assert wait_until(future.done, 10), f"{service} did not answer"
    return future.result()


@pytest.mark.parametrize(
    "package, executable, ready, params, name, new_value", NODES, ids=[n[1] for n in NODES]
)
def test_setting_a_parameter_at_run_time_is_refused(
    ros, spawn_node, package, executable, ready, params, name, new_value
):
    node = spawn_node(package, executable, params=params)
    assert node.wait_for_output(ready, 120), node.output()
    before = _call(
        ros, GetParameters, f"/{executable}/get_parameters", GetParameters.Request(names=[name])
    ).values[0]
    result = _call(
        ros,
        SetParameters,
        f"/{executable}/set_parameters",
        SetParameters.Request(parameters=[Parameter(name=name, value=_value(new_value))]),
    ).results[0]
    assert not result.successful and "read-only" in result.reason, result
    after = _call(
        ros, GetParameters, f"/{executable}/get_parameters", GetParameters.Request(names=[name])
    ).values[0]
    assert after == before
    assert node.running()
