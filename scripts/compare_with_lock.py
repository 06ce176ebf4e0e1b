"""Print how the venv's packages differ from a lock (requirements/constraints-<wheels>.txt).

    python scripts/compare_with_lock.py [--remove-extras] [requirements/constraints-kilted.txt]

Run by scripts/setup.sh after it installs, so a machine that got something other than the tested
versions says so. Exit code 0 either way: a difference is news, not a failure. With
--remove-extras, packages the lock no longer has (e.g. one a requirements change dropped) are
uninstalled from the venv first, so an existing checkout ends up where a fresh one does.
"""

import re
import subprocess
import sys
from pathlib import Path


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_pins(lines):
    pins = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[_canonical(name)] = version.split("+", 1)[0].strip()
    return pins


def installed_pins():
    frozen = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--all", "--local"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return parse_pins(frozen)


def main() -> int:
    args = sys.argv[1:]
    remove_extras = "--remove-extras" in args
    args = [a for a in args if a != "--remove-extras"]
    lock_path = Path(args[0] if args else "requirements/constraints-kilted.txt")
    locked = parse_pins(lock_path.read_text().splitlines())
    installed = installed_pins()
    if remove_extras:
        extras = sorted(n for n in installed if n not in locked and n != "wheel")
        if extras:
            print(f"[setup] removing packages the lock no longer has: {' '.join(extras)}")
            subprocess.run(
                [sys.executable, "-m", "pip", "uninstall", "-q", "-y", *extras], check=True
            )
            installed = installed_pins()
    changed = sorted(n for n in installed if n in locked and installed[n] != locked[n])
    extra = sorted(n for n in installed if n not in locked and n != "wheel")
    for name in changed:
        print(f"[setup] {name} {installed[name]} installed, the lock says {locked[name]}")
    for name in extra:
        print(f"[setup] {name} {installed[name]} installed, not in the lock")
    if changed or extra:
        print(
            f"[setup] the venv differs from {lock_path} in {len(changed) + len(extra)} package(s); "
            "scripts/refresh_constraints.sh re-locks after a requirements change"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
