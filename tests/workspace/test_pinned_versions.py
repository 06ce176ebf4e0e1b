"""The lock: the set-up installs exactly what requirements/constraints.txt pins, and says so
when a venv differs from it."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LOCK = REPO / "requirements" / "constraints.txt"
COMPARE = REPO / "scripts" / "compare_with_lock.py"


def test_every_requirement_is_pinned_in_the_lock():
    sys.path.insert(0, str(REPO / "scripts"))
    from compare_with_lock import _canonical, parse_pins

    pins = parse_pins(LOCK.read_text().splitlines())
    for requirements in ("ros.txt", "project.txt", "nodeps.txt"):
        for line in (REPO / "requirements" / requirements).read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            name = _canonical(line.split("[")[0].split("=")[0].split("<")[0].split(">")[0].strip())
            assert name in pins, f"{requirements}: {name} is not pinned in {LOCK.name}"


def test_this_venv_matches_the_lock_and_a_difference_is_reported(tmp_path):
    quiet = subprocess.run(
        [sys.executable, str(COMPARE), str(LOCK)], capture_output=True, text=True, check=True
    )
    assert quiet.stdout == "", quiet.stdout  # the set-up installed exactly the lock
    changed = tmp_path / "constraints.txt"
    text = LOCK.read_text()
    numpy_line = next(line for line in text.splitlines() if line.lower().startswith("numpy=="))
    changed.write_text(
        text.replace(numpy_line, "numpy==0.0.1").replace("PyYAML==", "PyYAML-gone==")
    )
    report = subprocess.run(
        [sys.executable, str(COMPARE), str(changed)], capture_output=True, text=True, check=True
    ).stdout
    assert "numpy" in report and "the lock says 0.0.1" in report
    assert "pyyaml" in report and "not in the lock" in report
