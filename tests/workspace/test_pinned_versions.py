"""The locks: the set-up installs exactly what requirements/constraints-<wheels>.txt pins, and says
so when a venv differs from it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WHEELS = os.environ.get("ROS_WHEELS", "kilted")
# The lock this venv was set up from (a sourced distro: Kilted's pins for everything else).
LOCK = REPO / "requirements" / f"constraints-{WHEELS}.txt"
LOCKS = {
    wheels: REPO / "requirements" / f"constraints-{wheels}.txt" for wheels in ("kilted", "jazzy")
}
COMPARE = REPO / "scripts" / "compare_with_lock.py"


def _lock_pins(lock):
    sys.path.insert(0, str(REPO / "scripts"))
    from compare_with_lock import parse_pins

    return parse_pins(lock.read_text().splitlines())


@pytest.mark.parametrize("wheels", sorted(LOCKS))
def test_every_requirement_is_pinned_in_the_lock(wheels):
    lock = LOCKS[wheels]
    pins = _lock_pins(lock)
    from compare_with_lock import _canonical

    for requirements in (f"ros-{wheels}.txt", "project.txt", "nodeps.txt"):
        for line in (REPO / "requirements" / requirements).read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            name = _canonical(line.split("[")[0].split("=")[0].split("<")[0].split(">")[0].strip())
            assert name in pins, f"{requirements}: {name} is not pinned in {lock.name}"


def test_both_wheel_sets_run_the_same_libraries_and_models():
    """Only ROS differs between the locks: a result on Jazzy is about Jazzy, not a newer numpy."""
    kilted, jazzy = _lock_pins(LOCKS["kilted"]), _lock_pins(LOCKS["jazzy"])
    # A ROS wheel (ros-rclpy) also registers its Python distribution (rclpy): ROS too.
    shared = sorted(
        name
        for name in kilted.keys() & jazzy.keys()
        if not name.startswith("ros-") and f"ros-{name}" not in kilted
    )
    assert len(shared) > 100
    differing = {
        name: (kilted[name], jazzy[name]) for name in shared if kilted[name] != jazzy[name]
    }
    assert differing == {}


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
