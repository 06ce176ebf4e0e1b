"""Node modules stay thin: the work lives in the packages' ROS-free cores. Sizes are counted in
statements (the lines where one starts), so a formatter's line breaks do not count: no function in
nodes/ over 40 statements, no node class over 180 (the largest, FerNode, has 178; before the tree
was formatted by ruff the bar was 60 and 250 physical lines, which FerNode met with 250)."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
NODE_MODULES = sorted(SRC.glob("*/*/nodes/*.py"))


def test_there_are_node_modules_to_check():
    names = {path.stem for path in NODE_MODULES}
    assert {"fer_node", "asr_node", "dialogue_node", "tts_node"} <= names


def statements(node: ast.AST) -> int:
    return len({child.lineno for child in ast.walk(node) if isinstance(child, ast.stmt)})


@pytest.mark.parametrize("path", NODE_MODULES, ids=lambda p: p.name)
def test_functions_and_classes_are_short(path):
    too_long = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and statements(node) > 40:
            too_long.append(f"function {node.name}: {statements(node)} statements (at most 40)")
        elif isinstance(node, ast.ClassDef) and statements(node) > 180:
            too_long.append(f"class {node.name}: {statements(node)} statements (at most 180)")
    assert too_long == [], f"{path.relative_to(SRC)}: " + "; ".join(too_long)
