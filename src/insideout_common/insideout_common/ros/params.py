"""Declare a node's parameters with descriptions and validate them all at start.

A node lists its parameters as `ParamSpec`s; `declare_parameters` declares each one with a
ParameterDescriptor (so `ros2 param describe` shows the description and range) and checks every
value, raising one `InvalidParameters` that names all the bad ones so the user fixes them in one go.
The declarations are the only hand-written copy: config/insideout.yaml, config/prompts.yaml and
the docs' parameter tables are generated from them (`make params`, scripts/generate_param_files.py).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from rclpy.node import Node
from rclpy.parameter import Parameter


class InvalidParameters(ValueError):
    """One or more parameters have values the node cannot run with."""


@dataclass(frozen=True)
class ParamSpec:
    name: str
    default: Any
    description: str
    minimum: float | None = None
    maximum: float | None = None
    choices: Sequence[Any] | None = None
    # Extra check: returns an error text, or None when the value is fine.
    check: Callable[[Any], str | None] | None = None
    # Our nodes read their parameters once, at start: read-only makes `ros2 param set` say so
    # instead of reporting success and changing nothing. Only a parameter the node re-reads may
    # set this to False.
    read_only: bool = True
    # Allow an empty list default to be typed (empty lists cannot be inferred).
    type_hint: Parameter.Type | None = None
    dynamic_typing: bool = field(default=False)
    # The settings field this parameter fills, as "<object>.<field>" (e.g.
    # "turn.agents_max_words"): the node builds its settings objects from these, not field by field.
    setting: str | None = None
    # A text sent to an LLM: written to config/prompts.yaml instead of config/insideout.yaml.
    prompt: bool = False


def _descriptor(spec: ParamSpec) -> ParameterDescriptor:
    descriptor = ParameterDescriptor(
        description=spec.description
        + (f" One of: {', '.join(map(str, spec.choices))}." if spec.choices else ""),
        read_only=spec.read_only,
        dynamic_typing=spec.dynamic_typing,
    )
    if spec.minimum is not None and spec.maximum is not None:
        if isinstance(spec.default, bool):
            pass
        elif isinstance(spec.default, int):
            descriptor.integer_range = [
                IntegerRange(from_value=int(spec.minimum), to_value=int(spec.maximum), step=0)
            ]
        elif isinstance(spec.default, float):
            descriptor.floating_point_range = [
                FloatingPointRange(
                    from_value=float(spec.minimum), to_value=float(spec.maximum), step=0.0
                )
            ]
    return descriptor


def settings_fields(specs: Sequence[ParamSpec], values: dict[str, Any], target: str) -> dict:
    """{field: value} of every spec whose `setting` is "<target>.<field>", for
    `SettingsClass(**settings_fields(specs, values, "target"), ...)`."""
    prefix = target + "."
    return {
        spec.setting[len(prefix) :]: values[spec.name]
        for spec in specs
        if spec.setting and spec.setting.startswith(prefix)
    }


def check_value(spec: ParamSpec, value: Any) -> str | None:
    """Return why `value` is not acceptable for `spec`, or None."""
    if spec.choices is not None and value not in spec.choices:
        return f"must be one of {list(spec.choices)}, got {value!r}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if spec.minimum is not None and value < spec.minimum:
            return f"must be >= {spec.minimum}, got {value!r}"
        if spec.maximum is not None and value > spec.maximum:
            return f"must be <= {spec.maximum}, got {value!r}"
    if spec.check is not None:
        return spec.check(value)
    return None


def declare_parameters(node: Node, specs: Sequence[ParamSpec]) -> dict[str, Any]:
    """Declare every spec on `node`, validate all values and return them by name."""
    values: dict[str, Any] = {}
    problems = []
    for spec in specs:
        if spec.type_hint is not None:
            parameter = node.declare_parameter(spec.name, spec.type_hint, _descriptor(spec))
            value = parameter.value
            if value is None:
                value = spec.default
        else:
            try:
                parameter = node.declare_parameter(spec.name, spec.default, _descriptor(spec))
            except Exception as error:  # wrong type from YAML or the command line
                problems.append(f"{spec.name}: {error}")
                continue
            value = parameter.value
        problem = check_value(spec, value)
        if problem:
            problems.append(f"{spec.name}: {problem}")
        values[spec.name] = value
    if problems:
        raise InvalidParameters(
            f"{node.get_name()}: invalid parameters:\n  " + "\n  ".join(problems)
        )
    return values


# Parameters renamed since they were first published, for the hint in the warning below.
RENAMED = {
    "diagnostics_period": "diagnostic_updater.period",
    "diagnostics_period_s": "diagnostic_updater.period",
    "diagnostics.period": "diagnostic_updater.period",
}
# Set on every node by ROS itself (rclpy, launch), never declared by us.
ROS_OWN_PARAMETERS = ("use_sim_time", "start_type_description_service")


def unknown_parameter_overrides(node: Node) -> dict[str, str]:
    """{name: hint} for each value given to this node (parameter file, -p) that it does not
    declare: rclpy ignores those silently, so a typo or an old name would change nothing. A node
    may excuse values that shared files set on purpose (`expected_unused_parameter(name)`)."""
    overrides = getattr(node, "_parameter_overrides", {})  # rclpy keeps them; no public accessor
    expected_unused = getattr(node, "expected_unused_parameter", lambda name: False)
    unknown = {}
    for name in overrides:
        if (
            node.has_parameter(name)
            or name in ROS_OWN_PARAMETERS
            or name.startswith("qos_overrides.")
            or expected_unused(name)
        ):
            continue
        unknown[name] = (
            f"renamed to {RENAMED[name]}" if name in RENAMED else "not a parameter of this node"
        )
    return unknown


def warn_about_unknown_overrides(node: Node) -> None:
    for name, hint in sorted(unknown_parameter_overrides(node).items()):
        node.get_logger().warning(
            f"parameter {name!r} given to {node.get_name()} is ignored: {hint}"
        )
