"""The build-time model converters stay out of the runtime: no module under a package's core/ or
nodes/ imports insideout_perception.model_conversion (the set-up's Keras/TF.js -> ONNX converters
and the face-api package check), whether at the top, inside a function or by name through
importlib; the package is still installed, so the set-up steps run from install/ as from src/."""

import ast
from pathlib import Path

from support.ros_harness import INSTALL_DIR

SRC = Path(__file__).resolve().parents[2] / "src"
PYTHON_PACKAGES = ("insideout_common", "insideout_perception", "insideout_dialogue")
CONVERSION = "insideout_perception.model_conversion"
CONVERTERS = {
    "keras_h5_to_onnx.py",
    "face_api_expression_to_onnx.py",
    "face_api_package.py",
    "tfjs_weights.py",
    "onnx_graph_builder.py",
}


def runtime_modules():
    """(path, dotted module name) of every module under a package's core/ and nodes/."""
    for package in PYTHON_PACKAGES:
        for folder in ("core", "nodes"):
            for path in sorted((SRC / package / package / folder).rglob("*.py")):
                parts = path.relative_to(SRC / package).with_suffix("").parts
                yield path, ".".join(parts)


def imported_names(path: Path, module: str):
    """Every module `path` imports (relative imports made absolute, `from a import b` as a.b too)
    and every string constant in it (a name handed to importlib)."""
    package = module.split(".")[:-1] if path.name != "__init__.py" else module.split(".")
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                stem = package[: len(package) - node.level + 1]
                base = ".".join([*stem, base] if base else stem)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value


def refers_to_conversion(name: str) -> bool:
    return name == CONVERSION or name.startswith(CONVERSION + ".")


def test_no_core_or_node_module_imports_the_conversion_package():
    modules = list(runtime_modules())
    names = {module for _, module in modules}
    # Not vacuous: the FER runtime that used to convert in memory is among the scanned modules.
    assert "insideout_perception.core.expression_classifier" in names
    assert "insideout_perception.nodes.fer_node" in names
    offending = [
        f"{path.relative_to(SRC)}: {name}"
        for path, module in modules
        for name in imported_names(path, module)
        if refers_to_conversion(name)
    ]
    assert offending == [], "runtime modules that reach the build-time converters:\n" + "\n".join(
        offending
    )


def test_the_scan_sees_relative_and_function_level_imports(tmp_path):
    """The check itself: a lazy relative import inside a function is caught."""
    path = tmp_path / "expression_classifier.py"
    path.write_text("def load():\n    from ..model_conversion.keras_h5_to_onnx import convert\n")
    names = list(imported_names(path, "insideout_perception.core.expression_classifier"))
    assert "insideout_perception.model_conversion.keras_h5_to_onnx" in names
    assert any(refers_to_conversion(n) for n in names)


def test_the_converters_live_in_the_conversion_package_and_are_installed():
    source = SRC / "insideout_perception" / "insideout_perception"
    assert CONVERTERS <= {p.name for p in (source / "model_conversion").glob("*.py")}
    assert not CONVERTERS & {p.name for p in (source / "core").rglob("*.py")}
    installed = list(
        (INSTALL_DIR / "insideout_perception").glob(
            "lib/python3*/site-packages/insideout_perception/model_conversion"
        )
    )
    assert installed, "run `make build`: insideout_perception.model_conversion is not installed"
    assert CONVERTERS <= {p.name for p in installed[0].glob("*.py")}
