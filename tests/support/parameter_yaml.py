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


def parameters_with_comments(text: str, node: str):
    """{dotted parameter name: whether a comment line documents it} for `node`'s section of a
    parameter YAML file: a comment right above the parameter, or above the group key it is the
    first entry of (`# ...` / `diagnostic_updater:` / `  period: 1.0`)."""
    lines = text.splitlines()
    start = lines.index(f"/**/{node}:") + 2  # past "/**/node:" and "  ros__parameters:"
    found, stack = {}, []  # stack: (indent, key, commented)
    for index in range(start, len(lines)):
        line = lines[index]
        if line and not line.startswith(" "):
            break
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped.startswith("- "):
            continue
        indent = len(line) - len(line.lstrip())
        key, _, value = stripped.partition(":")
        while stack and stack[-1][0] >= indent:
            stack.pop()
        commented = lines[index - 1].strip().startswith("#")
        first_child = (
            bool(stack)
            and lines[index - 1].strip().endswith(":")
            and not lines[index - 1].strip().startswith("#")
        )
        if first_child:
            commented = commented or stack[-1][2]
        if value.strip() == "" and not (
            index + 1 < len(lines) and lines[index + 1].strip().startswith("- ")
        ):
            stack.append((indent, key, commented))
            continue
        found[".".join([k for _, k, _ in stack] + [key])] = commented
    return found
