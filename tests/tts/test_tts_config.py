"""config/insideout.yaml's tts_node section equals the node's declared defaults, and the node runs on it."""

import yaml

from insideout_dialogue.nodes.tts_node import PARAMETERS
from support.ros_harness import REPO_ROOT

CONFIG = REPO_ROOT / "config" / "insideout.yaml"


def test_yaml_section_equals_the_code_defaults():
    section = yaml.safe_load(CONFIG.read_text())["tts_node"]["ros__parameters"]
    assert section == {spec.name: spec.default for spec in PARAMETERS}


def test_every_parameter_is_commented_in_the_yaml():
    lines = CONFIG.read_text().splitlines()
    start = lines.index("tts_node:")
    for spec in PARAMETERS:
        index = next(i for i in range(start, len(lines)) if lines[i].strip().startswith(f"{spec.name}:"))
        assert lines[index - 1].strip().startswith("#"), f"{spec.name} has no comment above it"


def test_node_starts_from_the_yaml(spawn_node):
    node = spawn_node("insideout_dialogue", "tts_node", params_file=CONFIG)
    assert node.wait_for_output("speaking /insideout/reply with hibari voice heart", 60), node.output()
