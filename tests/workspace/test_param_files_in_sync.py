"""The YAML and the docs match the declarations; relative links resolve.

config/insideout.yaml, config/prompts.yaml and the parameter tables in docs/nodes/*.md are written
by scripts/generate_param_files.py (`make params`) from the nodes' ParamSpec declarations; a
changed name, default, range or description without a re-run of it fails here. No DDS: the
declarations are only imported. (That the nodes really declare what the YAML holds is checked over
DDS in tests/launch_and_bags/test_config_consistency.py.)
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "generate_param_files.py"
CONFIG = ROOT / "config"
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


def test_yaml_and_docs_match_the_declarations():
    result = run_generator("--check")
    assert result.returncode == 0, (
        "config/*.yaml or the docs/nodes parameter tables differ from the ParamSpec"
        " declarations (run `make params`):\n" + result.stdout + result.stderr
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
    result = run_generator("--check", "--docs-dir", str(docs), "tts_node")
    assert result.returncode == 1
    assert "tts_node parameter table is out of date" in result.stderr
    assert "edited by hand" in result.stderr  # the diff shows the line
    assert "make params" in result.stderr
    # ... and a plain run repairs it.
    assert (
        run_generator("--docs-dir", str(docs), "--config-dir", str(tmp_path), "tts_node").returncode
        == 0
    )
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


def test_the_check_fails_on_a_yaml_value_edited_by_hand(tmp_path):
    for name in ("insideout.yaml", "prompts.yaml"):
        shutil.copy(CONFIG / name, tmp_path / name)
    path = tmp_path / "insideout.yaml"
    text = path.read_text(encoding="utf-8")
    assert "    max_rate: 30.0\n" in text
    path.write_text(text.replace("    max_rate: 30.0\n", "    max_rate: 15.0\n"), encoding="utf-8")
    (tmp_path / "prompts.yaml").unlink()
    result = run_generator("--check", "--config-dir", str(tmp_path), "fer_node")
    assert result.returncode == 1
    assert "insideout.yaml is out of date" in result.stderr and "max_rate: 15.0" in result.stderr
    assert "prompts.yaml is out of date" in result.stderr
    # ... and a plain run repairs both.
    assert run_generator("--config-dir", str(tmp_path), "fer_node").returncode == 0
    for name in ("insideout.yaml", "prompts.yaml"):
        assert (tmp_path / name).read_text(encoding="utf-8") == (CONFIG / name).read_text(
            encoding="utf-8"
        )


def test_the_yaml_reads_back_as_the_declared_defaults():
    """Every parameter of the five nodes, with its type (1 is not 1.0 for ROS; a string "y" or
    "1e3" must stay a string), as PyYAML reads the generated files."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import generate_param_files as generator

    values = {}
    for name in ("insideout.yaml", "prompts.yaml"):
        document = yaml.safe_load((CONFIG / name).read_text(encoding="utf-8"))
        for key, section in document.items():
            for parameter, value in generator._flatten(section["ros__parameters"]):
                values[(key, parameter)] = value
    checked = 0
    for node in generator.YAML_NODES:
        specs, _ = generator.load_specs(node)
        for spec in specs:
            assert generator._same(values.pop(("/**/" + node, spec.name)), spec.default), spec.name
            checked += 1
    assert not values, f"in the YAML but not declared: {sorted(values)}"
    assert checked > 150


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
