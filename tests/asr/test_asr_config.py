"""config/insideout.yaml's asr_node section documents exactly the node's parameters and defaults."""

from pathlib import Path

import yaml

from insideout_perception.nodes.asr_node import PARAMETERS

CONFIG = Path(__file__).resolve().parents[2] / "config" / "insideout.yaml"


def test_yaml_section_equals_the_code_defaults():
    section = yaml.safe_load(CONFIG.read_text())["asr_node"]["ros__parameters"]
    assert section == {spec.name: spec.default for spec in PARAMETERS}


def test_every_parameter_has_a_comment_and_a_description():
    lines = CONFIG.read_text().splitlines()
    start = lines.index("asr_node:")
    body = []
    for line in lines[start + 2:]:
        if line and not line.startswith(" "):
            break
        body.append(line)
    for spec in PARAMETERS:
        index = next(i for i, line in enumerate(body) if line.strip().startswith(spec.name + ":"))
        assert body[index - 1].strip().startswith("#"), spec.name
        assert len(spec.description) > 10, spec.name
