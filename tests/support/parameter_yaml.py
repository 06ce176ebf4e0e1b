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


def node_section(document, node: str):
    """The `ros__parameters` of `node` in a parsed parameter file, merged as rcl matches them for
    a node of that name in any namespace: `/**`, then `node`, `/node` and `/**/node`."""
    merged = {}
    for key in ("/**", node, "/" + node, "/**/" + node):
        merged.update(((document or {}).get(key) or {}).get("ros__parameters") or {})
    return merged
