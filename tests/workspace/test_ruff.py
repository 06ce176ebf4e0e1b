"""ruff (configured in ruff.toml): the tree lints clean and is formatted as ruff formats it."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUFF = Path(sys.executable).with_name("ruff")  # the venv's, at the lock's version


def run_ruff(*args):
    return subprocess.run([str(RUFF), *args], cwd=REPO, capture_output=True, text=True)


def test_ruff_check_finds_nothing():
    result = run_ruff("check", "--no-cache", "--output-format", "concise", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_file_is_formatted():
    result = run_ruff("format", "--no-cache", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr
