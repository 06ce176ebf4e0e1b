"""The tests' parameter-YAML readers (tests/support/parameter_yaml.py) read what rcl reads."""

import yaml
from support.parameter_yaml import flatten_parameters, node_section


def test_nested_mappings_flatten_to_dotted_names():
    assert flatten_parameters({"a": {"b": 1, "c": {"d": [1]}}, "e": "x"}) == {
        "a.b": 1,
        "a.c.d": [1],
        "e": "x",
    }


def test_a_nodes_section_merges_the_keys_rcl_matches_in_order():
    document = yaml.safe_load("""
/**:
  ros__parameters: {shared: 0, rate: 0.5}
node_a:
  ros__parameters: {rate: 1.0}
/**/node_a:
  ros__parameters: {rate: 2.0, only_wildcard: true}
/**/node_b:
  ros__parameters: {rate: 9.0}
""")
    assert node_section(document, "node_a") == {"shared": 0, "rate": 2.0, "only_wildcard": True}
    assert node_section(document, "node_c") == {"shared": 0, "rate": 0.5}
