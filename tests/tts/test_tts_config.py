"""config/insideout.yaml's tts_node section equals the node's declared defaults, and the node
runs on it."""

import yaml
from support.parameter_yaml import flatten_parameters, parameters_with_comments
from support.ros_harness import REPO_ROOT

from insideout_dialogue.nodes.tts_node import PARAMETERS

CONFIG = REPO_ROOT / "config" / "insideout.yaml"


def test_yaml_section_equals_the_code_defaults():
    section = flatten_parameters(
        yaml.safe_load(CONFIG.read_text())["/**/tts_node"]["ros__parameters"]
    )
    assert section == {spec.name: spec.default for spec in PARAMETERS}


def test_every_parameter_is_commented_in_the_yaml():
    comments = parameters_with_comments(CONFIG.read_text(), "tts_node")
    for spec in PARAMETERS:
        assert comments.get(spec.name), f"{spec.name} has no comment above it in the YAML"


def test_node_starts_from_the_yaml(spawn_node):
    node = spawn_node("insideout_dialogue", "tts_node", params_file=CONFIG)
    assert node.wait_for_output("speaking /insideout/reply with hibari voice heart", 60), (
        node.output()
    )
