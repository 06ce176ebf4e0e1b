"""Read ROS parameter YAML files the way the rcl YAML parser does, for comparing with nodes."""


def flatten_parameters(tree, prefix=""):
    """Nested mappings become dotted parameter names: {a: {b: 1}} -> {"a.b": 1}."""
    flat = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten_parameters(value, name + "."))
        else:
            flat[name] = value
    return flat
