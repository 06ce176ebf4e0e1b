"""Point the ROS 2 wheels' CMake exports at this machine's Python and numpy.

The PyPI ROS wheels were built in a manylinux container; their exported CMake targets name that
container's Python include directory and numpy include directory. CMake's generate step fails on
the imported *__rosidl_generator_py targets unless those paths exist, so rewrite them in place.
"""

import sys
import sysconfig
from pathlib import Path

import numpy

BUILD_MACHINE_PATHS = {
    "/opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include": numpy.get_include(),
    "/opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/core/include": numpy.get_include(),
    "/opt/python/cp311-cp311/include/python3.11": sysconfig.get_paths()["include"],
}


def main(share: Path) -> int:
    changed = 0
    for path in share.rglob("*.cmake"):
        text = path.read_text(errors="surrogateescape")
        new = text
        for old, replacement in BUILD_MACHINE_PATHS.items():
            new = new.replace(old, replacement)
        if new != text:
            path.write_text(new, errors="surrogateescape")
            changed += 1
    print(f"[setup] rewrote build-machine paths in {changed} CMake files")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
