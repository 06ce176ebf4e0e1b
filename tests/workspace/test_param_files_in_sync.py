"""The docs follow the code: generated parameter tables in sync, relative links resolve.

The parameter tables in docs/nodes/*.md are written by scripts/generate_param_docs.py from the
nodes' ParamSpec declarations; a changed name, default, range or description without a re-run of
the script fails here. No DDS: the declarations are only imported.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "generate_param_docs.py"
DOCS = ROOT / "docs"
NODE_PAGES = [
    "fer_node",
    "asr_node",
    "dialogue_node",
    "tts_node",
    "web_view_node",
    "bag_player",
    "bag_recorder",
]


def run_generator(*args):
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_parameter_tables_match_the_declarations():
    result = run_generator("--check")
    assert result.returncode == 0, (
        "docs/nodes parameter tables differ from the ParamSpec declarations:\n"
        + result.stdout
        + result.stderr
    )
    assert "in sync" in result.stdout


def test_the_check_fails_on_a_changed_description(tmp_path):
    docs = tmp_path / "docs"
    shutil.copytree(DOCS, docs)
    page = docs / "nodes" / "tts_node.md"
    text = page.read_text(encoding="utf-8")
    table = text[text.index("<!-- params:begin tts_node -->") :]
    row = re.search(r"^\| `[^`]+` \|.*\|$", table, re.MULTILINE).group(0)
    page.write_text(text.replace(row, row[:-1] + "edited by hand |", 1), encoding="utf-8")
    result = run_generator("--check", "--docs-dir", str(docs))
    assert result.returncode == 1
    assert "tts_node parameter table is out of date" in result.stderr
    assert "edited by hand" in result.stderr  # the diff shows the line
    assert "generate_param_docs.py" in result.stderr
    # ... and a plain run repairs it.
    assert run_generator("--docs-dir", str(docs), "tts_node").returncode == 0
    assert page.read_text(encoding="utf-8") == text


def test_every_node_page_has_its_table_and_api_sections():
    for node in NODE_PAGES:
        text = (DOCS / "nodes" / f"{node}.md").read_text(encoding="utf-8")
        assert f"<!-- params:begin {node} -->" in text and f"<!-- params:end {node} -->" in text
        for section in (
            "## Subscribed topics",
            "## Published topics",
            "## Services",
            "## Actions",
            "## Parameters",
            "## Behaviour",
        ):
            assert section in text, f"docs/nodes/{node}.md lacks '{section}'"


def _flatten(tree, prefix=""):
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


@pytest.mark.parametrize(
    "node", ["fer_node", "asr_node", "dialogue_node", "tts_node", "web_view_node"]
)
def test_the_tables_defaults_are_the_config_files(node):
    """The default column shows what config/*.yaml sets (the nodes' defaults are checked against
    the files over DDS in tests/launch_and_bags/test_config_consistency.py)."""
    values = {}
    for name in ("insideout.yaml", "prompts.yaml"):
        tree = yaml.safe_load((ROOT / "config" / name).read_text(encoding="utf-8"))
        values.update(_flatten(tree.get("/**/" + node, {}).get("ros__parameters", {})))
    table = (DOCS / "nodes" / f"{node}.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([^`]+)` \| [^|]+ \| (`[^|]*`) \|", table, re.MULTILINE))
    assert rows, f"no parameter rows in docs/nodes/{node}.md"
    checked = 0
    for name, cell in rows.items():
        if name not in values or cell.endswith('…"`'):
            continue  # agents.<name>.* rows; long texts shown cut
        shown = yaml.safe_load(cell.strip("`"))
        assert shown == values[name], f"{node} {name}: docs {shown!r}, config {values[name]!r}"
        checked += 1
    assert checked >= len(rows) // 2


LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _without_code_blocks(text):
    return re.sub(r"```.*?```", "", text, flags=re.DOTALL)


def _without_code(text):
    return re.sub(r"`[^`\n]*`", "", _without_code_blocks(text))


def github_anchors(markdown):
    """The anchors GitHub gives a page's headings, and explicit `<a id="...">` anchors."""
    anchors, seen = set(re.findall(r'<a id="([^"]+)"></a>', _without_code_blocks(markdown))), {}
    for heading in re.findall(
        r"^#{1,6}\s+(.+?)\s*#*$", _without_code_blocks(markdown), re.MULTILINE
    ):
        slug = re.sub(r"[^\w\- ]", "", heading.replace("`", "").lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def test_relative_links_resolve():
    """Every relative link in README.md and docs/ names an existing file (and heading)."""
    pages = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
    broken = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for target in LINK.findall(_without_code(text)):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue  # http:, mailto:
            path, _, anchor = target.partition("#")
            file = (page.parent / path) if path else page
            if not file.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such file)")
            elif (
                anchor
                and file.suffix == ".md"
                and anchor not in github_anchors(file.read_text(encoding="utf-8"))
            ):
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert not broken, "broken links:\n" + "\n".join(broken)
