#!/usr/bin/env python3
"""Check that every dependency key in src/*/package.xml resolves with rosdep.

A key resolves for a ROS distro when it is either
  * a ROS package released in that distro (`<distro>/distribution.yaml`: a repository's
    `release.packages`, or the repository's own name, with a release `version`), or
  * a system key in rosdep/base.yaml, python.yaml or ruby.yaml with a rule for each OS
    version the distro is released on (`release_platforms`: ubuntu, and debian if listed).
Keys naming a package of this workspace are skipped (colcon builds them). member_of_group is
not a key (group_depend is resolved by group membership), so groups are only listed.
`condition` attributes are not evaluated: every conditional key is checked.

Usage (the script never downloads; fetch rosdistro yourself):
    git clone --depth 1 https://github.com/ros/rosdistro /tmp/rosdistro
    python3 scripts/check_rosdep_keys.py --rosdistro /tmp/rosdistro [--distros humble jazzy]

Prints a Markdown table (key | kind | one column per distro), then notes; exit 1 if any key
is MISSING (no rule for the distro's Ubuntu, or a ROS package not released there).
"""

import argparse
import difflib
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

WORKSPACE = Path(__file__).resolve().parent.parent
DEP_TAGS = (  # format 3 tags naming a key; member_of_group and group_depend name groups
    "depend build_depend build_export_depend exec_depend test_depend doc_depend"
    " buildtool_depend buildtool_export_depend"
).split()
RULE_FILES = ("base.yaml", "python.yaml", "ruby.yaml")  # the generic files of 20-default.list
INSTALLERS = {"apt", "pip", "source"}  # installer keys rosdep accepts under ubuntu / debian


def read_workspace(src: Path):
    """{package name: (package.xml path, [(tag, key)], [group])}."""
    packages = {}
    for xml_path in sorted(src.glob("*/package.xml")):
        root = ET.parse(xml_path).getroot()
        deps = [(el.tag, el.text.strip()) for tag in DEP_TAGS for el in root.iter(tag)]
        groups = [el.text.strip() for el in root.iter("member_of_group")]
        deps += [("group_depend", el.text.strip()) for el in root.iter("group_depend")]
        packages[root.findtext("name").strip()] = (xml_path.relative_to(WORKSPACE), deps, groups)
    return packages


def released_packages(distribution: dict) -> dict[str, str | None]:
    """{ROS package: release version or None}; rosdep knows the key even without a version,
    but then there is no binary to install, so the caller treats None as missing."""
    released = {}
    for repo_name, repo in distribution["repositories"].items():
        release = repo.get("release") or {}
        for name in release.get("packages", [repo_name] if release else []):
            released[name] = release.get("version")
    return released


def rule_for(rule: dict, os_name: str, codename: str) -> str | None:
    """What rosdep installs for `os_name codename`: 'apt-pkg', 'pip: pkg', or None."""
    data = rule.get(os_name, rule.get("*"))
    if isinstance(data, dict) and not INSTALLERS & data.keys():
        # A per-version mapping: the codename itself, else the '*' wildcard.
        data = data.get(codename, data.get("*"))
    if data is None:  # no rule, or an explicit null (not available on that version)
        return None
    if isinstance(data, dict):
        installer, spec = next(iter(data.items()))
        packages = spec.get("packages", []) if isinstance(spec, dict) else spec
        return f"{installer}: {' '.join(packages)}" if installer != "apt" else " ".join(packages)
    return data if isinstance(data, str) else " ".join(data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rosdistro", type=Path, required=True, help="ros/rosdistro checkout")
    parser.add_argument("--distros", nargs="+", default=["humble", "jazzy", "kilted"])
    args = parser.parse_args()

    rules = {}
    for name in RULE_FILES:
        rules.update(yaml.safe_load((args.rosdistro / "rosdep" / name).read_text()))
    distributions = {
        d: yaml.safe_load((args.rosdistro / d / "distribution.yaml").read_text())
        for d in args.distros
    }
    released = {d: released_packages(dist) for d, dist in distributions.items()}

    workspace = read_workspace(WORKSPACE / "src")
    users = {}  # key -> ["src/x/package.xml <tag>"]
    for xml_path, deps, _ in workspace.values():
        for tag, key in deps:
            if key not in workspace and tag != "group_depend":
                users.setdefault(key, []).append(f"{xml_path} <{tag}>")

    def kind_of(key: str) -> str:
        if any(key in released[d] for d in args.distros):
            return "ROS package"
        return "system" if key in rules else "unknown"

    known = set(rules).union(*released.values())
    rows, missing = [], set()
    issues = {}  # (text before, text after the distros) -> [distro]: one note per problem
    for key in sorted(users, key=lambda k: (kind_of(k), k)):
        kind = kind_of(key)
        cells = []
        for d in args.distros:
            if kind != "system":
                cell = "released" if released[d].get(key) else "MISSING"
            else:
                platforms = distributions[d]["release_platforms"]
                found = {
                    f"{os_name} {codename}": rule_for(rules[key], os_name, codename)
                    for os_name in ("ubuntu", "debian")
                    for codename in platforms.get(os_name, [])
                }
                ubuntu = next((v for k, v in found.items() if k.startswith("ubuntu")), None)
                cell = ubuntu or "MISSING"
                for platform, value in found.items():
                    if value != ubuntu:  # e.g. no debian rule, or pip on one OS only
                        cell += f"; {platform}: {value or 'no rule'}"
                        note = (f"`{key}`: {platform} has {value or 'no rule'} in", "")
                        issues.setdefault(note, []).append(d)
                if ubuntu and ubuntu.startswith("pip:"):
                    note = (f"`{key}`: only via pip, no apt package, in", "")
                    issues.setdefault(note, []).append(d)
            if cell == "MISSING":
                # Suggest names only for keys nobody knows (typos, -pip variants, renames).
                close = difflib.get_close_matches(key, known, n=3, cutoff=0.75)
                hint = f"; close keys: {', '.join(close)}" if close and kind == "unknown" else ""
                used_by = "; ".join(users[key])
                issues.setdefault((f"MISSING `{key}` in", f": {used_by}{hint}"), []).append(d)
                missing.add(key)
            cells.append(cell)
        rows.append(f"| `{key}` | {kind} | " + " | ".join(cells) + " |")

    print("| key | kind | " + " | ".join(args.distros) + " |")
    print("|---|---|" + "---|" * len(args.distros))
    print("\n".join(rows))

    notes = [f"{head} {', '.join(ds)}{tail}" for (head, tail), ds in issues.items()]
    for name, (xml_path, deps, groups) in workspace.items():
        # Stand-ins for released packages: rosdep --ignore-src skips them, colcon builds ours.
        shadowed = [d for d in args.distros if released[d].get(name)]
        if shadowed:
            notes.append(f"`{name}` ({xml_path}) is also released in {', '.join(shadowed)}")
        for group in groups:
            notes.append(f"`{name}` is member_of_group `{group}` (a group, not a rosdep key)")
        for tag, key in deps:
            if tag == "group_depend":
                notes.append(f"`{name}` has group_depend `{key}` (resolved by membership)")
    if notes:
        print("\nNotes:\n\n" + "\n".join(f"- {n}" for n in notes))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
