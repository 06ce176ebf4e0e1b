"""Exit 0 when a ROS package is installed outside this workspace (on AMENT_PREFIX_PATH)."""

import os
import sys
from pathlib import Path

workspace_install = Path(
    os.environ.get("INSIDEOUT_INSTALL", Path(__file__).resolve().parent.parent / "install")
).resolve()
package = sys.argv[1]
for prefix in filter(None, os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep)):
    prefix_path = Path(prefix).resolve()
    if prefix_path == workspace_install or workspace_install in prefix_path.parents:
        continue
    if (prefix_path / "share/ament_index/resource_index/packages" / package).exists():
        sys.exit(0)
sys.exit(1)
