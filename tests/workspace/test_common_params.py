"""Parameter declaration: descriptions reach ROS, and every invalid value is reported at once."""

import pytest
import rclpy
from rclpy.node import Node
from rclpy.parameter import Parameter

from insideout_common.ros.params import (
    InvalidParameters,
    ParamSpec,
    declare_parameters,
    unknown_parameter_overrides,
)

pytestmark = pytest.mark.dds  # nodes in this process and in their own

SPECS = [
    ParamSpec("rate", 10.0, "Frames per second.", minimum=0.1, maximum=120.0),
    ParamSpec("mode", "short", "Detector range.", choices=("short", "full")),
    ParamSpec(
        "name", "x", "Must not be empty.", check=lambda v: None if v else "must not be empty"
    ),
]


@pytest.fixture
def context():
    context = rclpy.Context()
    rclpy.init(context=context)
    yield context
    rclpy.try_shutdown(context=context)


def test_defaults_are_declared_with_descriptions(context):
    node = Node("params_ok", context=context)
    values = declare_parameters(node, SPECS)
    assert values == {"rate": 10.0, "mode": "short", "name": "x"}
    descriptor = node.describe_parameter("rate")
    assert descriptor.description == "Frames per second."
    assert descriptor.floating_point_range[0].to_value == 120.0
    assert "One of: short, full" in node.describe_parameter("mode").description
    node.destroy_node()


def test_all_invalid_values_are_reported_together(context):
    overrides = [
        Parameter("rate", value=500.0),
        Parameter("mode", value="medium"),
        Parameter("name", value=""),
    ]
    node = Node("params_bad", context=context, parameter_overrides=overrides)
    with pytest.raises(InvalidParameters) as error:
        declare_parameters(node, SPECS)
    text = str(error.value)
    assert "mode: must be one of ['short', 'full']" in text
    assert "name: must not be empty" in text
    # out of the descriptor's range: rclpy itself refuses it, and we report it too
    assert "rate" in text
    node.destroy_node()


def test_values_for_undeclared_parameters_are_named_with_a_hint(context):
    overrides = [
        Parameter("rate", value=5.0),
        Parameter("diagnostics_period", value=2.0),
        Parameter("rtae", value=5.0),
        Parameter("use_sim_time", value=True),
    ]
    node = Node("params_unknown", context=context, parameter_overrides=overrides)
    declare_parameters(node, SPECS)
    assert unknown_parameter_overrides(node) == {
        "diagnostics_period": "renamed to diagnostic_updater.period",
        "rtae": "not a parameter of this node",
    }
    node.destroy_node()


def test_a_node_process_warns_about_a_parameter_it_ignores(spawn_node, tmp_path):
    node = spawn_node(
        "insideout_common",
        "bag_recorder",
        params={
            "output": str(tmp_path / "bag"),
            "topics": ["/nothing"],
            "max_duration": 0.5,
            "diagnostics_period": 2.0,
        },
    )
    assert node.process.wait(30) == 0, node.output()
    assert (
        "parameter 'diagnostics_period' given to bag_recorder is ignored: renamed to "
        "diagnostic_updater.period"
    ) in node.output()
