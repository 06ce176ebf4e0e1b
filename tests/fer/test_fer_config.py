"""config/insideout.yaml's fer_node section equals the node's declared defaults, and the node
starts with it."""

from pathlib import Path

import yaml
from support.parameter_yaml import flatten_parameters, parameters_with_comments

from insideout_perception.nodes.fer_node import PARAMETERS

CONFIG = Path(__file__).resolve().parents[2] / "config" / "insideout.yaml"


def test_yaml_section_lists_every_parameter_with_the_code_default():
    section = flatten_parameters(
        yaml.safe_load(CONFIG.read_text())["/**/fer_node"]["ros__parameters"]
    )
    declared = {spec.name: spec.default for spec in PARAMETERS}
    assert section == declared


def test_every_parameter_is_commented_in_the_yaml():
    comments = parameters_with_comments(CONFIG.read_text(), "fer_node")
    for spec in PARAMETERS:
        assert comments.get(spec.name), f"{spec.name} has no comment above it in the YAML"


def test_node_starts_with_the_yaml(spawn_node):
    node = spawn_node("insideout_perception", "fer_node", params_file=CONFIG)
    assert node.wait_for_output("listening on /camera/image_raw", 60), node.output()
    assert node.stop() == 0
