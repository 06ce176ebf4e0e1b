"""Drive ROS from a test: a spinning helper node, message collectors, and node processes.

Nodes under test run as separate processes (the installed executables), so every test that uses
them goes over real DDS between processes. The code is scripts/ros_processes.py, which `make demo`
and `make run` use too.
"""

import sys
from pathlib import Path

_SCRIPTS = str(Path(__file__).resolve().parents[2] / "scripts")
if _SCRIPTS not in sys.path:
    sys.path.append(_SCRIPTS)

from ros_processes import (  # noqa: E402,F401
    INSTALL_DIR,
    REPO_ROOT,
    Collector,
    NodeProcess,
    RosHarness,
    SentTimeCollector,
    ros_params_args,
    wait_until,
)
