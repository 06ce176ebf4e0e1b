#!/usr/bin/env python3
"""Write the parameter tables of docs/nodes/*.md from the nodes' own `ParamSpec` declarations.

    source scripts/env.sh
    python scripts/generate_param_docs.py           # rewrite the tables
    python scripts/generate_param_docs.py --check   # exit 1 when a page is out of date

Each table sits between `<!-- params:begin NODE -->` and `<!-- params:end NODE -->` in
docs/nodes/NODE.md; everything outside the markers is left alone. The declarations are imported
from src/ (not install/), so the docs follow the code as it is checked out. Needs rclpy
(the declarations import it): run it in `source scripts/env.sh`.
"""

import argparse
import difflib
import importlib
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = [
    ROOT / "src" / "insideout_common",
    ROOT / "src" / "insideout_perception",
    ROOT / "src" / "insideout_dialogue",
]
DOCS_DIR = ROOT / "docs"
BEGIN = "<!-- params:begin {name} -->"
END = "<!-- params:end {name} -->"
MARKER = re.compile(r"<!-- params:(begin|end) ([A-Za-z0-9_]+) -->")
# Python packages imported from src/ (anything else comes from the environment).
SOURCE_PACKAGES = {"insideout_common", "insideout_perception", "insideout_dialogue"}
# Longer string defaults (the prompts) are cut in the table; the full text is in config/.
MAX_DEFAULT_CHARS = 60


@dataclass(frozen=True)
class Source:
    """Where a node's parameter declarations live."""

    what: str  # shown in the generated note
    module: str  # importable module under src/
    attribute: str = "PARAMETERS"


SOURCES = {
    "fer_node": Source(
        "insideout_perception/nodes/fer_node.py", module="insideout_perception.nodes.fer_node"
    ),
    "asr_node": Source(
        "insideout_perception/nodes/asr_node.py", module="insideout_perception.nodes.asr_node"
    ),
    "dialogue_node": Source(
        "insideout_dialogue/nodes/dialogue_parameters.py",
        module="insideout_dialogue.nodes.dialogue_parameters",
        attribute="all_specs",
    ),
    "tts_node": Source(
        "insideout_dialogue/nodes/tts_node.py", module="insideout_dialogue.nodes.tts_node"
    ),
    "web_view_node": Source(
        "insideout_dialogue/nodes/web_view_node.py", module="insideout_dialogue.nodes.web_view_node"
    ),
    "bag_player": Source(
        "insideout_common/nodes/bag_player.py", module="insideout_common.nodes.bag_player"
    ),
    "bag_recorder": Source(
        "insideout_common/nodes/bag_recorder.py", module="insideout_common.nodes.bag_recorder"
    ),
}


class DocsError(Exception):
    """A page or a declaration the generator cannot handle; the message says which."""


# --- loading the declarations ------------------------------------------------------------------


def _use_sources() -> None:
    for path in reversed(SOURCE_DIRS):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))


def _spec_lists(module) -> list[tuple[str, list]]:
    from insideout_common.ros.params import ParamSpec

    return [
        (name, value)
        for name, value in vars(module).items()
        if isinstance(value, (list, tuple))
        and value
        and all(isinstance(item, ParamSpec) for item in value)
    ]


def load_specs(node: str):
    """The node's ParamSpecs in declaration order (for dialogue_node: with the default agents)."""
    _use_sources()
    source = SOURCES[node]
    try:
        module = importlib.import_module(source.module)
    except ImportError as error:
        missing = (getattr(error, "name", None) or "").split(".")[0]
        hint = (
            "the code under src/ does not import; fix it first"
            if missing in SOURCE_PACKAGES
            else "run in `source scripts/env.sh`"
        )
        raise DocsError(f"{node}: cannot import {source.what}: {error} ({hint})") from error
    value = getattr(module, source.attribute, None)
    if callable(value):  # dialogue: all_specs(agent names)
        return list(value(module.DEFAULT_AGENTS).values()), module
    if value is None:
        found = _spec_lists(module)
        if len(found) != 1:
            raise DocsError(
                f"{node}: {source.what} has no {source.attribute} list of ParamSpecs (found "
                f"{[name for name, _ in found] or 'none'}); update SOURCES in {Path(__file__).name}"
            )
        value = found[0][1]
    return list(value), module


# --- rendering ---------------------------------------------------------------------------------

_TYPE_NAMES = {
    "BOOL": "bool",
    "INTEGER": "int",
    "DOUBLE": "double",
    "STRING": "string",
    "BYTE_ARRAY": "byte[]",
    "BOOL_ARRAY": "bool[]",
    "INTEGER_ARRAY": "int[]",
    "DOUBLE_ARRAY": "double[]",
    "STRING_ARRAY": "string[]",
}


def type_name(spec) -> str:
    from rclpy.parameter import Parameter

    kind = spec.type_hint
    if kind is None:
        try:
            kind = Parameter.Type.from_parameter_value(spec.default)
        except TypeError as error:
            raise DocsError(f"{spec.name}: cannot tell the type of {spec.default!r}") from error
    name = _TYPE_NAMES.get(kind.name, kind.name.lower())
    return name + (" (dynamic)" if spec.dynamic_typing else "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _prose(text: str) -> str:
    """Table-cell text; <placeholders> shown, not taken for HTML tags."""
    return _cell(text.strip()).replace("<", "&lt;").replace(">", "&gt;")


def _code(text: str) -> str:
    text = _cell(text)
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def format_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        shown = json.dumps(value, ensure_ascii=False)
        if len(shown) > MAX_DEFAULT_CHARS:
            shown = shown[: MAX_DEFAULT_CHARS - 2] + '…"'
        return shown
    if isinstance(value, (list, tuple)):
        return json.dumps(list(value), ensure_ascii=False)
    return repr(value)


def _number(value, default) -> str:
    if isinstance(default, int) and not isinstance(default, bool):
        return str(int(value))
    return format_value(float(value))


def range_text(spec) -> str:
    if spec.choices:
        return "one of " + ", ".join(_code(str(choice)) for choice in spec.choices)
    low, high = spec.minimum, spec.maximum
    if low is None and high is None:
        return ""
    if low is None:
        return f"≤ {_number(high, spec.default)}"
    if high is None:
        return f"≥ {_number(low, spec.default)}"
    return f"{_number(low, spec.default)} … {_number(high, spec.default)}"


def description_text(spec) -> str:
    text = spec.description.strip()
    if not spec.read_only:
        text += " Can be changed at run time."
    return _prose(text)


@dataclass
class Row:
    name: str
    type: str
    default: str  # already formatted (markdown)
    range: str
    description: str


def spec_row(spec) -> Row:
    return Row(
        _code(spec.name),
        type_name(spec),
        _code(format_value(spec.default)),
        range_text(spec),
        description_text(spec),
    )


def agent_rows(specs, agents: Sequence[str]) -> list[Row] | None:
    """agents.<name>.* once, with `<name>` for the agent; None when the agents' specs differ in
    anything but their name and default."""
    by_suffix = {}
    for spec in specs:
        agent, _, suffix = spec.name[len("agents.") :].partition(".")
        by_suffix.setdefault(suffix, {})[agent] = spec
    rows = []
    for suffix, per_agent in by_suffix.items():
        if list(per_agent) != list(agents):
            return None
        generic = {
            re.sub(rf"\b{re.escape(agent)}\b", "<name>", spec.description)
            for agent, spec in per_agent.items()
        }
        shapes = {(type_name(s), range_text(s), s.read_only) for s in per_agent.values()}
        if len(generic) != 1 or len(shapes) != 1:
            return None
        first = next(iter(per_agent.values()))
        defaults = [format_value(s.default) for s in per_agent.values()]
        if len(set(defaults)) == 1:
            default = _code(defaults[0])
        else:
            default = "; ".join(
                f"{agent}: {_code(value)}" for agent, value in zip(per_agent, defaults)
            )
        rows.append(
            Row(
                _code(f"agents.<name>.{suffix}"),
                type_name(first),
                default,
                range_text(first),
                _prose(generic.pop()),
            )
        )
    return rows


def node_rows(node: str, specs, module) -> list[Row]:
    agents = list(getattr(module, "DEFAULT_AGENTS", [])) if node == "dialogue_node" else []
    if not agents:
        return [spec_row(spec) for spec in specs]
    prefixes = tuple(f"agents.{agent}." for agent in agents)
    per_agent = [spec for spec in specs if spec.name.startswith(prefixes)]
    grouped = agent_rows(per_agent, agents)
    rows, placed = [], False
    for spec in specs:
        if spec.name.startswith(prefixes) and grouped is not None:
            if not placed:
                rows += grouped
                placed = True
            continue
        rows.append(spec_row(spec))
    return rows


def render_table(node: str) -> str:
    specs, module = load_specs(node)
    names = [spec.name for spec in specs]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise DocsError(f"{node}: parameters declared twice: {duplicates}")
    rows = node_rows(node, specs, module)
    lines = [
        f"<!-- generated by scripts/generate_param_docs.py from {SOURCES[node].what};"
        " edit the declarations, not this table -->",
        "",
        "| name | type | default | range | description |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [f"| {r.name} | {r.type} | {r.default} | {r.range} | {r.description} |" for r in rows]
    if node == "dialogue_node" and any(r.name.startswith("`agents.<name>.") for r in rows):
        agents = ", ".join(module.DEFAULT_AGENTS)
        lines += [
            "",
            f"`<name>`: every agent in `agents.names` (default {agents}); the "
            "`agents.<name>.*` and `emotion_to_agent.*` parameters follow that list.",
        ]
    if any(
        len(format_value(spec.default)) > MAX_DEFAULT_CHARS
        for spec in specs
        if isinstance(spec.default, str)
    ):
        lines += [
            "",
            "Defaults longer than the column are cut (…); the full texts are in "
            "`config/insideout.yaml` and `config/prompts.yaml`.",
        ]
    return "\n".join(lines)


# --- pages -------------------------------------------------------------------------------------


def page_path(node: str, docs_dir: Path) -> Path:
    return docs_dir / "nodes" / f"{node}.md"


def updated_page(text: str, node: str, table: str, path: Path) -> str:
    begin, end = BEGIN.format(name=node), END.format(name=node)
    if text.count(begin) != 1 or text.count(end) != 1:
        raise DocsError(f"{path}: needs exactly one '{begin}' and one '{end}'")
    head, rest = text.split(begin)
    _old, tail = rest.split(end)
    return f"{head}{begin}\n{table}\n{end}{tail}"


def stray_markers(docs_dir: Path) -> list[str]:
    """Markers naming a node the generator does not know, or sitting on another node's page."""
    problems = []
    for path in sorted(docs_dir.rglob("*.md")):
        for _kind, name in MARKER.findall(path.read_text(encoding="utf-8")):
            if name not in SOURCES:
                problems.append(
                    f"{path}: marker for unknown node '{name}' (known: {', '.join(SOURCES)})"
                )
            elif path != page_path(name, docs_dir):
                problems.append(
                    f"{path}: marker for '{name}' belongs in {page_path(name, docs_dir)}"
                )
    return problems


def run(check: bool, docs_dir: Path, nodes: Sequence[str]) -> int:
    problems = stray_markers(docs_dir)
    for node in nodes:
        path = page_path(node, docs_dir)
        try:
            if not path.exists():
                raise DocsError(f"{path}: missing (needs the {node} parameter table markers)")
            text = path.read_text(encoding="utf-8")
            new = updated_page(text, node, render_table(node), path)
        except DocsError as error:
            problems.append(str(error))
            continue
        if new == text:
            continue
        if check:
            diff = difflib.unified_diff(
                text.splitlines(),
                new.splitlines(),
                f"{path} (page)",
                f"{path} (from the code)",
                lineterm="",
                n=0,
            )
            problems.append(
                f"{path}: the {node} parameter table is out of date:\n" + "\n".join(list(diff)[:40])
            )
        else:
            path.write_text(new, encoding="utf-8")
            print(f"updated {path}")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        if check:
            print(
                "\nRun `source scripts/env.sh && python scripts/generate_param_docs.py` and "
                "commit the pages.",
                file=sys.stderr,
            )
        return 1
    if check:
        print(f"parameter tables in sync: {', '.join(nodes)}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 when a page differs from the code",
    )
    parser.add_argument(
        "--docs-dir", type=Path, default=DOCS_DIR, help="docs directory (default: %(default)s)"
    )
    parser.add_argument(
        "nodes",
        nargs="*",
        metavar="NODE",
        help=f"only these nodes (default: all of {', '.join(SOURCES)})",
    )
    args = parser.parse_args(argv)
    unknown = [node for node in args.nodes if node not in SOURCES]
    if unknown:
        parser.error(f"unknown nodes {unknown}; known: {', '.join(SOURCES)}")
    return run(args.check, args.docs_dir, args.nodes or list(SOURCES))


if __name__ == "__main__":
    sys.exit(main())
