"""Node modules stay thin: the work lives in the packages' ROS-free cores (issue 13's bar: no
function in nodes/ over 60 lines, no node class over 250)."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
NODE_MODULES = sorted(SRC.glob("*/*/nodes/*.py"))


def test_there_are_node_modules_to_check():
    names = {path.stem for path in NODE_MODULES}
    assert {"fer_node", "asr_node", "dialogue_node", "tts_node"} <= names


@pytest.mark.parametrize("path", NODE_MODULES, ids=lambda p: p.name)
def test_functions_and_classes_are_short(path):
    too_long = []
    for node in ast.walk(ast.parse(path.read_text())):
        length = getattr(node, "end_lineno", 0) - getattr(node, "lineno", 0) + 1
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and length > 60:
            too_long.append(f"function {node.name}: {length} lines (at most 60)")
        elif isinstance(node, ast.ClassDef) and length > 250:
            too_long.append(f"class {node.name}: {length} lines (at most 250)")
    assert too_long == [], f"{path.relative_to(SRC)}: " + "; ".join(too_long)
