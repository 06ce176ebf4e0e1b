"""The tests' parameter-YAML readers (tests/support/parameter_yaml.py) read what rcl reads."""

from support.parameter_yaml import flatten_parameters, parameters_with_comments

TEXT = """node_a:
  ros__parameters:
    # documented
    rate: 2.0
    undocumented: true
    # the group's comment documents its first entry
    diagnostic_updater:
      period: 1.0
      other: 3
    # a list value
    topics:
      - /a
      - /b
node_b:
  ros__parameters:
    rate: 1.0
"""


def test_comments_are_found_per_dotted_parameter():
    assert parameters_with_comments(TEXT, "node_a") == {
        "rate": True, "undocumented": False, "diagnostic_updater.period": True,
        "diagnostic_updater.other": False, "topics": True}
    assert parameters_with_comments(TEXT, "node_b") == {"rate": False}


def test_nested_mappings_flatten_to_dotted_names():
    assert flatten_parameters({"a": {"b": 1, "c": {"d": [1]}}, "e": "x"}) == {"a.b": 1, "a.c.d": [1], "e": "x"}
