"""launch/insideout.launch.py, checked as far as possible without launch / launch_ros installed.

`ros2 launch` is not on PyPI, so this reads the file's declarations (Python AST) instead of
running it: the arguments the issue asks for, nodes that are built, config sections that exist,
and namespace remappings that cover every absolute InsideOut name the nodes use. (Running it was
checked by hand against ros2/launch + launch_ros humble, jazzy and rolling; see the README.)
"""

import ast
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
LAUNCH_FILE = REPO / "launch" / "insideout.launch.py"
NODE_SOURCES = [*(REPO / "src" / "insideout_perception" / "insideout_perception" / "nodes").glob("*.py"),
                *(REPO / "src" / "insideout_dialogue" / "insideout_dialogue" / "nodes").glob("*.py")]


def module_assignments():
    tree = ast.parse(LAUNCH_FILE.read_text())
    values = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = node.value
    return tree, values


def argument_names():
    _, values = module_assignments()
    return [element.elts[0].value for element in values["ARGUMENTS"].elts]


def test_declares_the_arguments_users_need():
    names = argument_names()
    for required in ("camera_topic", "audio_topic", "audio_info_topic", "namespace", "nodes",
                     "llm_base_url", "llm_model", "aggregation", "use_sim_time", "params_file",
                     "prompts_file", "camera", "microphone"):
        assert required in names, f"launch argument {required} missing"
    assert len(names) == len(set(names)), "an argument is declared twice"


def test_imports_only_what_every_distro_has():
    tree, _ = module_assignments()
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            modules.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
    assert modules <= {"os", "yaml", "launch", "launch_ros", "ament_index_python"}, modules
    assert any(isinstance(n, ast.FunctionDef) and n.name == "generate_launch_description"
               for n in tree.body)


def test_starts_built_executables_with_config_sections():
    _, values = module_assignments()
    pipeline = ast.literal_eval(values["PIPELINE_NODES"])
    assert set(pipeline) == {"fer", "asr", "dialogue", "tts"}
    config = yaml.safe_load((REPO / "config" / "insideout.yaml").read_text())
    for package, executable, name in pipeline.values():
        assert (REPO / "install" / package / "lib" / package / executable).exists(), \
            f"{package}/{executable} is not built (run make setup)"
        assert name in config, f"config/insideout.yaml has no {name} section"
    assert (REPO / "config" / "prompts.yaml").exists()


def test_namespace_remaps_every_absolute_insideout_name_the_nodes_use():
    _, values = module_assignments()
    remapped = set()
    for name in ("INSIDEOUT_TOPICS", "INSIDEOUT_SERVICES", "INSIDEOUT_ACTIONS"):
        remapped |= set(ast.literal_eval(values[name]))
    used = set()
    for source in NODE_SOURCES:
        used |= set(re.findall(r'"(/insideout/[A-Za-z0-9_/]+)"', source.read_text()))
    assert used, "found no /insideout/ names in the node sources"
    assert used <= remapped, f"not remapped under a namespace: {sorted(used - remapped)}"
