"""The pure-Python cores import no ROS: every module under each package's core/ (and the
ROS-free parts of insideout_common, and the set-up's model converters) imports in a process where
rclpy and every ROS message package are refused, so each is testable and reusable without ROS."""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE_DIRS = [
    ("insideout_perception.core", ROOT / "src/insideout_perception/insideout_perception/core"),
    # The build-time converters (kept apart from core/): the set-up runs them before any build.
    (
        "insideout_perception.model_conversion",
        ROOT / "src/insideout_perception/insideout_perception/model_conversion",
    ),
    ("insideout_dialogue.core", ROOT / "src/insideout_dialogue/insideout_dialogue/core"),
    ("insideout_common.bags", ROOT / "src/insideout_common/insideout_common/bags"),
]
# insideout_common's top-level modules outside ros/ (ros/ is the rclpy helpers, by design).
COMMON_MODULES = [
    "insideout_common.emotions",
    "insideout_common.frame_reliability",
    "insideout_common.image_conversion",
    "insideout_common.model_files",
    "insideout_common.pcm",
]

# Refused as a whole: rclpy, rosidl's runtime, and any generated interface module
# (pkg.msg/.srv/.action).
REFUSING_FINDER = textwrap.dedent("""
    import importlib.abc, sys
    class RefuseRos(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            top, _, rest = name.partition(".")
            interface = rest.split(".")[0] in ("msg", "srv", "action")
            if top in ("rclpy", "rosidl_runtime_py", "rpyutils") or interface:
                raise ImportError(f"ROS module {name} imported by a ROS-free core module")
            return None
    sys.meta_path.insert(0, RefuseRos())
""")


def core_modules():
    modules = list(COMMON_MODULES)
    for package, directory in CORE_DIRS:
        for path in sorted(directory.rglob("*.py")):
            relative = path.relative_to(directory).with_suffix("")
            parts = [p for p in relative.parts if p != "__init__"]
            modules.append(".".join([package, *parts]))
    return modules


def test_the_list_of_core_modules_is_not_empty():
    modules = core_modules()
    assert "insideout_dialogue.core.agent_panel" in modules
    assert "insideout_perception.core.fer_pipeline" in modules
    assert "insideout_perception.core.vad.silero" in modules
    assert "insideout_perception.model_conversion.keras_h5_to_onnx" in modules
    assert len(modules) > 50


def test_every_core_module_imports_without_ros():
    script = REFUSING_FINDER + textwrap.dedent(f"""
        import importlib, traceback
        failures = []
        for name in {core_modules()!r}:
            try:
                importlib.import_module(name)
            except Exception as error:
                failures.append(f"{{name}}: {{type(error).__name__}}: {{error}}")
        print("\\n".join(failures))
        sys.exit(1 if failures else 0)
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, (
        "core modules that need ROS (or fail to import):\n" + result.stdout + result.stderr[-2000:]
    )


def test_the_refusal_works():
    """The check itself: a module importing ROS (here the rclpy parameter helpers) is refused."""
    script = REFUSING_FINDER + "import insideout_common.ros.params\n"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "imported by a ROS-free core module" in result.stderr, (
        result.stderr[-2000:]
    )
