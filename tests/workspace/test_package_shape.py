"""The packages keep their shapes: insideout_msgs holds interfaces only, no package imports
another's node modules, and insideout_bringup installs the repository's launch/ and config/."""

import ast
import filecmp
from pathlib import Path

from support.ros_harness import INSTALL_DIR

SRC = Path(__file__).resolve().parents[2] / "src"
REPO = SRC.parent
PYTHON_PACKAGES = ("insideout_common", "insideout_perception", "insideout_dialogue")


def imported_modules(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_insideout_msgs_has_no_python_and_no_executable():
    package = SRC / "insideout_msgs"
    assert sorted(p.name for p in package.iterdir()) == [
        "CMakeLists.txt",
        "action",
        "env_hooks",
        "msg",
        "package.xml",
    ]
    assert not list(package.rglob("*.py"))
    cmake = (package / "CMakeLists.txt").read_text()
    assert "ament_python_install_package" not in cmake and "install(PROGRAMS" not in cmake
    assert not (INSTALL_DIR / "insideout_msgs" / "lib" / "insideout_msgs").exists()


def test_no_package_imports_another_packages_nodes():
    offending = []
    for package in PYTHON_PACKAGES:
        for path in (SRC / package / package).rglob("*.py"):
            for module in imported_modules(path):
                top, _, rest = module.partition(".")
                if top in PYTHON_PACKAGES and top != package and rest.startswith("nodes"):
                    offending.append(f"{path.relative_to(SRC)} imports {module}")
    assert offending == []


def test_the_common_library_imports_no_other_insideout_package():
    for path in (SRC / "insideout_common" / "insideout_common").rglob("*.py"):
        others = {m for m in imported_modules(path) if m.split(".")[0] in PYTHON_PACKAGES[1:]}
        assert others == set(), path.relative_to(SRC)


def test_bringup_installs_the_launch_file_and_config_as_they_are_in_the_repository():
    share = INSTALL_DIR / "insideout_bringup" / "share" / "insideout_bringup"
    for folder in ("launch", "config"):
        sources = sorted(p.name for p in (REPO / folder).iterdir() if p.is_file())
        assert sources, folder
        match, mismatch, errors = filecmp.cmpfiles(
            REPO / folder, share / folder, sources, shallow=False
        )
        assert (mismatch, errors) == ([], []), f"{folder}: run `make build` ({mismatch + errors})"
    # The launch file finds its parameter files beside it, installed or not.
    assert (
        'os.path.join(HERE, "..", "config")' in (share / "launch/insideout.launch.py").read_text()
    )
