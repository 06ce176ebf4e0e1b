"""config/insideout.yaml's asr_node section documents exactly the node's parameters and defaults."""

from pathlib import Path

import yaml
from support.parameter_yaml import flatten_parameters, parameters_with_comments

from insideout_perception.nodes.asr_node import PARAMETERS

CONFIG = Path(__file__).resolve().parents[2] / "config" / "insideout.yaml"


def test_yaml_section_equals_the_code_defaults():
    section = flatten_parameters(
        yaml.safe_load(CONFIG.read_text())["/**/asr_node"]["ros__parameters"]
    )
    assert section == {spec.name: spec.default for spec in PARAMETERS}


def test_every_parameter_has_a_comment_and_a_description():
    comments = parameters_with_comments(CONFIG.read_text(), "asr_node")
    for spec in PARAMETERS:
        assert comments.get(spec.name), f"{spec.name} has no comment above it in the YAML"
        assert len(spec.description) > 10, spec.name
